//! The identifying and consent parts of an event, as the tracker sends them:
//! `uid` (the random first-party id set after consent), `l` (SHA-256 digests of
//! a normalised email and phone, made in the browser) and `c` (a consent
//! decision). Parsed and validated here; whether the server keeps them
//! depends on the site's consent mode and the visitor's recorded decision.

use serde_json::{Map, Value};

use super::payload::FieldErrors;
/// The decision and mechanism a claim carries (domain types, also stored).
pub use crate::domain::{Decision, Mechanism};

/// A consent record claimed by the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentClaim {
    /// Accept or decline.
    pub decision: Decision,
    /// The site's policy version the visitor saw.
    pub policy: String,
    /// How.
    pub mechanism: Mechanism,
}

/// Browser-side SHA-256 digests (lowercase hex) of a lead's email and phone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeadHashes {
    /// Digest of the trimmed, lower-cased email.
    pub email: Option<String>,
    /// Digest of the phone in E.164 digits.
    pub phone: Option<String>,
}

/// The identifying parts of one event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// The first-party id from the `_tp_uid` cookie.
    pub uid: Option<String>,
    /// Lead digests.
    pub lead: Option<LeadHashes>,
    /// A consent decision (event name `consent`).
    pub consent: Option<ConsentClaim>,
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Reads `uid`, `l` and `c` from an event object, adding messages to `errors`.
pub fn parse(obj: &Map<String, Value>, errors: &mut FieldErrors) -> Identity {
    let mut out = Identity::default();
    match obj.get("uid") {
        None | Some(Value::Null) => {}
        Some(Value::String(s))
            if (16..=64).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            out.uid = Some(s.clone());
        }
        Some(_) => {
            errors.insert("uid", "must be 16 to 64 letters, digits, '-' or '_'".into());
        }
    }
    match obj.get("l") {
        None | Some(Value::Null) => {}
        Some(Value::Object(l)) => {
            let mut lead = LeadHashes::default();
            for (key, slot) in [("e", &mut lead.email), ("p", &mut lead.phone)] {
                match l.get(key) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(h)) if is_sha256_hex(h) => *slot = Some(h.clone()),
                    Some(_) => {
                        errors.insert("l", format!("{key} must be a SHA-256 digest in lowercase hex (plain values are never accepted)"));
                    }
                }
            }
            out.lead = Some(lead);
        }
        Some(_) => {
            errors.insert("l", "must be an object {e, p} of SHA-256 digests".into());
        }
    }
    match obj.get("c") {
        None | Some(Value::Null) => {}
        Some(c) => match serde_json::from_value::<ClaimWire>(c.clone()) {
            Ok(w) if !w.v.is_empty() && w.v.len() <= 32 => {
                out.consent = Some(ConsentClaim {
                    decision: w.d,
                    policy: w.v,
                    mechanism: w.m,
                });
            }
            _ => {
                errors.insert("c", "must be {d: accept|decline, v: policy version (1-32 chars), m: banner|api|gpc|dnt}".into());
            }
        },
    }
    out
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimWire {
    d: Decision,
    v: String,
    m: Mechanism,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run(v: Value) -> (Identity, FieldErrors) {
        let mut errors = FieldErrors::new();
        let Value::Object(o) = v else { panic!() };
        (parse(&o, &mut errors), errors)
    }

    #[test]
    fn valid_identity_fields_parse() {
        let h = "a".repeat(64);
        let (id, errors) = run(
            json!({"uid": "AbC_-0123456789xyz", "l": {"e": h, "p": null}, "c": {"d": "accept", "v": "2", "m": "banner"}}),
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(id.uid.as_deref(), Some("AbC_-0123456789xyz"));
        assert_eq!(
            id.lead,
            Some(LeadHashes {
                email: Some(h),
                phone: None
            })
        );
        assert_eq!(id.consent.unwrap().mechanism, Mechanism::Banner);
    }

    #[test]
    fn plain_values_and_malformed_fields_are_refused_with_a_reason() {
        for (case, v, field) in [
            ("plain email", json!({"l": {"e": "ada@example.com"}}), "l"),
            ("upper-case hex", json!({"l": {"e": "A".repeat(64)}}), "l"),
            ("short uid", json!({"uid": "abc"}), "uid"),
            (
                "uid with spaces",
                json!({"uid": "a b c d e f g h i j"}),
                "uid",
            ),
            (
                "unknown decision",
                json!({"c": {"d": "maybe", "v": "1", "m": "api"}}),
                "c",
            ),
            (
                "missing policy",
                json!({"c": {"d": "accept", "v": "", "m": "api"}}),
                "c",
            ),
        ] {
            let (_, errors) = run(v);
            assert!(errors.contains_key(field), "{case}: {errors:?}");
        }
    }
}
