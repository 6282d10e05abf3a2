//! Signing in with a passkey: as the second step after the password (only
//! that account's passkeys count), or without the password (any registered
//! passkey, found by the credential the browser presents and checked against
//! the user handle it was made for). Failures are throttled and audited like
//! passwords: the second step shares the TOTP step's per-account allowance, a
//! passwordless attempt counts against the network and, once the passkey
//! names an account, that account.

use webauthn_rs::prelude::{AuthenticationResult, PublicKeyCredential, RequestChallengeResponse};

use super::{
    Auth, LoginFailure,
    ceremonies::Pending,
    passkeys::{Answer, PasskeyError, RelyingParty, key_of},
    second_factor::second_factor_key,
};
use crate::{
    domain::{UserId, WorkspaceId},
    privacy,
    store::{PasskeyKey, StoreError, UserRecord},
};

/// The throttling key of an account, the same as the password path's.
fn account_key(user: &UserRecord) -> String {
    format!("acct:{}", user.email_index)
}

fn locked(ms: u64) -> LoginFailure {
    LoginFailure::Locked(ms.div_ceil(1000))
}

impl Auth {
    /// Starts a passkey sign-in: the options for `navigator.credentials.get()`
    /// and the ceremony's id, bound to `binding` (the browser's login session
    /// or pre-login cookie). With `second_step_of`, the password was checked
    /// and only that user's passkeys are allowed; without, any passkey may
    /// answer (passwordless).
    ///
    /// # Errors
    /// [`PasskeyError::Locked`] while the account (second step) or network
    /// (passwordless) is locked out, [`PasskeyError::Unknown`] when the user
    /// has no passkey, storage errors.
    pub fn begin_passkey_sign_in(
        &self,
        rp: &RelyingParty,
        second_step_of: Option<&UserRecord>,
        binding: [u8; 32],
        network: &str,
        now_ms: u64,
    ) -> Result<(String, RequestChallengeResponse), PasskeyError> {
        let (options, pending) = if let Some(user) = second_step_of {
            if let Some(ms) = self.limiter.locked_for(&second_factor_key(user.id), now_ms) {
                return Err(PasskeyError::Locked(ms.div_ceil(1000)));
            }
            let mut mine = Vec::new();
            for (key, p) in self.store.passkeys_of(user.id)? {
                mine.push(self.open_credential(user.id, &key, &p)?);
            }
            if mine.is_empty() {
                return Err(PasskeyError::Unknown);
            }
            let (options, state) = rp
                .webauthn
                .start_passkey_authentication(&mine)
                .map_err(PasskeyError::Rejected)?;
            (options, Pending::SecondFactor { state })
        } else {
            if let Some(ms) = self.limiter.locked_for(network, now_ms) {
                return Err(PasskeyError::Locked(ms.div_ceil(1000)));
            }
            let (mut options, state) = rp
                .webauthn
                .start_discoverable_authentication()
                .map_err(PasskeyError::Rejected)?;
            // A button asks for the passkey, not the email field's autofill.
            options.mediation = None;
            (options, Pending::SignIn { state })
        };
        let user = second_step_of.map(|u| u.id);
        Ok((
            self.ceremonies.start(binding, user, pending, now_ms),
            options,
        ))
    }

    /// Finishes the second login step of `user` with the browser's answer.
    /// Failures are audited.
    ///
    /// # Errors
    /// Storage errors.
    pub fn finish_passkey_second_step(
        &self,
        rp: &RelyingParty,
        user: &UserRecord,
        answer: &Answer<'_>,
        now_ms: u64,
    ) -> Result<Result<(), LoginFailure>, StoreError> {
        let key = second_factor_key(user.id);
        if let Some(ms) = self.limiter.locked_for(&key, now_ms) {
            return Ok(Err(locked(ms)));
        }
        match self.verify_second_step(rp, user.id, answer, now_ms) {
            Ok(()) => {
                self.limiter.succeed(&key);
                Ok(Ok(()))
            }
            Err(PasskeyError::Store(e)) => Err(e),
            Err(e) => {
                tracing::info!(error = ?e, "passkey second step refused");
                let lock = self
                    .limiter
                    .fail(&key, self.settings.max_failures_per_account, now_ms);
                self.audit_user(user.id, "login_failed", &format!("passkey: {e}"), now_ms)?;
                Ok(Err(lock.map_or(LoginFailure::Invalid, locked)))
            }
        }
    }

