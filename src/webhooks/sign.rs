//! Signatures per the Standard Webhooks specification
//! (<https://www.standardwebhooks.com>, "Signature scheme"): the secret is
//! `whsec_` and the base64 of its bytes; a message is signed as
//! `v1,` + base64(HMAC-SHA256(secret, "{webhook-id}.{webhook-timestamp}.{body}")),
//! and `webhook-signature` holds one such signature per active secret,
//! separated by spaces (several during a secret rotation).

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Bytes of a new secret (the specification asks for 24 to 64).
pub const SECRET_BYTES: usize = 32;

/// A new secret: its bytes and its `whsec_…` form.
#[must_use]
pub fn new_secret() -> (Vec<u8>, String) {
    let mut bytes = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let text = format!("whsec_{}", STANDARD.encode(&bytes));
    (bytes, text)
}

/// The bytes of a `whsec_…` secret; `None` when it isn't one.
#[must_use]
pub fn secret_bytes(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.strip_prefix("whsec_")?).ok()
}

/// One signature, `v1,<base64>`.
#[must_use]
pub fn sign(secret: &[u8], id: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: a signature per secret.
#[must_use]
pub fn header(secrets: &[Vec<u8>], id: &str, timestamp: u64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| sign(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the specification's reference libraries (their
    /// test suites sign this message with this secret).
    #[test]
    fn signs_the_reference_example() {
        let secret = secret_bytes("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = sign(
            &secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn new_secrets_round_trip_and_rotation_signs_with_each() {
        let (a, text) = new_secret();
        assert_eq!(secret_bytes(&text).unwrap(), a);
        let (b, _) = new_secret();
        let h = header(&[a.clone(), b], "msg_1", 1, b"{}");
        let parts: Vec<_> = h.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], sign(&a, "msg_1", 1, b"{}"));
        assert_ne!(parts[0], parts[1]);
    }
}
