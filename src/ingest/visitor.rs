//! Cookieless visitor ids: `HMAC(daily salt, site ‖ ip ‖ user agent)`, truncated
//! to 64 bits. The salt changes at midnight UTC; the previous one is kept only
//! while a visit that began before midnight may still continue (30 minutes),
//! then destroyed, after which a day's ids can never be recomputed or linked.

use std::{net::IpAddr, sync::Arc};

use arc_swap::ArcSwap;

use crate::{
    domain::SiteId,
    privacy::{self, Keys, Purpose, aad::salt as salt_aad},
    store::{Store, StoreError, codec::CodecError},
};

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;
/// How long the previous salt outlives midnight: the visit timeout plus a minute.
pub const PREVIOUS_SALT_GRACE_MS: u64 = 31 * 60 * 1000;

/// The salts in use.
#[derive(Clone)]
struct SaltSet {
    current: (u32, [u8; 32]),
    previous: Option<(u32, [u8; 32])>,
}

/// Holds, rotates and destroys salts; shared by request handlers.
pub struct SaltKeeper {
    store: Store,
    keys: Arc<Keys>,
    salts: ArcSwap<SaltSet>,
    rotate_lock: std::sync::Mutex<()>,
}

/// Visitor hashes of one request under the current and the previous salt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitorHashes {
    /// Under today's salt.
    pub current: u64,
    /// Under yesterday's, while it is still kept.
    pub previous: Option<u64>,
}

fn utc_day(ms: u64) -> u32 {
    u32::try_from(ms / DAY_MS).unwrap_or(u32::MAX)
}

impl SaltKeeper {
    /// Loads the stored salts, creating today's if missing.
    ///
    /// # Errors
    /// Storage errors.
    pub fn load(store: Store, keys: Arc<Keys>, now_ms: u64) -> Result<Arc<Self>, StoreError> {
        let today = utc_day(now_ms);
        let mut held = Vec::new();
        for (day, sealed) in store.salts()? {
            let salt = match <[u8; 32]>::try_from(sealed.as_slice()) {
                // Kept plain by an earlier version: sealed now.
                Ok(plain) => {
                    store.put_salt(day, &keys.seal_for(Purpose::Salt, &salt_aad(day), &plain))?;
                    plain
                }
                Err(_) => keys
                    .open_for(Purpose::Salt, &salt_aad(day), &sealed)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or(StoreError::Corrupt(CodecError("a salt does not open")))?,
            };
            held.push((day, salt));
        }
        held.retain(|(d, _)| *d <= today);
        let current = match held.iter().find(|(d, _)| *d == today) {
            Some(s) => *s,
            None => {
                let s = (today, privacy::random_bytes::<32>());
                store.put_salt(s.0, &keys.seal_for(Purpose::Salt, &salt_aad(s.0), &s.1))?;
                s
            }
        };
        let previous = held.iter().rev().find(|(d, _)| *d < today).copied();
        let keeper = Arc::new(Self {
            store,
            keys,
            salts: ArcSwap::from_pointee(SaltSet { current, previous }),
            rotate_lock: std::sync::Mutex::new(()),
        });
        keeper.destroy_expired(now_ms)?;
        Ok(keeper)
    }

    /// Makes a new salt when the UTC day has changed; the old one becomes
    /// "previous". Returns whether it rotated. Idempotent within a day.
    ///
    /// # Errors
    /// Storage errors (the old salt then stays in use).
    pub fn rotate(&self, now_ms: u64) -> Result<bool, StoreError> {
        let today = utc_day(now_ms);
        if self.salts.load().current.0 >= today {
            return Ok(false);
        }
        let _guard = self
            .rotate_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let old = self.salts.load_full();
        if old.current.0 >= today {
            return Ok(false);
        }
        let fresh = (today, privacy::random_bytes::<32>());
        self.store.put_salt(
            fresh.0,
            &self
                .keys
                .seal_for(Purpose::Salt, &salt_aad(fresh.0), &fresh.1),
        )?;
        // Only yesterday's salt can still matter to a visit crossing midnight.
        let previous = (old.current.0 + 1 == today).then_some(old.current);
        self.salts.store(Arc::new(SaltSet {
            current: fresh,
            previous,
        }));
        tracing::info!(day = today, "visitor-hash salt rotated");
        Ok(true)
    }

