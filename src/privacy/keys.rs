//! The keyring. One secret to back up — the master key, from
//! `privacy.master_key` (base64; set it with `TOUCHPOINT__PRIVACY__MASTER_KEY`)
//! or a key file made on first start with mode 0600 — protects a ring of
//! purpose keys kept in the store: data-sealing keys (AES-256-GCM, by key id),
//! salt-sealing keys, and the blind-index key (HMAC-SHA256). The ring is
//! itself sealed under a key derived from the master with HKDF, so rotating
//! the master (`touchpoint rekey`) re-seals the ring and every sealed value
//! under new keys without touching the blind indexes, which must stay
//! comparable. A store's first ring is derived from its first master with
//! HKDF, under fixed labels, so no two purposes share a key.
//!
//! Sealed value: `[2][key id][12-byte random nonce][ciphertext + tag]`, with
//! the table and record as associated data. (`[1][nonce][..]` is the format
//! before key ids, read as key id 1.)

use std::{collections::BTreeMap, io::Write, path::Path};

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use base64::Engine;
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{constant_time_eq, keyed_hash, random_bytes, sync_dir};

const SEALED_V1: u8 = 1;
const SEALED_V2: u8 = 2;
const NONCE_LEN: usize = 12;
/// Associated data of the sealed ring.
const RING_AAD: &[u8] = b"meta_v1:keyring";
const FINGERPRINT_LEN: usize = 8;

/// Why keys could not be loaded or a value could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or created.
    #[error("cannot use key file {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The key file or setting does not hold a 32-byte key.
    #[error(
        "{0} must hold a 32-byte key (64 hex digits in a key file, base64 in privacy.master_key)"
    )]
    Malformed(String),
    /// The master key is not the one this store's keys are sealed under.
    #[error(
        "the master key does not match this store (its keys are sealed under the key with fingerprint {0}); use the key file or privacy.master_key this store was made or rekeyed with"
    )]
    WrongMaster(String),
    /// A sealed value failed authentication: wrong key, wrong record, or tampering.
    #[error("a sealed value could not be opened (wrong key or damaged data)")]
    Open,
}

/// What a sealed value is for: each purpose has its own keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Personal data in rows (emails, names, TOTP secrets, audit details).
    Data,
    /// The daily visitor-hash salts.
    Salt,
}

/// The master key.
pub struct Master([u8; 32]);

impl Master {
    /// From bytes.
    #[must_use]
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// From base64 (`privacy.master_key`).
    ///
    /// # Errors
    /// Not base64 of 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Self)
            .ok_or_else(|| KeyError::Malformed("privacy.master_key".into()))
    }

    /// Reads a key file (64 hex digits), creating it with a fresh random key
    /// (mode 0600) when it doesn't exist.
    ///
    /// # Errors
    /// [`KeyError`] when the file can't be read or written or is malformed.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let err = |source| KeyError::File {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => hex::decode(text.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .map(Self)
                .ok_or_else(|| KeyError::Malformed(path.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(err)?;
                }
                let master = random_bytes::<32>();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(path).map_err(err)?;
                file.write_all(hex::encode(master).as_bytes())
                    .and_then(|()| file.sync_all())
                    .and_then(|()| sync_dir(path))
                    .map_err(err)?;
                tracing::warn!(
                    path = %path.display(),
                    "created a new master key: back this file up, apart from the data. \
                     Without it, the personal data sealed in the store can't be read"
                );
                Ok(Self(master))
            }
            Err(e) => Err(err(e)),
        }
    }

    fn derive(&self, label: &str) -> [u8; 32] {
        let hk = Hkdf::<Sha256>::new(Some(b"touchpoint"), &self.0);
        let mut out = [0u8; 32];
        hk.expand(label.as_bytes(), &mut out)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }

    /// A short public fingerprint, to tell keys apart in messages.
    #[must_use]
    pub fn fingerprint(&self) -> [u8; FINGERPRINT_LEN] {
        let d = self.derive("touchpoint/v1/fingerprint");
        d[..FINGERPRINT_LEN].try_into().expect("8 bytes")
    }
}

