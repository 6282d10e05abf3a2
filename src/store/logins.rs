//! Server-side login sessions and one-time invitations. Both are keyed by the
//! SHA-256 of their token: the token itself lives only in a cookie or a URL.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError,
    rows::{from_json, to_json},
    tables::{INVITES, LOGINS},
};
use crate::domain::{Role, UserId, WorkspaceId};

/// How far a login has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginStage {
    /// Password checked; the second factor (a TOTP or recovery code, or a
    /// passkey) is still owed. (The name predates passkeys; it is stored.)
    AwaitingTotp,
    /// Fully logged in.
    Complete,
}

/// One login session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginSession {
    /// Whose.
    pub user: UserId,
    /// Stage.
    pub stage: LoginStage,
    /// Unix ms of login.
    pub created_ms: u64,
    /// Unix ms of the last request (updated at most once a minute).
    pub last_seen_ms: u64,
    /// Secret bound to forms of this session (CSRF token), hex.
    pub csrf: String,
    /// Browser and OS, for the session list ("Firefox on Linux").
    pub agent: String,
}

/// A pending invitation to join a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// Workspace joined.
    pub workspace: WorkspaceId,
    /// Role granted.
    pub role: Role,
    /// Invitee's email, sealed with the token hash as associated data (hex).
    pub email_sealed: String,
    /// Unix ms after which it is void.
    pub expires_ms: u64,
    /// Who invited.
    pub invited_by: UserId,
}

impl Store {
    /// Stores (or replaces) a login session.
    ///
    /// # Errors
    /// Storage errors.
    pub fn put_login(&self, hash: &[u8; 32], s: &LoginSession) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        tx.open_table(LOGINS)?
            .insert(hash.as_slice(), to_json(s)?.as_slice())?;
        tx.commit()?;
        Ok(())
    }

    /// A login session by token hash.
    ///
    /// # Errors
    /// Storage errors.
    pub fn login(&self, hash: &[u8; 32]) -> Result<Option<LoginSession>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(LOGINS)?;
        t.get(hash.as_slice())?
            .map(|v| from_json(v.value(), "login row"))
            .transpose()
    }

    /// A user's login sessions, with their token hashes.
    ///
    /// # Errors
    /// Storage errors.
    pub fn logins_of(&self, user: UserId) -> Result<Vec<([u8; 32], LoginSession)>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(LOGINS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            let s: LoginSession = from_json(v.value(), "login row")?;
            if s.user == user
                && let Ok(h) = <[u8; 32]>::try_from(k.value())
            {
                out.push((h, s));
            }
        }
        Ok(out)
    }

    /// Deletes login sessions for which `dead` holds; returns how many.
    ///
    /// # Errors
    /// Storage errors.
    pub fn delete_logins(
        &self,
        mut dead: impl FnMut(&[u8], &LoginSession) -> bool,
    ) -> Result<usize, StoreError> {
        let tx = self.db.begin_write()?;
        let mut n = 0;
        {
            let mut t = tx.open_table(LOGINS)?;
            let mut bad = false;
            t.retain(|k, v| match serde_json::from_slice::<LoginSession>(v) {
                Ok(s) if dead(k, &s) => {
                    n += 1;
                    false
                }
                Ok(_) => true,
                Err(_) => {
                    bad = true;
                    true
                }
            })?;
            if bad {
                tracing::warn!("a login session row could not be decoded; it was kept");
            }
        }
        tx.commit()?;
        Ok(n)
    }

    /// Stores an invitation under its token hash (hex).
    ///
    /// # Errors
    /// Storage errors.
    pub fn put_invite(&self, hash_hex: &str, invite: &Invite) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        tx.open_table(INVITES)?
            .insert(hash_hex, to_json(invite)?.as_slice())?;
        tx.commit()?;
        Ok(())
    }

    /// An invitation by token hash (hex).
    ///
    /// # Errors
    /// Storage errors.
    pub fn invite(&self, hash_hex: &str) -> Result<Option<Invite>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(INVITES)?;
        t.get(hash_hex)?
            .map(|v| from_json(v.value(), "invite row"))
            .transpose()
    }

    /// A workspace's invitations (expired ones too) with their token hashes
    /// (hex), soonest expiry first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn invites_of(&self, ws: WorkspaceId) -> Result<Vec<(String, Invite)>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(INVITES)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            let invite: Invite = from_json(v.value(), "invite row")?;
            if invite.workspace == ws {
                out.push((k.value().to_owned(), invite));
            }
        }
        out.sort_by_key(|(_, i)| i.expires_ms);
        Ok(out)
    }

    /// Deletes an invitation; returns whether it existed.
    ///
    /// # Errors
    /// Storage errors.
    pub fn delete_invite(&self, hash_hex: &str) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let found = tx.open_table(INVITES)?.remove(hash_hex)?.is_some();
        tx.commit()?;
        Ok(found)
    }
}
