//! The crypto facade — the only module that touches hash and cipher crates;
//! everything else asks for what it needs by purpose — and the privacy
//! lifecycle built on it (retention purges).

pub mod ids;
mod keys;
pub mod rekey;
pub mod retention;
pub mod stripe;
pub mod subject;

/// The associated data of every sealed field (the store's, as it re-seals them).
pub use crate::store::aad;
pub use keys::{KeyError, Keys, Master, Purpose};

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// `N` bytes from the operating system's CSPRNG.
#[must_use]
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rng().fill_bytes(&mut b);
    b
}

/// HMAC-SHA256 of the parts, each length-prefixed so `("ab","c")` and
/// `("a","bc")` can never collide.
#[must_use]
pub fn keyed_hash(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    for p in parts {
        mac.update(&(p.len() as u64).to_be_bytes());
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Lower-case hex SHA-256 of `data` (API keys are stored this way).
#[must_use]
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// SHA-256 of `data` (tokens are stored this way: a leaked store leaks no token).
#[must_use]
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// A random token for URLs and cookies: 32 bytes as 64 hex digits.
#[must_use]
pub fn random_token() -> String {
    hex::encode(random_bytes::<32>())
}

/// Compares secrets without leaking where they differ through timing.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Makes a file's creation or renaming durable: syncs its directory.
///
/// # Errors
/// The directory can't be opened or synced.
pub fn sync_dir(file: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hash_separates_parts_and_keys() {
        let k = [7u8; 32];
        assert_ne!(
            keyed_hash(&k, &[b"ab", b"c"]),
            keyed_hash(&k, &[b"a", b"bc"])
        );
        assert_ne!(keyed_hash(&k, &[b"x"]), keyed_hash(&[8u8; 32], &[b"x"]));
        assert_eq!(keyed_hash(&k, &[b"x"]), keyed_hash(&k, &[b"x"]));
    }

    #[test]
    fn random_bytes_differ_and_compare() {
        let a = random_bytes::<32>();
        let b = random_bytes::<32>();
        assert_ne!(a, b);
        assert!(constant_time_eq(&a, &a));
        assert!(!constant_time_eq(&a, &b));
        assert_eq!(sha256_hex(b"abc").len(), 64);
    }
}