/// The ring as stored (hex keys), sealed under the master.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Ring {
    data: BTreeMap<u8, String>,
    data_current: u8,
    salt: BTreeMap<u8, String>,
    salt_current: u8,
    index: String,
}

/// The purpose keys. Cheap to share behind an `Arc`.
pub struct Keys {
    data: BTreeMap<u8, Aes256Gcm>,
    data_current: u8,
    salt: BTreeMap<u8, Aes256Gcm>,
    salt_current: u8,
    index: [u8; 32],
    ring: Ring,
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    hex::decode(s).ok()?.try_into().ok()
}

impl Keys {
    /// The first ring of a store, derived from its master with HKDF.
    #[must_use]
    pub fn from_master(master: &[u8; 32]) -> Self {
        let m = Master(*master);
        let ring = Ring {
            data: [(1, hex::encode(m.derive("touchpoint/v1/seal")))].into(),
            data_current: 1,
            salt: [(1, hex::encode(m.derive("touchpoint/v1/salt-seal")))].into(),
            salt_current: 1,
            index: hex::encode(m.derive("touchpoint/v1/blind-index")),
        };
        Self::from_ring(ring).expect("a derived ring is well formed")
    }

    fn from_ring(ring: Ring) -> Option<Self> {
        let ciphers = |m: &BTreeMap<u8, String>| -> Option<BTreeMap<u8, Aes256Gcm>> {
            m.iter()
                .map(|(id, k)| Some((*id, Aes256Gcm::new(&hex32(k)?.into()))))
                .collect()
        };
        let data = ciphers(&ring.data)?;
        let salt = ciphers(&ring.salt)?;
        if !data.contains_key(&ring.data_current) || !salt.contains_key(&ring.salt_current) {
            return None;
        }
        Some(Self {
            data,
            data_current: ring.data_current,
            salt,
            salt_current: ring.salt_current,
            index: hex32(&ring.index)?,
            ring,
        })
    }

    /// Opens the store's sealed ring with `master`, or (with none stored yet)
    /// makes the first one; returns the keys and, when new, the sealed ring
    /// to store.
    ///
    /// # Errors
    /// [`KeyError::WrongMaster`] for another master's ring.
    pub fn unlock(
        master: &Master,
        stored: Option<&[u8]>,
    ) -> Result<(Self, Option<Vec<u8>>), KeyError> {
        let Some(stored) = stored else {
            let keys = Self::from_master(&master.0);
            let sealed = keys.seal_ring(master);
            return Ok((keys, Some(sealed)));
        };
        if stored.len() < FINGERPRINT_LEN
            || !constant_time_eq(&stored[..FINGERPRINT_LEN], &master.fingerprint())
        {
            let fp = stored
                .get(..FINGERPRINT_LEN)
                .map(hex::encode)
                .unwrap_or_default();
            return Err(KeyError::WrongMaster(fp));
        }
        let wrap = Aes256Gcm::new(&master.derive("touchpoint/v1/wrap").into());
        let json = open_with(&wrap, RING_AAD, &stored[FINGERPRINT_LEN..])?;
        let ring: Ring = serde_json::from_slice(&json).map_err(|_| KeyError::Open)?;
        Ok((Self::from_ring(ring).ok_or(KeyError::Open)?, None))
    }

    /// The ring sealed under `master`, as the store keeps it.
    #[must_use]
    pub fn seal_ring(&self, master: &Master) -> Vec<u8> {
        let wrap = Aes256Gcm::new(&master.derive("touchpoint/v1/wrap").into());
        let json = serde_json::to_vec(&self.ring).expect("the ring serialises");
        let mut out = master.fingerprint().to_vec();
        out.extend(seal_with(&wrap, 0, RING_AAD, &json));
        out
    }

    /// A ring with a new random data key and salt key made current (the old
    /// ones kept until [`Keys::retire`], so values sealed under them still open).
    #[must_use]
    pub fn rotated(&self) -> Self {
        let mut ring = self.ring.clone();
        for (map, current) in [
            (&mut ring.data, &mut ring.data_current),
            (&mut ring.salt, &mut ring.salt_current),
        ] {
            let next = map
                .keys()
                .max()
                .copied()
                .unwrap_or(0)
                .wrapping_add(1)
                .max(1);
            map.insert(next, hex::encode(random_bytes::<32>()));
            *current = next;
        }
        Self::from_ring(ring).expect("a rotated ring is well formed")
    }

