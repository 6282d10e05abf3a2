//! Server-side login sessions. The browser holds a random token in an
//! HttpOnly cookie; the store holds its SHA-256, so a copy of the store can't
//! be used to log in. Sessions end after `session_idle_minutes` unused or
//! `session_max_days` after login, whichever comes first.

use super::Auth;
use crate::{
    domain::UserId,
    privacy,
    store::{LoginSession, LoginStage, StoreError, UserRecord},
};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "tp_session";

/// `last_seen_ms` is rewritten at most this often, so browsing costs no writes.
const TOUCH_EVERY_MS: u64 = 60_000;

/// A live login, resolved from a request's cookie.
#[derive(Debug, Clone)]
pub struct CurrentLogin {
    /// SHA-256 of the token (the row key).
    pub hash: [u8; 32],
    /// The session row.
    pub session: LoginSession,
    /// Whose it is.
    pub user: UserRecord,
}

impl CurrentLogin {
    /// A short public id for lists and revocation: not usable to log in.
    #[must_use]
    pub fn public_id(&self) -> String {
        public_id(&self.hash)
    }
}

/// The public id of a session hash.
#[must_use]
pub fn public_id(hash: &[u8; 32]) -> String {
    hex::encode(&hash[..8])
}

impl Auth {
    /// Starts a session; returns the token for the cookie.
    ///
    /// # Errors
    /// Storage errors.
    pub fn start_session(
        &self,
        user: UserId,
        stage: LoginStage,
        agent: &str,
        now_ms: u64,
    ) -> Result<String, StoreError> {
        let token = privacy::random_token();
        self.store.put_login(
            &privacy::sha256(token.as_bytes()),
            &LoginSession {
                user,
                stage,
                created_ms: now_ms,
                last_seen_ms: now_ms,
                csrf: privacy::random_token(),
                agent: agent.chars().take(100).collect(),
            },
        )?;
        Ok(token)
    }

    fn expired(&self, s: &LoginSession, now_ms: u64) -> bool {
        let idle = self.settings.session_idle_minutes.saturating_mul(60_000);
        let max = self.settings.session_max_days.saturating_mul(86_400_000);
        // A half-finished login (password done, second factor owed) lasts 10 minutes.
        let max = match s.stage {
            LoginStage::AwaitingTotp => max.min(600_000),
            LoginStage::Complete => max,
        };
        now_ms >= s.last_seen_ms.saturating_add(idle) || now_ms >= s.created_ms.saturating_add(max)
    }

    /// The live session of a cookie token, touching its last-seen time.
    ///
    /// # Errors
    /// Storage errors.
    pub fn resume(&self, token: &str, now_ms: u64) -> Result<Option<CurrentLogin>, StoreError> {
        if token.len() != 64 {
            return Ok(None);
        }
        let hash = privacy::sha256(token.as_bytes());
        let Some(mut session) = self.store.login(&hash)? else {
            return Ok(None);
        };
        if self.expired(&session, now_ms) {
            self.store.delete_logins(|k, _| k == hash.as_slice())?;
            return Ok(None);
        }
        let Some(user) = self.store.user(session.user)? else {
            return Ok(None);
        };
        if now_ms >= session.last_seen_ms + TOUCH_EVERY_MS {
            session.last_seen_ms = now_ms;
            self.store.put_login(&hash, &session)?;
        }
        Ok(Some(CurrentLogin {
            hash,
            session,
            user,
        }))
    }

    /// Ends one session.
    ///
    /// # Errors
    /// Storage errors.
    pub fn end_session(&self, hash: &[u8; 32]) -> Result<(), StoreError> {
        self.store.delete_logins(|k, _| k == hash.as_slice())?;
        Ok(())
    }

    /// Ends a user's session by its public id; returns whether one matched.
    ///
    /// # Errors
    /// Storage errors.
    pub fn end_session_by_public_id(&self, user: UserId, id: &str) -> Result<bool, StoreError> {
        let n = self.store.delete_logins(|k, s| {
            s.user == user && <[u8; 32]>::try_from(k).is_ok_and(|h| public_id(&h) == id)
        })?;
        Ok(n > 0)
    }

    /// Ends every session of a user except `keep`; returns how many ended.
    ///
    /// # Errors
    /// Storage errors.
    pub fn end_sessions_of(
        &self,
        user: UserId,
        keep: Option<&[u8; 32]>,
    ) -> Result<usize, StoreError> {
        self.store
            .delete_logins(|k, s| s.user == user && keep.is_none_or(|h| k != h.as_slice()))
    }

    /// Deletes expired sessions (a scheduled job and tests call this).
    ///
    /// # Errors
    /// Storage errors.
    pub fn purge_expired_sessions(&self, now_ms: u64) -> Result<usize, StoreError> {
        self.store.delete_logins(|_, s| self.expired(s, now_ms))
    }
}
