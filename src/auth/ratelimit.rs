//! Login throttling: failures are counted per key (an account, a network);
//! past the allowance each further failure locks the key for twice as long
//! as the last, up to an hour. Counts are forgotten a day after the last failure.
//! Kept in memory: a restart forgives, which is fine for a brute-force brake.

use std::{collections::HashMap, sync::Mutex};

const MAX_LOCK_MS: u64 = 3_600_000;
const FORGET_AFTER_MS: u64 = 86_400_000;
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    locked_until_ms: u64,
    last_failure_ms: u64,
}

/// Failure counts and lockouts by key.
#[derive(Debug)]
pub struct Limiter {
    base_ms: u64,
    entries: Mutex<HashMap<String, Entry>>,
}

impl Limiter {
    /// A limiter whose first lockout lasts `base_ms`.
    #[must_use]
    pub fn new(base_ms: u64) -> Self {
        Self {
            base_ms: base_ms.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Milliseconds until `key` may try again, if it is locked now.
    #[must_use]
    pub fn locked_for(&self, key: &str, now_ms: u64) -> Option<u64> {
        self.lock()
            .get(key)
            .filter(|e| e.locked_until_ms > now_ms)
            .map(|e| e.locked_until_ms - now_ms)
    }

    /// Counts a failure for `key`, which is allowed `allowance` of them before
    /// lockouts start; returns the lockout now in force, if any.
    pub fn fail(&self, key: &str, allowance: u32, now_ms: u64) -> Option<u64> {
        let mut map = self.lock();
        if map.len() >= MAX_KEYS {
            map.retain(|_, e| e.last_failure_ms + FORGET_AFTER_MS > now_ms);
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        let e = map.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            locked_until_ms: 0,
            last_failure_ms: now_ms,
        });
        if e.last_failure_ms + FORGET_AFTER_MS <= now_ms {
            e.failures = 0;
        }
        e.failures += 1;
        e.last_failure_ms = now_ms;
        if e.failures < allowance.max(1) {
            return None;
        }
        let doublings = (e.failures - allowance.max(1)).min(20);
        let lock = (self.base_ms << doublings).min(MAX_LOCK_MS);
        e.locked_until_ms = now_ms + lock;
        Some(lock)
    }

    /// Forgets `key`'s failures (after a successful login).
    pub fn succeed(&self, key: &str) {
        self.lock().remove(key);
    }
}

/// The key for a client network: IPv4 /24 or IPv6 /48, so one host can't
/// dodge the limit by hopping addresses in its own block.
#[must_use]
pub fn network_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("net:{a}.{b}.{c}.0/24")
        }
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => network_key(v4.into()),
            None => {
                let s = v6.segments();
                format!("net:{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_start_at_the_allowance_and_double() {
        let l = Limiter::new(1000);
        assert_eq!(l.fail("a", 3, 0), None);
        assert_eq!(l.fail("a", 3, 0), None);
        assert_eq!(l.fail("a", 3, 0), Some(1000));
        assert_eq!(l.locked_for("a", 500), Some(500));
        assert_eq!(l.locked_for("a", 1000), None);
        assert_eq!(l.fail("a", 3, 1000), Some(2000));
        assert_eq!(l.fail("a", 3, 3000), Some(4000));
        assert_eq!(l.locked_for("b", 3000), None);
        l.succeed("a");
        assert_eq!(l.locked_for("a", 3001), None);
        assert_eq!(l.fail("a", 3, 3001), None);
    }

    #[test]
    fn lockouts_are_capped_and_old_failures_forgotten() {
        let l = Limiter::new(1000);
        for _ in 0..40 {
            l.fail("a", 1, 0);
        }
        assert_eq!(l.locked_for("a", 0), Some(MAX_LOCK_MS));
        assert_eq!(l.fail("a", 2, FORGET_AFTER_MS + 1), None);
    }

    #[test]
    fn networks_group_neighbouring_addresses() {
        let k = |s: &str| network_key(s.parse().unwrap());
        assert_eq!(k("203.0.113.7"), k("203.0.113.200"));
        assert_ne!(k("203.0.113.7"), k("203.0.114.7"));
        assert_eq!(k("2001:db8:1:2::1"), k("2001:db8:1:ffff::9"));
        assert_eq!(k("::ffff:203.0.113.7"), k("203.0.113.1"));
    }
}