    /// Destroys every salt older than today once the grace period after
    /// midnight has passed. Returns how many were deleted from the store.
    ///
    /// # Errors
    /// Storage errors.
    pub fn destroy_expired(&self, now_ms: u64) -> Result<usize, StoreError> {
        let today = utc_day(now_ms);
        if now_ms % DAY_MS < PREVIOUS_SALT_GRACE_MS {
            return Ok(0);
        }
        let _guard = self
            .rotate_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let set = self.salts.load_full();
        if set.previous.is_some() {
            self.salts.store(Arc::new(SaltSet {
                current: set.current,
                previous: None,
            }));
        }
        let n = self.store.delete_salts_before(today.min(set.current.0))?;
        if n > 0 {
            tracing::info!(destroyed = n, "old visitor-hash salts destroyed");
        }
        Ok(n)
    }

    /// The visitor's hashes; rotates first if the day changed and no job has yet.
    #[must_use]
    pub fn hashes(&self, now_ms: u64, site: SiteId, ip: IpAddr, user_agent: &str) -> VisitorHashes {
        if self.salts.load().current.0 < utc_day(now_ms)
            && let Err(e) = self.rotate(now_ms)
        {
            tracing::error!(error = %e, "salt rotation failed; keeping the old salt");
        }
        let set = self.salts.load();
        let ip_bytes = match ip {
            IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
            IpAddr::V6(v6) => v6.octets(),
        };
        let h = |salt: &[u8; 32]| {
            let d = privacy::keyed_hash(
                salt,
                &[&site.0.to_be_bytes(), &ip_bytes, user_agent.as_bytes()],
            );
            u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
        };
        VisitorHashes {
            current: h(&set.current.1),
            previous: set.previous.map(|(_, s)| h(&s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_within_a_day_and_unlinkable_across_days() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let day0 = 20_000 * DAY_MS + 3_600_000;
        let keys = Arc::new(Keys::from_master(&[3; 32]));
        let keeper = SaltKeeper::load(store.clone(), keys.clone(), day0).unwrap();
        let ip: IpAddr = "198.51.100.4".parse().unwrap();
        let a = keeper.hashes(day0, SiteId(1), ip, "UA");
        assert_eq!(a, keeper.hashes(day0 + 1000, SiteId(1), ip, "UA"));
        assert_ne!(a.current, keeper.hashes(day0, SiteId(2), ip, "UA").current);
        assert_ne!(a.current, keeper.hashes(day0, SiteId(1), ip, "UA2").current);

        // Reloading from the store keeps today's salt.
        let again = SaltKeeper::load(store.clone(), keys.clone(), day0 + 5000).unwrap();
        assert_eq!(a, again.hashes(day0, SiteId(1), ip, "UA"));

        let day1 = day0 + DAY_MS - 3_600_000 + 60_000; // 00:01 next day
        assert!(keeper.rotate(day1).unwrap());
        let b = keeper.hashes(day1, SiteId(1), ip, "UA");
        assert_ne!(a.current, b.current);
        assert_eq!(
            b.previous,
            Some(a.current),
            "yesterday's id still matches during the grace period"
        );
        assert_eq!(keeper.destroy_expired(day1).unwrap(), 0);

        let later = day1 + PREVIOUS_SALT_GRACE_MS;
        assert_eq!(keeper.destroy_expired(later).unwrap(), 1);
        assert_eq!(keeper.hashes(later, SiteId(1), ip, "UA").previous, None);
        assert_eq!(store.salts().unwrap().len(), 1);
    }

    #[test]
    fn salts_are_sealed_at_rest_and_plain_ones_get_sealed_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let day0 = 20_000 * DAY_MS;
        // A salt kept plain by an earlier version.
        let plain = [7u8; 32];
        store.put_salt(20_000, &plain).unwrap();
        let keys = Arc::new(Keys::from_master(&[3; 32]));
        let keeper = SaltKeeper::load(store.clone(), keys.clone(), day0).unwrap();
        let ip: IpAddr = "198.51.100.4".parse().unwrap();
        let h = keeper.hashes(day0, SiteId(1), ip, "UA");
        let held = store.salts().unwrap();
        assert_eq!(held.len(), 1);
        assert_ne!(held[0].1.len(), 32, "sealed now");
        assert!(!held[0].1.windows(32).any(|w| w == plain));
        // Same salt after sealing: ids don't change.
        let again = SaltKeeper::load(store.clone(), keys, day0 + 1).unwrap();
        assert_eq!(h, again.hashes(day0, SiteId(1), ip, "UA"));
        // Another master's keys can't open it.
        let other = Arc::new(Keys::from_master(&[4; 32]));
        assert!(SaltKeeper::load(store, other, day0 + 2).is_err());
    }
}
