//! One-time values carried across a redirect (post/redirect/get): a form's
//! POST makes a secret (a new API key, an invitation link), leaves it here
//! under the login session, and redirects; the page it redirects to takes
//! it and shows it once. The value lives only in memory — never in the
//! store, a URL or a cookie — for a few minutes at most, so a reload shows
//! nothing and a restart forgets it.

use std::{collections::HashMap, sync::Mutex};

/// How long a flash waits to be shown, in ms.
pub const FLASH_TTL_MS: u64 = 5 * 60_000;

/// What a flash holds: a session keeps at most one of each kind, so a new
/// API key and an invitation link made before the page is seen both wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    /// A new stats API key.
    ApiKey,
    /// A new invitation's one-time link.
    Invitation,
}

impl FlashKind {
    /// The HTML id of the element that shows the value (its Copy button's
    /// target).
    #[must_use]
    pub const fn element_id(self) -> &'static str {
        match self {
            Self::ApiKey => "one-time",
            Self::Invitation => "one-time-invitation",
        }
    }
}

/// A value to show once, with the label that goes above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// What kind of value it is.
    pub kind: FlashKind,
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

/// Flashes by login session (the SHA-256 of its token); at most one of
/// each kind per session.
#[derive(Default)]
pub struct Flashes(Mutex<HashMap<[u8; 32], Vec<Held>>>);

impl Flashes {
    /// Leaves `flash` for the session's next visit to `page` (a path, such
    /// as `/workspaces/3`), replacing an earlier one of its kind; expired
    /// ones of every session are dropped on the way.
    pub fn put(&self, session: &[u8; 32], page: &str, flash: Flash, now_ms: u64) {
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.retain(|_, hs| {
            hs.retain(|h| h.expires_ms > now_ms);
            !hs.is_empty()
        });
        let mine = held.entry(*session).or_default();
        mine.retain(|h| h.flash.kind != flash.kind);
        mine.push(Held {
            page: page.to_owned(),
            flash,
            expires_ms: now_ms.saturating_add(FLASH_TTL_MS),
        });
    }

    /// Takes the session's flashes for `page` that are waiting and not
    /// expired, oldest first: they are gone afterwards. Flashes for another
    /// page stay.
    #[must_use]
    pub fn take(&self, session: &[u8; 32], page: &str, now_ms: u64) -> Vec<Flash> {
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(mine) = held.get_mut(session) else {
            return Vec::new();
        };
        let mut taken = Vec::new();
        mine.retain(|h| {
            if h.expires_ms <= now_ms {
                false
            } else if h.page == page {
                taken.push(h.flash.clone());
                false
            } else {
                true
            }
        });
        if mine.is_empty() {
            held.remove(session);
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flash(v: &str) -> Flash {
        Flash {
            kind: FlashKind::ApiKey,
            label: "New key".into(),
            value: v.into(),
        }
    }

    fn invitation(v: &str) -> Flash {
        Flash {
            kind: FlashKind::Invitation,
            label: "Invitation link".into(),
            value: v.into(),
        }
    }

    #[test]
    fn a_flash_is_taken_once_by_its_session_on_its_page_before_it_expires() {
        let f = Flashes::default();
        let (a, b) = ([1u8; 32], [2u8; 32]);
        f.put(&a, "/workspaces/1", flash("k1"), 0);
        assert_eq!(f.take(&b, "/workspaces/1", 1), vec![], "another session");
        assert_eq!(f.take(&a, "/workspaces/2", 1), vec![], "another page");
        assert_eq!(f.take(&a, "/workspaces/1", 1), vec![flash("k1")]);
        assert_eq!(f.take(&a, "/workspaces/1", 2), vec![], "taken already");

        f.put(&a, "/workspaces/1", flash("k2"), 0);
        f.put(&a, "/workspaces/1", flash("k3"), 0);
        assert_eq!(
            f.take(&a, "/workspaces/1", 1),
            vec![flash("k3")],
            "replaced"
        );

        f.put(&a, "/workspaces/1", flash("k4"), 0);
        assert_eq!(f.take(&a, "/workspaces/1", FLASH_TTL_MS), vec![], "expired");
    }

    #[test]
    fn a_key_and_an_invitation_wait_side_by_side_and_each_replaces_only_its_kind() {
        let f = Flashes::default();
        let a = [1u8; 32];
        f.put(&a, "/workspaces/1", flash("k1"), 0);
        f.put(&a, "/workspaces/1", invitation("i1"), 0);
        f.put(&a, "/workspaces/1", invitation("i2"), 0);
        assert_eq!(
            f.take(&a, "/workspaces/1", 1),
            vec![flash("k1"), invitation("i2")],
            "one of each kind, the latest invitation"
        );
        assert_eq!(f.take(&a, "/workspaces/1", 2), vec![], "both taken");

        f.put(&a, "/workspaces/1", flash("k2"), 0);
        f.put(&a, "/workspaces/2", invitation("i3"), 0);
        assert_eq!(f.take(&a, "/workspaces/2", 1), vec![invitation("i3")]);
        assert_eq!(
            f.take(&a, "/workspaces/1", 1),
            vec![flash("k2")],
            "the other page's flash stayed"
        );
    }
}