    fn verify_second_step(
        &self,
        rp: &RelyingParty,
        user: UserId,
        answer: &Answer<'_>,
        now_ms: u64,
    ) -> Result<(), PasskeyError> {
        let Some(Pending::SecondFactor { state }) =
            self.ceremonies
                .take(answer.ceremony, answer.binding, Some(user), now_ms)
        else {
            return Err(PasskeyError::Expired);
        };
        let result = rp
            .webauthn
            .finish_passkey_authentication(&answer.parse()?, &state)
            .map_err(PasskeyError::Rejected)?;
        self.record_use(user, &key_of(result.cred_id()), &result, now_ms)
    }

    /// Finishes a passwordless sign-in from network `network`; the account
    /// the passkey belongs to when it verifies. Failures are audited.
    ///
    /// # Errors
    /// Storage errors.
    pub fn finish_passkey_sign_in(
        &self,
        rp: &RelyingParty,
        answer: &Answer<'_>,
        network: &str,
        now_ms: u64,
    ) -> Result<Result<UserRecord, LoginFailure>, StoreError> {
        if let Some(ms) = self.limiter.locked_for(network, now_ms) {
            return Ok(Err(locked(ms)));
        }
        let mut who = None;
        let e = match self.verify_sign_in(rp, answer, now_ms, &mut who) {
            Ok(user) => {
                self.limiter.succeed(&account_key(&user));
                return Ok(Ok(user));
            }
            Err(PasskeyError::Store(e)) => return Err(e),
            Err(PasskeyError::Locked(s)) => return Ok(Err(LoginFailure::Locked(s))),
            Err(e) => e,
        };
        tracing::info!(error = ?e, "passkey sign-in refused");
        let s = &self.settings;
        let lock_acct = who.as_ref().and_then(|u| {
            self.limiter
                .fail(&account_key(u), s.max_failures_per_account, now_ms)
        });
        let lock_net = self.limiter.fail(network, s.max_failures_per_ip, now_ms);
        let detail = format!("passkey: {e}");
        match &who {
            Some(u) => self.audit_user(u.id, "login_failed", &detail, now_ms)?,
            None => self.audit(&[WorkspaceId(0)], None, "login_failed", &detail, now_ms)?,
        }
        Ok(Err(lock_acct
            .max(lock_net)
            .map_or(LoginFailure::Invalid, locked)))
    }

    fn verify_sign_in(
        &self,
        rp: &RelyingParty,
        answer: &Answer<'_>,
        now_ms: u64,
        who: &mut Option<UserRecord>,
    ) -> Result<UserRecord, PasskeyError> {
        let Some(Pending::SignIn { state }) =
            self.ceremonies
                .take(answer.ceremony, answer.binding, None, now_ms)
        else {
            return Err(PasskeyError::Expired);
        };
        let answer: PublicKeyCredential = answer.parse()?;
        let (handle, credential_id) = rp
            .webauthn
            .identify_discoverable_authentication(&answer)
            .map_err(PasskeyError::Rejected)?;
        let key = key_of(credential_id);
        let (id, record) = self
            .store
            .passkey_owner(&key)?
            .ok_or(PasskeyError::Unknown)?;
        let user = self.store.user(id)?.ok_or(PasskeyError::Unknown)?;
        *who = Some(user.clone());
        if let Some(ms) = self.limiter.locked_for(&account_key(&user), now_ms) {
            return Err(PasskeyError::Locked(ms.div_ceil(1000)));
        }
        let presented = hex::encode(handle.as_bytes());
        if !privacy::constant_time_eq(presented.as_bytes(), record.user_handle.as_bytes()) {
            return Err(PasskeyError::Unknown);
        }
        let passkey = self.open_credential(id, &key, &record)?;
        let result = rp
            .webauthn
            .finish_discoverable_authentication_v2(&answer, state, &passkey)
            .map_err(PasskeyError::Rejected)?;
        self.record_use(id, &key, &result, now_ms)?;
        Ok(user)
    }

    /// Notes a sign-in with a passkey: its last use and, when the device
    /// says so, its new signature counter. A passkey removed meanwhile
    /// doesn't count.
    fn record_use(
        &self,
        user: UserId,
        key: &PasskeyKey,
        result: &AuthenticationResult,
        now_ms: u64,
    ) -> Result<(), PasskeyError> {
        let mut failed = None;
        let found = self.store.update_passkey(user, key, |p| {
            p.last_used_ms = Some(now_ms);
            if !result.needs_update() {
                return true;
            }
            let resealed = self.open_credential(user, key, p).and_then(|mut passkey| {
                passkey.update_credential(result);
                self.seal_credential(user, key, &passkey)
            });
            match resealed {
                Ok(sealed) => p.credential_sealed = sealed,
                Err(e) => failed = Some(e),
            }
            failed.is_none()
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        if found {
            Ok(())
        } else {
            Err(PasskeyError::Unknown)
        }
    }
}
