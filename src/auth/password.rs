//! Password hashing with argon2id at OWASP's recommended parameters
//! (19 MiB memory, 2 iterations, 1 lane), stored as PHC strings so the
//! parameters travel with each hash and can be raised later.

use std::sync::{Condvar, Mutex, OnceLock};

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::SaltString,
};

/// Shortest password accepted.
pub const MIN_LEN: usize = 10;
/// Longest password accepted (argon2 takes anything; this bounds the work).
pub const MAX_LEN: usize = 1024;

/// At most this many hashes run at once (one per core): each holds 19 MiB,
/// so a flood of logins can't exhaust memory, and parallel guesses can't
/// outrun the throttle by much. Twice the cores answered a flood of 400
/// logins 15 % sooner but peaked at 127 MB against 89 (BENCHMARKS.md,
/// "Blocking threads"); a flood is where the slower answer belongs.
fn permit() -> Permit {
    static SLOTS: OnceLock<(Mutex<usize>, Condvar)> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        (Mutex::new(cores), Condvar::new())
    });
    let mut free = slots
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    while *free == 0 {
        free = slots
            .1
            .wait(free)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
    *free -= 1;
    Permit(slots)
}

/// A running hash's slot, given back on drop.
struct Permit(&'static (Mutex<usize>, Condvar));

impl Drop for Permit {
    fn drop(&mut self) {
        *self
            .0
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += 1;
        self.0.1.notify_one();
    }
}

fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2id parameters are valid"),
    )
}

/// Checks a new password against the policy.
///
/// # Errors
/// A message for the form.
pub fn check_policy(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(format!("password must be at least {MIN_LEN} characters"));
    }
    if password.len() > MAX_LEN {
        return Err(format!("password must be at most {MAX_LEN} bytes"));
    }
    Ok(())
}

/// Hashes a password with a fresh salt.
#[must_use]
pub fn hash(password: &str) -> String {
    let salt = SaltString::encode_b64(&crate::privacy::random_bytes::<16>())
        .expect("16 bytes is a valid salt length");
    let _slot = permit();
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2id hashing with valid parameters does not fail")
        .to_string()
}

/// Verifies a password against a stored PHC string; a malformed hash never matches.
#[must_use]
pub fn verify(password: &str, phc: &str) -> bool {
    if password.len() > MAX_LEN {
        return false;
    }
    PasswordHash::new(phc).is_ok_and(|h| {
        let _slot = permit();
        argon2().verify_password(password.as_bytes(), &h).is_ok()
    })
}

/// A hash of a random password, verified against when the account is unknown
/// so a login for a missing email costs as long as one for a real account.
#[must_use]
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash(&crate::privacy::random_token()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password_and_record_argon2id() {
        let h = hash("correct horse battery");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterx", &h));
        assert!(!verify("correct horse battery", "not a hash"));
        assert_ne!(h, hash("correct horse battery"));
    }

    #[test]
    fn policy_rejects_short_and_huge_passwords() {
        assert!(check_policy("short").unwrap_err().contains("at least"));
        assert!(check_policy(&"x".repeat(2000)).is_err());
        assert!(check_policy("long enough pw").is_ok());
    }
}
