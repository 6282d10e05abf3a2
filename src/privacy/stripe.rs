//! Stripe webhook signatures: `Stripe-Signature: t=<unix s>,v1=<hex>` where
//! v1 = HMAC-SHA256(signing secret, "<t>.<raw body>"); a timestamp more than
//! the tolerance away from now is refused (replays).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::constant_time_eq;

/// How far a signature's timestamp may be from now, seconds (Stripe's default).
pub const TOLERANCE_S: i64 = 300;

/// Checks a `Stripe-Signature` header against the raw body.
///
/// # Errors
/// What is wrong, for the response and the log (never the secret).
pub fn verify(secret: &[u8], header: &str, body: &[u8], now_s: i64) -> Result<(), String> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v.to_owned()),
            _ => {}
        }
    }
    let t = t.ok_or("the signature header has no timestamp")?;
    if sigs.is_empty() {
        return Err("the signature header has no v1 signature".into());
    }
    if now_s.abs_diff(t) > TOLERANCE_S.unsigned_abs() {
        return Err("the signature's timestamp is too far from now".into());
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let want = hex::encode(mac.finalize().into_bytes());
    if sigs
        .iter()
        .any(|s| constant_time_eq(s.as_bytes(), want.as_bytes()))
    {
        Ok(())
    } else {
        Err("the signature does not match".into())
    }
}

/// A signature header for `body` (for tests and tools).
#[must_use]
pub fn sign(secret: &[u8], body: &[u8], t: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_check_body_secret_and_time() {
        let body = br#"{"id":"evt_1"}"#;
        let h = sign(b"whsec_test", body, 1_700_000_000);
        assert!(verify(b"whsec_test", &h, body, 1_700_000_100).is_ok());
        assert!(verify(b"whsec_other", &h, body, 1_700_000_100).is_err());
        assert!(verify(b"whsec_test", &h, br#"{"id":"evt_2"}"#, 1_700_000_100).is_err());
        assert!(
            verify(b"whsec_test", &h, body, 1_700_000_000 + 301).is_err(),
            "too old"
        );
        assert!(verify(b"whsec_test", "t=1700000000", body, 1_700_000_000).is_err());
        // Several signatures (secret rotation): any may match.
        let two = format!("{h},v1=00");
        assert!(verify(b"whsec_test", &two, body, 1_700_000_000).is_ok());
    }
}
