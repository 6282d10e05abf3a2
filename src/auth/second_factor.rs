//! The second login step: a TOTP code (each usable once) or a recovery code
//! (struck off as it is checked), throttled like passwords. (A passkey is
//! the other way through it: `passkey_login`.)

use super::{Auth, LoginFailure};
use crate::{
    domain::UserId,
    store::{StoreError, UserRecord},
};

/// The throttling key of a user's second step: codes and passkeys share
/// one allowance.
pub(super) fn second_factor_key(user: UserId) -> String {
    format!("2fa:{}", user.0)
}

impl Auth {
    /// Checks a TOTP or recovery code for a user who passed the password step.
    /// A used recovery code is struck off. Throttled like passwords.
    ///
    /// # Errors
    /// Storage errors.
    pub fn check_second_factor(
        &self,
        user: &UserRecord,
        code: &str,
        now_ms: u64,
    ) -> Result<Result<&'static str, LoginFailure>, StoreError> {
        let key = second_factor_key(user.id);
        if let Some(ms) = self.limiter.locked_for(&key, now_ms) {
            return Ok(Err(LoginFailure::Locked(ms.div_ceil(1000))));
        }
        if let Some(step) = self
            .totp_secret(user)
            .and_then(|s| super::totp::matching_step(&s, code, now_ms))
        {
            let mut used = self
                .used_steps
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // A code (or an older one) already used can't be replayed.
            if used.get(&user.id).is_none_or(|&last| step > last) {
                used.insert(user.id, step);
                drop(used);
                self.limiter.succeed(&key);
                return Ok(Ok("authenticator code"));
            }
        }
        // Struck off in the same transaction that checks it: a code can't be
        // spent twice by parallel requests.
        let redeemed = self.store.update_user(user.id, |u| {
            match super::totp::redeem_recovery(&u.recovery_codes, code) {
                Some(rest) => {
                    u.recovery_codes = rest;
                    true
                }
                None => false,
            }
        })?;
        if redeemed {
            self.limiter.succeed(&key);
            return Ok(Ok("recovery code"));
        }
        let lock = self
            .limiter
            .fail(&key, self.settings.max_failures_per_account, now_ms);
        self.audit_user(user.id, "login_failed", "wrong two-factor code", now_ms)?;
        Ok(Err(lock.map_or(LoginFailure::Invalid, |ms| {
            LoginFailure::Locked(ms.div_ceil(1000))
        })))
    }
}
