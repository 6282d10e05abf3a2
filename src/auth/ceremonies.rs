//! Passkey ceremonies in progress: the challenge state `webauthn-rs` made
//! when the browser was asked for a passkey, kept on the server (never in
//! the page or a cookie), bound to the browser that asked (its login session
//! or pre-login cookie), usable once and for [`CEREMONY_MS`]. In memory: a
//! restart only means asking the browser again.

use std::{collections::HashMap, sync::Mutex};

use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PasskeyRegistration,
};

use crate::{domain::UserId, privacy};

/// How long a browser has to answer a passkey request.
pub const CEREMONY_MS: u64 = 5 * 60_000;

/// At most this many ceremonies wait at once; past it the oldest is dropped
/// (the login page's request needs no account, so its count must be bounded).
const MAX_CEREMONIES: usize = 10_000;

/// What a ceremony is for, with the state to finish it.
pub(super) enum Pending {
    /// Adding a passkey named `name` (its account's user handle `handle`).
    Enrol {
        name: String,
        handle: [u8; 16],
        state: PasskeyRegistration,
    },
    /// A second login step (the account's passkeys only).
    SecondFactor { state: PasskeyAuthentication },
    /// A passwordless sign-in (any registered passkey).
    SignIn { state: DiscoverableAuthentication },
}

struct Entry {
    binding: [u8; 32],
    user: Option<UserId>,
    started_ms: u64,
    pending: Pending,
}

/// The ceremonies waiting for a browser's answer.
#[derive(Default)]
pub(super) struct Ceremonies {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Ceremonies {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps `pending` for the browser bound by `binding`, on behalf of
    /// `user` when it is one account's; returns the ceremony's id for the
    /// page to send back.
    pub(super) fn start(
        &self,
        binding: [u8; 32],
        user: Option<UserId>,
        pending: Pending,
        now_ms: u64,
    ) -> String {
        let id = privacy::random_token();
        let mut map = self.lock();
        map.retain(|_, e| now_ms < e.started_ms.saturating_add(CEREMONY_MS));
        if map.len() >= MAX_CEREMONIES
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, e)| e.started_ms)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(
            id.clone(),
            Entry {
                binding,
                user,
                started_ms: now_ms,
                pending,
            },
        );
        id
    }

    /// Takes a ceremony out (it can't be finished twice, whatever the
    /// outcome): `None` when unknown, used, expired, started by another
    /// browser or on behalf of someone else than `user`.
    pub(super) fn take(
        &self,
        id: &str,
        binding: &[u8; 32],
        user: Option<UserId>,
        now_ms: u64,
    ) -> Option<Pending> {
        let entry = self.lock().remove(id)?;
        let fresh = now_ms < entry.started_ms.saturating_add(CEREMONY_MS);
        let theirs = privacy::constant_time_eq(&entry.binding, binding) && entry.user == user;
        (fresh && theirs).then_some(entry.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_in() -> Pending {
        let origin = url::Url::parse("https://a.example").unwrap();
        let rp = webauthn_rs::WebauthnBuilder::new("a.example", &origin)
            .unwrap()
            .build()
            .unwrap();
        let (_, state) = rp.start_discoverable_authentication().unwrap();
        Pending::SignIn { state }
    }

    #[test]
    fn a_ceremony_is_taken_once_by_its_browser_before_it_expires() {
        let c = Ceremonies::default();
        let id = c.start([1; 32], None, sign_in(), 1_000);
        assert!(c.take(&id, &[1; 32], None, 2_000).is_some());
        assert!(c.take(&id, &[1; 32], None, 2_000).is_none(), "used");

        let id = c.start([1; 32], None, sign_in(), 1_000);
        assert!(
            c.take(&id, &[2; 32], None, 2_000).is_none(),
            "another browser"
        );
        assert!(
            c.take(&id, &[1; 32], None, 2_000).is_none(),
            "gone after a try"
        );

        let id = c.start([1; 32], Some(UserId(1)), sign_in(), 1_000);
        assert!(
            c.take(&id, &[1; 32], Some(UserId(2)), 2_000).is_none(),
            "another user"
        );

        let id = c.start([1; 32], None, sign_in(), 1_000);
        let late = 1_000 + CEREMONY_MS;
        assert!(c.take(&id, &[1; 32], None, late).is_none(), "expired");
        assert!(c.take("nope", &[1; 32], None, 1_000).is_none());
    }
}
