//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s steps, one
//! step of clock skew allowed) and single-use recovery codes.

use totp_rs::{Algorithm, Secret, TOTP};

/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;

fn totp(secret: &[u8]) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret.to_vec()).ok()
}

/// A fresh 20-byte secret (the RFC's recommended size for SHA-1).
#[must_use]
pub fn new_secret() -> Vec<u8> {
    crate::privacy::random_bytes::<20>().to_vec()
}

/// The secret in base32, as people type it into an app.
#[must_use]
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

/// Decodes a base32 secret (from a form's hidden field).
#[must_use]
pub fn secret_from_base32(s: &str) -> Option<Vec<u8>> {
    Secret::Encoded(s.trim().to_owned()).to_bytes().ok()
}

/// The `otpauth://` URL authenticator apps scan.
#[must_use]
pub fn otpauth_url(secret: &[u8], account: &str) -> String {
    format!(
        "otpauth://totp/Touchpoint:{}?secret={}&issuer=Touchpoint&algorithm=SHA1&digits=6&period=30",
        url::form_urlencoded::byte_serialize(account.as_bytes()).collect::<String>(),
        secret_base32(secret)
    )
}

/// The code for a moment (tests and the enrolment check use it).
#[must_use]
pub fn code_at(secret: &[u8], now_ms: u64) -> String {
    totp(secret).map_or_else(String::new, |t| t.generate(now_ms / 1000))
}

/// Whether `code` is valid at `now_ms`, allowing one step either side.
#[must_use]
pub fn check(secret: &[u8], code: &str, now_ms: u64) -> bool {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    code.len() == 6 && totp(secret).is_some_and(|t| t.check(&code, now_ms / 1000))
}

/// The 30-second step whose code `code` is, within one step of `now_ms`.
#[must_use]
pub fn matching_step(secret: &[u8], code: &str, now_ms: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 {
        return None;
    }
    let now = now_ms / 30_000;
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .find(|&step| {
            crate::privacy::constant_time_eq(
                code_at(secret, step * 30_000).as_bytes(),
                code.as_bytes(),
            )
        })
}

/// New recovery codes (shown once) and their SHA-256 hashes (stored).
#[must_use]
pub fn recovery_codes() -> (Vec<String>, Vec<String>) {
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw = hex::encode(crate::privacy::random_bytes::<5>());
            let code = format!("{}-{}", &raw[..5], &raw[5..]);
            let hash = crate::privacy::sha256_hex(code.as_bytes());
            (code, hash)
        })
        .unzip()
}

/// Uses up a recovery code: returns the remaining hashes if `code` was one.
#[must_use]
pub fn redeem_recovery(hashes: &[String], code: &str) -> Option<Vec<String>> {
    let h = crate::privacy::sha256_hex(code.trim().to_ascii_lowercase().as_bytes());
    let pos = hashes
        .iter()
        .position(|s| crate::privacy::constant_time_eq(s.as_bytes(), h.as_bytes()))?;
    let mut rest = hashes.to_vec();
    rest.remove(pos);
    Some(rest)
}

/// An SVG QR code of the enrolment URL.
#[must_use]
pub fn qr_svg(url: &str) -> String {
    qrcode::QrCode::new(url.as_bytes())
        .map(|q| {
            q.render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, truncated to 6 digits.
        let secret = b"12345678901234567890";
        for (t, want) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, t * 1000), want);
        }
    }

    #[test]
    fn codes_check_within_one_step_only() {
        let s = new_secret();
        let now = 1_700_000_000_000;
        assert!(check(&s, &code_at(&s, now), now));
        assert!(check(&s, &code_at(&s, now - 30_000), now));
        assert!(!check(&s, &code_at(&s, now - 120_000), now));
        assert!(!check(&s, "12345", now));
        assert_eq!(secret_from_base32(&secret_base32(&s)).unwrap(), s);
        assert!(otpauth_url(&s, "a@b.c").starts_with("otpauth://totp/Touchpoint:a%40b.c?secret="));
        assert!(qr_svg("otpauth://x").contains("<svg"));
        assert_eq!(
            matching_step(&s, &code_at(&s, now - 30_000), now),
            Some(now / 30_000 - 1)
        );
        assert_eq!(matching_step(&s, "000000x", now), None);
    }

    #[test]
    fn recovery_codes_work_once() {
        let (codes, hashes) = recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let rest = redeem_recovery(&hashes, &codes[3]).unwrap();
        assert_eq!(rest.len(), RECOVERY_CODES - 1);
        assert!(redeem_recovery(&rest, &codes[3]).is_none());
        assert!(redeem_recovery(&hashes, "nope").is_none());
    }
}
