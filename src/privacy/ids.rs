//! The keyed identifiers of visitors and leads, defined once: the tracker
//! edge makes them from what the browser sends, and data-subject requests
//! make the same ones from what a person tells us. No plain id, email, phone
//! or plain digest is ever stored; only these keyed values.

use super::{Keys, sha256_hex};
use crate::domain::SiteId;

/// The consent subject of a first-party id on a site.
#[must_use]
pub fn consent_subject(keys: &Keys, site: SiteId, uid: &str) -> [u8; 32] {
    keys.blind_index(
        "consent-subject",
        &[&site.0.to_be_bytes()[..], uid.as_bytes()].concat(),
    )
}

/// The subject of a server-side source's own id for a person (`kind`:
/// `anonymous` or `user` for Segment's `anonymousId` and `userId`): the
/// stable visitor of their events is [`uid_visitor`] of it, and an
/// identified one is linked to their lead like a consenting visitor.
#[must_use]
pub fn source_subject(keys: &Keys, site: SiteId, kind: &str, id: &str) -> [u8; 32] {
    keys.blind_index(
        "source-subject",
        &[
            &site.0.to_be_bytes()[..],
            kind.as_bytes(),
            b"\0",
            id.as_bytes(),
        ]
        .concat(),
    )
}

/// The consent subject of a decision made without a first-party id (keyed
/// on the day's visitor hash).
#[must_use]
pub fn visitor_subject(keys: &Keys, site: SiteId, visitor: u64) -> [u8; 32] {
    keys.blind_index(
        "consent-visitor",
        &[&site.0.to_be_bytes()[..], &visitor.to_be_bytes()].concat(),
    )
}

/// The stable visitor hash of a consenting visitor's visits.
#[must_use]
pub fn uid_visitor(keys: &Keys, subject: &[u8; 32]) -> u64 {
    let id = keys.blind_index("visitor-uid", subject);
    u64::from_be_bytes(id[..8].try_into().expect("8 bytes"))
}

/// Keyed index (hex) of an email's SHA-256 digest (hex).
#[must_use]
pub fn lead_email_index(keys: &Keys, digest: &str) -> String {
    hex::encode(keys.blind_index("lead-email", digest.as_bytes()))
}

/// Keyed index (hex) of a phone's SHA-256 digest (hex).
#[must_use]
pub fn lead_phone_index(keys: &Keys, digest: &str) -> String {
    hex::encode(keys.blind_index("lead-phone", digest.as_bytes()))
}

/// True for 64 lowercase-or-uppercase hex digits (a digest given as is).
fn is_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The digest the tracker makes of an email: SHA-256 of the trimmed,
/// lower-cased address. A digest passed in is taken as is.
#[must_use]
pub fn email_digest(input: &str) -> String {
    let s = input.trim();
    if is_digest(s) {
        return s.to_ascii_lowercase();
    }
    sha256_hex(s.to_lowercase().as_bytes())
}

/// The digest the tracker makes of a phone: SHA-256 of its digits with a
/// leading `+` kept. A digest passed in is taken as is.
#[must_use]
pub fn phone_digest(input: &str) -> String {
    let s = input.trim();
    if is_digest(s) {
        return s.to_ascii_lowercase();
    }
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() || (c == '+' && out.is_empty()) {
            out.push(c);
        }
    }
    sha256_hex(out.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_the_trackers_normalisation() {
        // sha256("jane@example.com")
        let want = "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d";
        assert_eq!(email_digest("  Jane@Example.com "), want);
        assert_eq!(email_digest(want), want);
        assert_eq!(email_digest(&want.to_uppercase()), want);
        assert_eq!(
            phone_digest("+44 (20) 7946-0958"),
            sha256_hex(b"+442079460958")
        );
        assert_eq!(phone_digest("020 7946 0958"), sha256_hex(b"02079460958"));
    }

    #[test]
    fn indexes_are_keyed_and_separated_by_purpose() {
        let a = Keys::from_master(&[1; 32]);
        let b = Keys::from_master(&[2; 32]);
        let d = email_digest("jane@example.com");
        assert_ne!(lead_email_index(&a, &d), lead_email_index(&b, &d));
        assert_ne!(lead_email_index(&a, &d), lead_phone_index(&a, &d));
        assert_ne!(lead_email_index(&a, &d), d, "never the plain digest");
        let s = consent_subject(&a, SiteId(1), "u1");
        assert_ne!(s, consent_subject(&a, SiteId(2), "u1"));
        assert_eq!(uid_visitor(&a, &s), uid_visitor(&a, &s));
    }
}
