//! The account service: creating users, checking logins, API keys, auditing.

use std::sync::{Arc, Mutex};

use super::{password, ratelimit::Limiter};
use crate::{
    config::AuthSettings,
    domain::{Email, Role, UserId, WorkspaceId},
    privacy::{self, Keys, aad},
    store::{
        ApiKeyRecord, AuditEntry, KeyScopes, Store, StoreError, UserRecord, Workspace,
        WorkspaceChoice,
    },
};

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Input the user can fix; the message is for them.
    #[error("{0}")]
    Invalid(String),
    /// Storage trouble.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a login was refused. The messages never say whether the account exists.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginFailure {
    /// Wrong email or password.
    Invalid,
    /// Too many failures; try again after this many seconds.
    Locked(u64),
}

/// Accounts, logins and keys over the store, with the keys that seal emails.
pub struct Auth {
    /// The store.
    pub store: Store,
    /// Sealing and index keys.
    pub keys: Arc<Keys>,
    /// `[auth]` settings.
    pub settings: AuthSettings,
    pub(super) limiter: Limiter,
    setup_token: Mutex<Option<String>>,
    /// Last TOTP step used per user: a code works once.
    pub(super) used_steps: Mutex<std::collections::HashMap<UserId, u64>>,
    /// Secrets waiting to be shown once after a redirect (new API keys).
    pub flashes: super::flash::Flashes,
    /// Passkey requests waiting for the browser's answer.
    pub(super) ceremonies: super::ceremonies::Ceremonies,
}

/// Purpose label of the email blind index.
const EMAIL_INDEX: &str = "account-email";

impl Auth {
    /// The service; makes a setup token when there are no users yet.
    ///
    /// # Errors
    /// Storage errors.
    pub fn new(store: Store, keys: Arc<Keys>, settings: AuthSettings) -> Result<Self, StoreError> {
        let token = (store.user_count()? == 0).then(privacy::random_token);
        Ok(Self {
            limiter: Limiter::new(settings.lockout_seconds.saturating_mul(1000)),
            store,
            keys,
            settings,
            setup_token: Mutex::new(token),
            used_steps: Mutex::new(std::collections::HashMap::new()),
            flashes: super::flash::Flashes::default(),
            ceremonies: super::ceremonies::Ceremonies::default(),
        })
    }

