//! Passkeys (WebAuthn, through `webauthn-rs`): adding one to an account,
//! listing and removing them. Signing in with one is in `passkey_login`.
//!
//! The relying party is this server as the browser reaches it: its origin
//! and, as the relying-party id, that origin's host name (see
//! [`RelyingParty::for_origin`]). Every passkey is a discoverable credential
//! requiring user verification (a PIN or biometric on the device), so one
//! passkey serves both as a second factor and for a passwordless sign-in.

use std::time::Duration;

use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use super::{
    Auth,
    ceremonies::{CEREMONY_MS, Pending},
};
use crate::{
    domain::UserId,
    privacy,
    privacy::aad,
    store::{PasskeyKey, PasskeyRecord, StoreError, UserRecord, codec::CodecError},
};

/// The longest name a passkey may have, in characters.
pub const MAX_NAME_CHARS: usize = 60;

/// Why a passkey operation failed. The messages are for the person at the
/// browser; the sources say more in the log.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The server's address has no host name to bind passkeys to (it was
    /// reached by IP address), or isn't a URL.
    #[error("passkeys need the dashboard to be reached by a host name, not an IP address")]
    Address(#[source] WebauthnError),
    /// A name that is empty, too long or has control characters.
    #[error("a passkey's name must be 1 to {MAX_NAME_CHARS} printable characters")]
    Name,
    /// No such request: it expired, was already answered, or another
    /// browser made it.
    #[error("the passkey request expired or was already used; try again")]
    Expired,
    /// The browser's answer is not a WebAuthn credential.
    #[error("the browser's answer could not be read")]
    Malformed(#[source] serde_json::Error),
    /// The answer does not verify: another challenge or origin, a bad
    /// signature, a credential not allowed here, a replayed counter.
    #[error("the passkey was not accepted")]
    Rejected(#[source] WebauthnError),
    /// No account has this passkey (or not the account signing in).
    #[error("this passkey is not registered here")]
    Unknown,
    /// The passkey is already registered (to this account or another).
    #[error("this passkey is already registered")]
    Duplicate,
    /// Too many failed attempts; try again after this many seconds.
    #[error("too many failed attempts")]
    Locked(u64),
    /// Storage trouble.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// This server as a WebAuthn relying party, for one origin.
pub struct RelyingParty {
    pub(super) webauthn: Webauthn,
}

impl RelyingParty {
    /// The relying party of the origin browsers use (`https://stats.example.com`,
    /// `http://localhost:8080`): passkeys are bound to its host name, and
    /// answers are accepted only from exactly this origin (scheme and port
    /// included).
    ///
    /// # Errors
    /// [`PasskeyError::Address`] when the origin is no URL or its host is an
    /// IP address (WebAuthn needs a domain).
    pub fn for_origin(origin: &str) -> Result<Self, PasskeyError> {
        let url =
            Url::parse(origin).map_err(|_| PasskeyError::Address(WebauthnError::Configuration))?;
        let id = url
            .domain()
            .ok_or(PasskeyError::Address(WebauthnError::Configuration))?
            .to_owned();
        let webauthn = WebauthnBuilder::new(&id, &url)
            .and_then(|b| {
                b.rp_name("Touchpoint")
                    .timeout(Duration::from_millis(CEREMONY_MS))
                    .build()
            })
            .map_err(PasskeyError::Address)?;
        Ok(Self { webauthn })
    }
}

/// A passkey as the account page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyEntry {
    /// Its id in URLs: the hex SHA-256 of the credential id.
    pub id: String,
    /// The name its owner gave it (a placeholder when it can't be opened).
    pub name: String,
    /// Unix ms it was added.
    pub created_ms: u64,
    /// Unix ms of the last sign-in with it.
    pub last_used_ms: Option<u64>,
}

/// Checks and trims a passkey's name.
fn check_name(name: &str) -> Result<&str, PasskeyError> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(PasskeyError::Name);
    }
    Ok(name)
}

