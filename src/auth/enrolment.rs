//! Enrolling an authenticator app. Each account has at most one pending
//! secret, sealed in its user record like the confirmed one, so the setup
//! page shows the same QR code on every load until a code from the app
//! confirms it; it changes only when the user asks for a new one.

use super::{Auth, totp};
use crate::{
    domain::UserId,
    privacy::aad,
    store::{StoreError, UserRecord},
};

/// How a confirmation went.
#[derive(Debug, PartialEq, Eq)]
pub enum Enrolment {
    /// Two-factor is on; these recovery codes are shown once (only their
    /// hashes are kept).
    Enabled(Vec<String>),
    /// The code is not the pending secret's (wrong, or the app's clock is off).
    WrongCode,
    /// The form showed another secret than the pending one: it was replaced
    /// (in another window) since the page was loaded.
    Replaced,
    /// Two-factor is already on, or there is no pending secret (or user).
    Nothing,
}

impl Auth {
    fn open_pending(&self, user: &UserRecord) -> Option<Vec<u8>> {
        let sealed = hex::decode(user.totp_pending_sealed.as_deref()?).ok()?;
        self.keys
            .open(&aad::user_totp_pending(user.id.0), &sealed)
            .ok()
    }

    fn seal_pending(&self, user: UserId, secret: &[u8]) -> String {
        hex::encode(self.keys.seal(&aad::user_totp_pending(user.0), secret))
    }

    /// The user's pending TOTP secret (raw bytes), made and stored the first
    /// time it is asked for, or when the stored one doesn't open. `None`
    /// when two-factor is already on or the user is gone.
    ///
    /// # Errors
    /// Storage errors.
    pub fn pending_totp(&self, user: UserId) -> Result<Option<Vec<u8>>, StoreError> {
        let mut secret = None;
        self.store.update_user(user, |u| {
            if u.totp_sealed.is_some() {
                return false;
            }
            if let Some(s) = self.open_pending(u) {
                secret = Some(s);
                return false;
            }
            let fresh = totp::new_secret();
            u.totp_pending_sealed = Some(self.seal_pending(u.id, &fresh));
            secret = Some(fresh);
            true
        })?;
        Ok(secret)
    }

    /// Replaces the pending secret with a new one (the user asked for it:
    /// the old one was never scanned, or was scanned somewhere unwanted).
    /// Returns whether it did (not when two-factor is already on).
    ///
    /// # Errors
    /// Storage errors.
    pub fn renew_pending_totp(&self, user: UserId) -> Result<bool, StoreError> {
        self.store.update_user(user, |u| {
            if u.totp_sealed.is_some() {
                return false;
            }
            u.totp_pending_sealed = Some(self.seal_pending(u.id, &totp::new_secret()));
            true
        })
    }

    /// Confirms enrolment with a code made from the pending secret (one
    /// 30-second step of clock skew allowed), in one transaction: the
    /// pending secret becomes the confirmed one, with new recovery codes.
    /// `shown` is the secret the form displayed, if it says; a different
    /// pending one means it was replaced meanwhile. The code can't then be
    /// replayed at the login step.
    ///
    /// # Errors
    /// Storage errors.
    pub fn confirm_totp(
        &self,
        user: UserId,
        shown: Option<&[u8]>,
        code: &str,
        now_ms: u64,
    ) -> Result<Enrolment, StoreError> {
        let mut out = Enrolment::Nothing;
        let mut used = None;
        self.store.update_user(user, |u| {
            if u.totp_sealed.is_some() {
                return false;
            }
            let Some(secret) = self.open_pending(u) else {
                return false;
            };
            if shown.is_some_and(|s| s != secret.as_slice()) {
                out = Enrolment::Replaced;
                return false;
            }
            let Some(step) = totp::matching_step(&secret, code, now_ms) else {
                out = Enrolment::WrongCode;
                return false;
            };
            let (codes, hashes) = totp::recovery_codes();
            u.totp_sealed = Some(self.seal_totp(u.id, &secret));
            u.totp_pending_sealed = None;
            u.recovery_codes = hashes;
            out = Enrolment::Enabled(codes);
            used = Some(step);
            true
        })?;
        if let Some(step) = used {
            self.used_steps
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(user, step);
        }
        Ok(out)
    }

    /// Ten new recovery codes for a user who has none (their first passkey
    /// when no authenticator app is set up: without codes, losing the
    /// passkey would lock them out). `None` when they have codes already.
    /// The codes are shown once; only their hashes are kept.
    ///
    /// # Errors
    /// Storage errors.
    pub fn recovery_codes_if_none(&self, user: UserId) -> Result<Option<Vec<String>>, StoreError> {
        let mut out = None;
        self.store.update_user(user, |u| {
            if !u.recovery_codes.is_empty() {
                return false;
            }
            let (codes, hashes) = totp::recovery_codes();
            u.recovery_codes = hashes;
            out = Some(codes);
            true
        })?;
        Ok(out)
    }
}