    /// The one-time setup token while the instance has no users.
    #[must_use]
    pub fn setup_token(&self) -> Option<String> {
        self.setup_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Checks and uses up the setup token.
    #[must_use]
    pub fn take_setup_token(&self, given: &str) -> bool {
        let mut t = self
            .setup_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let ok = t
            .as_deref()
            .is_some_and(|t| privacy::constant_time_eq(t.as_bytes(), given.as_bytes()));
        if ok {
            *t = None;
        }
        ok
    }

    fn email_index(&self, email: &Email) -> [u8; 32] {
        self.keys
            .blind_index(EMAIL_INDEX, email.as_str().as_bytes())
    }

    /// Creates a user (email sealed, password hashed) with a membership.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for a weak password or a taken email/workspace name.
    pub fn create_user(
        &self,
        email: &Email,
        password_plain: &str,
        workspace: WorkspaceChoice,
        role: Role,
        now_ms: u64,
    ) -> Result<(UserRecord, Workspace), AuthError> {
        password::check_policy(password_plain).map_err(AuthError::Invalid)?;
        if let WorkspaceChoice::New(name) = &workspace {
            check_workspace_name(name)?;
        }
        let hash = password::hash(password_plain);
        let keys = self.keys.clone();
        self.store
            .create_user(&self.email_index(email), workspace, role, now_ms, |id| {
                UserRecord {
                    id,
                    email_sealed: hex::encode(keys.seal(&email_aad(id), email.as_str().as_bytes())),
                    email_index: hex::encode(
                        keys.blind_index(EMAIL_INDEX, email.as_str().as_bytes()),
                    ),
                    password_hash: hash,
                    totp_sealed: None,
                    totp_pending_sealed: None,
                    recovery_codes: Vec::new(),
                    created_ms: now_ms,
                }
            })
            .map_err(|e| match e {
                StoreError::Conflict(m) => AuthError::Invalid(m),
                other => other.into(),
            })
    }

    /// The user with this email, if any.
    ///
    /// # Errors
    /// Storage errors.
    pub fn user_by_email(&self, email: &Email) -> Result<Option<UserRecord>, StoreError> {
        self.store.user_by_email_index(&self.email_index(email))
    }

    /// A user's email, opened; a placeholder if it can't be (wrong key file).
    #[must_use]
    pub fn email_of(&self, user: &UserRecord) -> String {
        hex::decode(&user.email_sealed)
            .ok()
            .and_then(|b| self.keys.open(&email_aad(user.id), &b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| format!("user #{} (email unreadable)", user.id))
    }

    /// The TOTP secret of a user who has enrolled.
    #[must_use]
    pub fn totp_secret(&self, user: &UserRecord) -> Option<Vec<u8>> {
        let sealed = hex::decode(user.totp_sealed.as_deref()?).ok()?;
        self.keys.open(&totp_aad(user.id), &sealed).ok()
    }

    /// Seals a TOTP secret for a user record.
    #[must_use]
    pub fn seal_totp(&self, user: UserId, secret: &[u8]) -> String {
        hex::encode(self.keys.seal(&totp_aad(user), secret))
    }

    /// Checks an email and password, throttled per account and per network.
    /// Failures and lockouts are audited.
    ///
    /// # Errors
    /// Storage errors.
    pub fn check_login(
        &self,
        email_input: &str,
        password_plain: &str,
        network: &str,
        now_ms: u64,
    ) -> Result<Result<UserRecord, LoginFailure>, StoreError> {
        let email = Email::parse(email_input).ok();
        let account_key = email
            .as_ref()
            .map(|e| format!("acct:{}", hex::encode(self.email_index(e))));
        let locked = [account_key.as_deref(), Some(network)]
            .into_iter()
            .flatten()
            .filter_map(|k| self.limiter.locked_for(k, now_ms))
            .max();
        if let Some(ms) = locked {
            return Ok(Err(LoginFailure::Locked(ms.div_ceil(1000))));
        }
        let user = match &email {
            Some(e) => self.user_by_email(e)?,
            None => None,
        };
        let ok = match &user {
            Some(u) => password::verify(password_plain, &u.password_hash),
            None => {
                // Same work as a real check, so timing doesn't reveal accounts.
                let _ = password::verify(password_plain, password::decoy_hash());
                false
            }
        };
        if ok && let Some(u) = user {
            if let Some(k) = &account_key {
                self.limiter.succeed(k);
            }
            return Ok(Ok(u));
        }
        let s = &self.settings;
        let lock_acct = account_key
            .as_deref()
            .and_then(|k| self.limiter.fail(k, s.max_failures_per_account, now_ms));
        let lock_net = self.limiter.fail(network, s.max_failures_per_ip, now_ms);
        let (workspaces, actor) = match &user {
            Some(u) => (self.workspaces_of(u.id)?, Some(u.id)),
            None => (vec![WorkspaceId(0)], None),
        };
        let detail = match lock_acct.max(lock_net) {
            Some(ms) => format!("wrong password; locked for {} s", ms.div_ceil(1000)),
            None if user.is_some() => "wrong password".to_owned(),
            None => "unknown account".to_owned(),
        };
        self.audit(&workspaces, actor, "login_failed", &detail, now_ms)?;
        Ok(Err(match lock_acct.max(lock_net) {
            Some(ms) => LoginFailure::Locked(ms.div_ceil(1000)),
            None => LoginFailure::Invalid,
        }))
    }

    /// The workspaces a user belongs to (or the instance log if none).
    ///
    /// # Errors
    /// Storage errors.
    pub fn workspaces_of(&self, user: UserId) -> Result<Vec<WorkspaceId>, StoreError> {
        let ws: Vec<WorkspaceId> = self
            .store
            .memberships(user)?
            .into_iter()
            .map(|(w, _)| w)
            .collect();
        Ok(if ws.is_empty() {
            vec![WorkspaceId(0)]
        } else {
            ws
        })
    }

    /// Records an action in the audit logs of `workspaces`.
    ///
    /// # Errors
    /// Storage errors.
    pub fn audit(
        &self,
        workspaces: &[WorkspaceId],
        actor: Option<UserId>,
        action: &str,
        detail: &str,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        // Details name people (emails): sealed at rest like account emails,
        // and kept out of the log.
        tracing::info!(action, actor = ?actor.map(|a| a.0), "audit");
        self.store.append_audit(
            workspaces,
            &AuditEntry {
                at_ms: now_ms,
                actor,
                action: action.to_owned(),
                detail: hex::encode(
                    self.keys
                        .seal(&aad::audit_detail(now_ms, action), detail.as_bytes()),
                ),
            },
        )
    }

    /// Records an action by `user` in the logs of all their workspaces.
    ///
    /// # Errors
    /// Storage errors.
    pub fn audit_user(
        &self,
        user: UserId,
        action: &str,
        detail: &str,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        self.audit(
            &self.workspaces_of(user)?,
            Some(user),
            action,
            detail,
            now_ms,
        )
    }

    /// An audit entry's details, opened.
    #[must_use]
    pub fn audit_detail(&self, entry: &AuditEntry) -> String {
        hex::decode(&entry.detail)
            .ok()
            .and_then(|b| {
                self.keys
                    .open(&aad::audit_detail(entry.at_ms, &entry.action), &b)
                    .or_else(|_| self.keys.open(aad::AUDIT_DETAIL_LEGACY, &b))
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| "(unreadable)".to_owned())
    }

    /// Makes an API key for a workspace; the key is returned once, only its hash is kept.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] for a bad name, else storage errors.
    pub fn create_api_key(
        &self,
        workspace: WorkspaceId,
        name: &str,
        scopes: KeyScopes,
        now_ms: u64,
    ) -> Result<(String, ApiKeyRecord), AuthError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AuthError::Invalid(
                "key name must be 1 to 100 characters".into(),
            ));
        }
        let key = format!("tp_{}", hex::encode(privacy::random_bytes::<24>()));
        let record = ApiKeyRecord {
            name: name.to_owned(),
            prefix: key[..9].to_owned(),
            created_ms: now_ms,
            workspace,
            conversions: scopes.conversions,
            sites: scopes.sites,
        };
        self.store
            .add_api_key(&privacy::sha256_hex(key.as_bytes()), &record)?;
        Ok((key, record))
    }
}

/// Checks a workspace name.
///
/// # Errors
/// [`AuthError::Invalid`] when empty or longer than 80 characters.
pub fn check_workspace_name(name: &str) -> Result<(), AuthError> {
    let n = name.trim().chars().count();
    if n == 0 || n > 80 || name.chars().any(char::is_control) {
        return Err(AuthError::Invalid(
            "workspace name must be 1 to 80 printable characters".into(),
        ));
    }
    Ok(())
}

fn email_aad(id: UserId) -> Vec<u8> {
    aad::user_email(id.0)
}

fn totp_aad(id: UserId) -> Vec<u8> {
    aad::user_totp(id.0)
}
