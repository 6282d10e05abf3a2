//! One-time values carried across a redirect (post/redirect/get): a form's
//! POST makes a secret (a new API key), leaves it here under the login
//! session, and redirects; the page it redirects to takes it and shows it
//! once. The value lives only in memory — never in the store, a URL or a
//! cookie — for a few minutes at most, so a reload shows nothing and a
//! restart forgets it.

use std::{collections::HashMap, sync::Mutex};

/// How long a flash waits to be shown, in ms.
pub const FLASH_TTL_MS: u64 = 5 * 60_000;

/// A value to show once, with the label that goes above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// What the value is ("New API key (shown once): …").
    pub label: String,
    /// The value itself.
    pub value: String,
}

struct Held {
    page: String,
    flash: Flash,
    expires_ms: u64,
}

/// Flashes by login session (the SHA-256 of its token); one per session.
#[derive(Default)]
pub struct Flashes(Mutex<HashMap<[u8; 32], Held>>);

impl Flashes {
    /// Leaves `flash` for the session's next visit to `page` (a path, such
    /// as `/workspaces/3`), replacing any earlier one; expired ones of every
    /// session are dropped on the way.
    pub fn put(&self, session: &[u8; 32], page: &str, flash: Flash, now_ms: u64) {
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.retain(|_, h| h.expires_ms > now_ms);
        held.insert(
            *session,
            Held {
                page: page.to_owned(),
                flash,
                expires_ms: now_ms.saturating_add(FLASH_TTL_MS),
            },
        );
    }

    /// Takes the session's flash for `page`, if one is waiting and not
    /// expired: it is gone afterwards. A flash for another page stays.
    #[must_use]
    pub fn take(&self, session: &[u8; 32], page: &str, now_ms: u64) -> Option<Flash> {
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match held.get(session) {
            Some(h) if h.expires_ms <= now_ms => {
                held.remove(session);
                None
            }
            Some(h) if h.page == page => held.remove(session).map(|h| h.flash),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flash(v: &str) -> Flash {
        Flash {
            label: "New key".into(),
            value: v.into(),
        }
    }

    #[test]
    fn a_flash_is_taken_once_by_its_session_on_its_page_before_it_expires() {
        let f = Flashes::default();
        let (a, b) = ([1u8; 32], [2u8; 32]);
        f.put(&a, "/workspaces/1", flash("k1"), 0);
        assert_eq!(f.take(&b, "/workspaces/1", 1), None, "another session");
        assert_eq!(f.take(&a, "/workspaces/2", 1), None, "another page");
        assert_eq!(f.take(&a, "/workspaces/1", 1), Some(flash("k1")));
        assert_eq!(f.take(&a, "/workspaces/1", 2), None, "taken already");

        f.put(&a, "/workspaces/1", flash("k2"), 0);
        f.put(&a, "/workspaces/1", flash("k3"), 0);
        assert_eq!(
            f.take(&a, "/workspaces/1", 1),
            Some(flash("k3")),
            "replaced"
        );

        f.put(&a, "/workspaces/1", flash("k4"), 0);
        assert_eq!(f.take(&a, "/workspaces/1", FLASH_TTL_MS), None, "expired");
    }
}