/// A browser's answer to a ceremony, as its form posted it.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The ceremony's id, from its start.
    pub ceremony: &'a str,
    /// What binds the browser (see `begin_passkey_enrolment`): it must be
    /// the one that started the ceremony.
    pub binding: &'a [u8; 32],
    /// The browser's `PublicKeyCredential` as JSON.
    pub credential: &'a str,
}

impl Answer<'_> {
    /// The credential, read.
    pub(super) fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, PasskeyError> {
        serde_json::from_str(self.credential).map_err(PasskeyError::Malformed)
    }
}

/// The key of a credential id.
pub(super) fn key_of(credential_id: &[u8]) -> PasskeyKey {
    privacy::sha256(credential_id)
}

fn corrupt() -> StoreError {
    StoreError::Corrupt(CodecError("a passkey does not open"))
}

impl Auth {
    pub(super) fn seal_credential(
        &self,
        user: UserId,
        key: &PasskeyKey,
        p: &Passkey,
    ) -> Result<String, StoreError> {
        let json = serde_json::to_vec(p).map_err(StoreError::Encode)?;
        let aad = aad::passkey_credential(user.0, &hex::encode(key));
        Ok(hex::encode(self.keys.seal(&aad, &json)))
    }

    pub(super) fn open_credential(
        &self,
        user: UserId,
        key: &PasskeyKey,
        record: &PasskeyRecord,
    ) -> Result<Passkey, StoreError> {
        let sealed = hex::decode(&record.credential_sealed).map_err(|_| corrupt())?;
        let aad = aad::passkey_credential(user.0, &hex::encode(key));
        let json = self.keys.open(&aad, &sealed).map_err(|_| corrupt())?;
        serde_json::from_slice(&json).map_err(|_| corrupt())
    }

    fn open_name(&self, user: UserId, key: &PasskeyKey, record: &PasskeyRecord) -> Option<String> {
        let sealed = hex::decode(&record.name_sealed).ok()?;
        let aad = aad::passkey_name(user.0, &hex::encode(key));
        String::from_utf8(self.keys.open(&aad, &sealed).ok()?).ok()
    }

