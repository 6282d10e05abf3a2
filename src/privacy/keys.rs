//! The master key and what is derived from it: a sealing key for personal data
//! at rest (AES-256-GCM) and a key for blind indexes (HMAC-SHA256).
//!
//! The master key is 32 random bytes kept as hex in a file beside the store
//! (`privacy.key_file`), made on first start with mode 0600. Subkeys are derived
//! with HKDF-SHA256 under fixed labels, so one secret to back up serves every
//! purpose and no two purposes share a key.

use std::{io::Write, path::Path};

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use hkdf::Hkdf;
use sha2::Sha256;

use super::{keyed_hash, random_bytes};

/// Format byte at the start of every sealed value; a new format gets a new byte.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 12;

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
    /// The key file does not hold 64 hex digits.
    #[error("key file {0} must hold 64 hex digits (32 bytes)")]
    Malformed(String),
    /// A sealed value failed authentication: wrong key, wrong record, or tampering.
    #[error("a sealed value could not be opened (wrong key or damaged data)")]
    Open,
}

/// Keys derived from the master key. Cheap to share behind an `Arc`.
pub struct Keys {
    seal: Aes256Gcm,
    index: [u8; 32],
}

impl Keys {
    /// Reads the master key from `path`, creating it (mode 0600) if missing.
    ///
    /// # Errors
    /// [`KeyError`] when the file can't be read or written or is malformed.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let err = |source| KeyError::File {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| KeyError::Malformed(path.display().to_string()))?;
                Ok(Self::from_master(&bytes))
            }
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
                    .map_err(err)?;
                tracing::info!(path = %path.display(), "created a new master key; back it up with the data");
                Ok(Self::from_master(&master))
            }
            Err(e) => Err(err(e)),
        }
    }

    /// Derives the subkeys from a master key.
    #[must_use]
    pub fn from_master(master: &[u8; 32]) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"touchpoint"), master);
        let mut seal = [0u8; 32];
        let mut index = [0u8; 32];
        hk.expand(b"touchpoint/v1/seal", &mut seal)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        hk.expand(b"touchpoint/v1/blind-index", &mut index)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self {
            seal: Aes256Gcm::new(&seal.into()),
            index,
        }
    }

    /// Encrypts `plaintext` with a fresh random nonce, bound to `record`
    /// (associated data) so a sealed value moved to another record won't open.
    #[must_use]
    pub fn seal(&self, record: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = random_bytes::<NONCE_LEN>();
        let ct = self
            .seal
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: record,
                },
            )
            .expect("AES-GCM encryption of in-memory data does not fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Decrypts a value made by [`Keys::seal`] for the same `record`.
    ///
    /// # Errors
    /// [`KeyError::Open`] for a wrong key, another record's value, or damage.
    pub fn open(&self, record: &[u8], sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        let (&format, rest) = sealed.split_first().ok_or(KeyError::Open)?;
        if format != SEALED_V1 || rest.len() < NONCE_LEN {
            return Err(KeyError::Open);
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        self.seal
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: record,
                },
            )
            .map_err(|_| KeyError::Open)
    }

    /// A keyed, deterministic index of `value` under `purpose`, so sealed values
    /// can be found by equality without storing them in the clear.
    #[must_use]
    pub fn blind_index(&self, purpose: &str, value: &[u8]) -> [u8; 32] {
        keyed_hash(&self.index, &[purpose.as_bytes(), value])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_record_and_key() {
        let k = Keys::from_master(&[1; 32]);
        let sealed = k.seal(b"user:1:email", b"ada@example.com");
        assert!(
            !sealed
                .windows(b"ada@example.com".len())
                .any(|w| w == b"ada@example.com")
        );
        assert_eq!(
            k.open(b"user:1:email", &sealed).unwrap(),
            b"ada@example.com"
        );
        assert!(k.open(b"user:2:email", &sealed).is_err());
        assert!(
            Keys::from_master(&[2; 32])
                .open(b"user:1:email", &sealed)
                .is_err()
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(k.open(b"user:1:email", &tampered).is_err());
        assert!(k.open(b"user:1:email", &[]).is_err());
        assert_ne!(sealed, k.seal(b"user:1:email", b"ada@example.com"));
    }

    #[test]
    fn blind_indexes_are_stable_per_key_and_purpose() {
        let k = Keys::from_master(&[1; 32]);
        assert_eq!(k.blind_index("email", b"a"), k.blind_index("email", b"a"));
        assert_ne!(k.blind_index("email", b"a"), k.blind_index("phone", b"a"));
        assert_ne!(
            k.blind_index("email", b"a"),
            Keys::from_master(&[2; 32]).blind_index("email", b"a")
        );
    }

    #[test]
    fn the_key_file_is_made_once_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/touchpoint.key");
        let a = Keys::load_or_create(&path).unwrap();
        let sealed = a.seal(b"r", b"x");
        let b = Keys::load_or_create(&path).unwrap();
        assert_eq!(b.open(b"r", &sealed).unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        assert!(matches!(
            Keys::load_or_create(&path),
            Err(KeyError::Malformed(_))
        ));
    }
}