    /// The ring without its retired keys (all but the current ones).
    #[must_use]
    pub fn retired(&self) -> Self {
        let mut ring = self.ring.clone();
        let (d, s) = (ring.data_current, ring.salt_current);
        ring.data.retain(|id, _| *id == d);
        ring.salt.retain(|id, _| *id == s);
        Self::from_ring(ring).expect("the current keys stay")
    }

    /// Key ids the ring holds besides the current ones, per purpose.
    #[must_use]
    pub fn retiring(&self) -> usize {
        self.data.len() + self.salt.len() - 2
    }

    fn ring_of(&self, p: Purpose) -> (&BTreeMap<u8, Aes256Gcm>, u8) {
        match p {
            Purpose::Data => (&self.data, self.data_current),
            Purpose::Salt => (&self.salt, self.salt_current),
        }
    }

    /// Whether `sealed` is under the current key of its purpose (a rekey
    /// re-seals only values that are not).
    #[must_use]
    pub fn is_current(&self, p: Purpose, sealed: &[u8]) -> bool {
        key_id(sealed) == Some(self.ring_of(p).1)
    }

    /// Encrypts personal data with a fresh random nonce, bound to `record`
    /// (associated data) so a sealed value moved to another record won't open.
    #[must_use]
    pub fn seal(&self, record: &[u8], plaintext: &[u8]) -> Vec<u8> {
        self.seal_for(Purpose::Data, record, plaintext)
    }

    /// Decrypts a value made by [`Keys::seal`] for the same `record`.
    ///
    /// # Errors
    /// [`KeyError::Open`] for a wrong key, another record's value, or damage.
    pub fn open(&self, record: &[u8], sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.open_for(Purpose::Data, record, sealed)
    }

    /// [`Keys::seal`] with the current key of `purpose`.
    #[must_use]
    pub fn seal_for(&self, p: Purpose, record: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let (ring, current) = self.ring_of(p);
        seal_with(&ring[&current], current, record, plaintext)
    }

    /// [`Keys::open`] with the keys of `purpose`.
    ///
    /// # Errors
    /// As [`Keys::open`].
    pub fn open_for(&self, p: Purpose, record: &[u8], sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        let id = key_id(sealed).ok_or(KeyError::Open)?;
        let key = self.ring_of(p).0.get(&id).ok_or(KeyError::Open)?;
        open_with(key, record, sealed)
    }

    /// A keyed, deterministic index of `value` under `purpose`, so sealed values
    /// can be found by equality without storing them in the clear.
    #[must_use]
    pub fn blind_index(&self, purpose: &str, value: &[u8]) -> [u8; 32] {
        keyed_hash(&self.index, &[purpose.as_bytes(), value])
    }
}

/// The key id of a sealed value.
fn key_id(sealed: &[u8]) -> Option<u8> {
    match *sealed.first()? {
        SEALED_V1 => Some(1),
        SEALED_V2 => sealed.get(1).copied(),
        _ => None,
    }
}

fn seal_with(key: &Aes256Gcm, id: u8, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let nonce = random_bytes::<NONCE_LEN>();
    let ct = key
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("AES-GCM encryption of in-memory data does not fail");
    let mut out = Vec::with_capacity(2 + NONCE_LEN + ct.len());
    out.extend([SEALED_V2, id]);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

fn open_with(key: &Aes256Gcm, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
    let header = match sealed.first() {
        Some(&SEALED_V1) => 1,
        Some(&SEALED_V2) => 2,
        _ => return Err(KeyError::Open),
    };
    let rest = sealed.get(header..).ok_or(KeyError::Open)?;
    if rest.len() < NONCE_LEN {
        return Err(KeyError::Open);
    }
    let (nonce, ct) = rest.split_at(NONCE_LEN);
    key.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .map_err(|_| KeyError::Open)
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