    /// A user's passkeys, oldest first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn passkeys(&self, user: UserId) -> Result<Vec<PasskeyEntry>, StoreError> {
        let mut out: Vec<PasskeyEntry> = self
            .store
            .passkeys_of(user)?
            .into_iter()
            .map(|(key, p)| PasskeyEntry {
                id: hex::encode(key),
                name: self
                    .open_name(user, &key, &p)
                    .unwrap_or_else(|| "(name unreadable)".to_owned()),
                created_ms: p.created_ms,
                last_used_ms: p.last_used_ms,
            })
            .collect();
        out.sort_by_key(|p| p.created_ms);
        Ok(out)
    }

    /// Whether a user has a second factor: TOTP or at least one passkey.
    /// Either one satisfies `auth.require_mfa_for_admins`.
    ///
    /// # Errors
    /// Storage errors.
    pub fn has_second_factor(&self, user: &UserRecord) -> Result<bool, StoreError> {
        Ok(user.totp_sealed.is_some() || self.store.has_passkeys(user.id)?)
    }

    /// Starts adding a passkey named `name` to `user`: the options for
    /// `navigator.credentials.create()` (the account's passkeys excluded,
    /// so a device isn't registered twice) and the ceremony's id, bound to
    /// `binding` (the login session).
    ///
    /// # Errors
    /// [`PasskeyError::Name`], [`PasskeyError::Rejected`] if the library
    /// refuses, storage errors.
    pub fn begin_passkey_enrolment(
        &self,
        rp: &RelyingParty,
        user: &UserRecord,
        name: &str,
        binding: [u8; 32],
        now_ms: u64,
    ) -> Result<(String, CreationChallengeResponse), PasskeyError> {
        let name = check_name(name)?.to_owned();
        let mine = self.store.passkeys_of(user.id)?;
        // Every passkey of an account carries the same user handle, random
        // (it must not reveal the account), made with the first one.
        let handle = mine
            .first()
            .and_then(|(_, p)| <[u8; 16]>::try_from(hex::decode(&p.user_handle).ok()?).ok())
            .unwrap_or_else(privacy::random_bytes::<16>);
        let mut exclude = Vec::new();
        for (key, p) in &mine {
            exclude.push(self.open_credential(user.id, key, p)?.cred_id().clone());
        }
        let email = self.email_of(user);
        let (mut options, state) = rp
            .webauthn
            .start_passkey_registration(Uuid::from_bytes(handle), &email, &email, Some(exclude))
            .map_err(PasskeyError::Rejected)?;
        // A passkey is a discoverable credential, so that it can also sign
        // in without the password.
        if let Some(sel) = options.public_key.authenticator_selection.as_mut() {
            sel.resident_key = Some(ResidentKeyRequirement::Required);
            sel.require_resident_key = true;
        }
        let pending = Pending::Enrol {
            name,
            handle,
            state,
        };
        let ceremony = self
            .ceremonies
            .start(binding, Some(user.id), pending, now_ms);
        Ok((ceremony, options))
    }

    /// Finishes adding a passkey to `user` with the browser's answer;
    /// returns its name.
    ///
    /// # Errors
    /// [`PasskeyError::Expired`] for an unknown, used, expired or foreign
    /// ceremony (or another user's), [`PasskeyError::Malformed`],
    /// [`PasskeyError::Rejected`], [`PasskeyError::Duplicate`], storage errors.
    pub fn finish_passkey_enrolment(
        &self,
        rp: &RelyingParty,
        user: UserId,
        answer: &Answer<'_>,
        now_ms: u64,
    ) -> Result<String, PasskeyError> {
        let Some(Pending::Enrol {
            name,
            handle,
            state,
        }) = self
            .ceremonies
            .take(answer.ceremony, answer.binding, Some(user), now_ms)
        else {
            return Err(PasskeyError::Expired);
        };
        let passkey = rp
            .webauthn
            .finish_passkey_registration(&answer.parse()?, &state)
            .map_err(PasskeyError::Rejected)?;
        let key = key_of(passkey.cred_id());
        let name_aad = aad::passkey_name(user.0, &hex::encode(key));
        let record = PasskeyRecord {
            user_handle: hex::encode(handle),
            name_sealed: hex::encode(self.keys.seal(&name_aad, name.as_bytes())),
            credential_sealed: self.seal_credential(user, &key, &passkey)?,
            created_ms: now_ms,
            last_used_ms: None,
        };
        self.store
            .add_passkey(user, &key, &record)
            .map_err(|e| match e {
                StoreError::Conflict(_) => PasskeyError::Duplicate,
                other => other.into(),
            })?;
        Ok(name)
    }

    /// Removes one of a user's passkeys by its listed id; returns its name
    /// when it existed.
    ///
    /// # Errors
    /// Storage errors.
    pub fn remove_passkey(&self, user: UserId, id: &str) -> Result<Option<String>, StoreError> {
        let Some(key) = hex::decode(id)
            .ok()
            .and_then(|k| PasskeyKey::try_from(k).ok())
        else {
            return Ok(None);
        };
        let name = self
            .store
            .passkeys_of(user)?
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(k, p)| self.open_name(user, &k, &p).unwrap_or_default());
        if name.is_some() && self.store.remove_passkey(user, &key)? {
            return Ok(name);
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkeys_bind_to_a_host_name_never_an_ip_address() {
        assert!(RelyingParty::for_origin("https://stats.example.com").is_ok());
        assert!(RelyingParty::for_origin("http://localhost:8080").is_ok());
        for bad in ["http://127.0.0.1:8080", "http://[::1]:8080", "not a url"] {
            assert!(
                matches!(RelyingParty::for_origin(bad), Err(PasskeyError::Address(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_are_trimmed_printable_and_short() {
        assert_eq!(check_name("  Work laptop ").unwrap(), "Work laptop");
        for bad in ["", "   ", "a\nb", &"x".repeat(MAX_NAME_CHARS + 1)] {
            assert!(
                matches!(check_name(bad), Err(PasskeyError::Name)),
                "{bad:?}"
            );
        }
    }
}
