//! Delivery: changes become messages for the endpoints subscribed to them,
//! and messages are POSTed until an endpoint answers 2xx. At least once:
//! a message is marked delivered only after its 2xx, so a crash between
//! the two sends it again, with the same `webhook-id`.
//!
//! Retries follow the schedule the Standard Webhooks specification
//! suggests — after the first attempt fails: 5 s, 5 min, 30 min, 2 h,
//! 5 h, 10 h, 10 h (eight attempts over about 28 hours) — each delay
//! varied by up to ±10 % so failed endpoints aren't retried in step. A
//! `410 Gone` disables the endpoint at once; so does failing every attempt
//! for `[webhooks] disable_after_hours` (the dashboard shows why). Messages
//! of a disabled endpoint are marked failed and can be replayed.

use std::{collections::HashMap, time::Duration};

use rand::Rng;

use super::{open_body, secrets_of, sign};
use crate::{
    clock::Clock,
    config::WebhookSettings,
    domain::SiteId,
    privacy::Keys,
    store::{
        Site, Store, StoreError, aad,
        webhooks::{Attempt, Endpoint, MessageKey, MessageState, WebhookMessage},
    },
};

/// Delays before attempts 2 to 8, in seconds.
pub const RETRY_SECONDS: [u64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/// Attempts kept in a message's log.
const KEEP_ATTEMPTS: usize = 20;

/// A failure this long after the one before starts a new failing streak
/// (longer than the longest retry delay).
const STREAK_GAP_MS: u64 = 36 * 3_600_000;

/// Delivers webhooks (one per process; see [`super::start`]).
pub struct Dispatcher {
    store: Store,
    keys: std::sync::Arc<Keys>,
    settings: WebhookSettings,
    clock: Clock,
    agent: ureq::Agent,
    qualifier: super::qualified::Qualifier,
}

/// The delay before the attempt after `failed` failed ones, with jitter;
/// `None` when none is left.
#[must_use]
pub fn retry_delay_ms(failed: usize, rng: &mut impl Rng) -> Option<u64> {
    let base = RETRY_SECONDS.get(failed.checked_sub(1)?)? * 1000;
    let jitter = rng.random_range(0.9..=1.1);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    Some((base as f64 * jitter) as u64)
}

impl Dispatcher {
    /// A dispatcher over the store.
    #[must_use]
    pub fn new(
        store: Store,
        keys: std::sync::Arc<Keys>,
        settings: WebhookSettings,
        clock: Clock,
    ) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(settings.timeout_seconds.max(1))))
            .max_redirects(0)
            // A proxy would resolve the destination itself, past the guard.
            .proxy(None)
            .http_status_as_error(false)
            .user_agent("Touchpoint-Webhooks/1")
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::default(),
            super::destination::Guard::new(settings.allow_private_destinations),
        );
        Self {
            store,
            keys,
            settings,
            clock,
            agent,
            qualifier: super::qualified::Qualifier::default(),
        }
    }

    /// Hands on new changes, then makes the attempts that are due; answers
    /// how many attempts it made.
    ///
    /// # Errors
    /// Storage errors (the work is picked up again on the next run).
    pub fn run_once(&self) -> Result<usize, StoreError> {
        self.qualifier
            .run(&self.store, &self.keys, self.clock.now_ms())?;
        self.hand_on()?;
        self.deliver_due()
    }

    fn hand_on(&self) -> Result<(), StoreError> {
        let changes = self.store.changes(100)?;
        if changes.is_empty() {
            return Ok(());
        }
        let endpoints = self.store.webhooks(None)?;
        let view = self.store.read()?;
        let mut sites: HashMap<u32, Option<Site>> = HashMap::new();
        let now = self.clock.now_ms();
        let mut done = Vec::with_capacity(changes.len());
        let mut messages = Vec::new();
        for (seq, change) in &changes {
            done.push(*seq);
            let wanted: Vec<&Endpoint> = endpoints
                .iter()
                .filter(|(s, e)| s.0 == change.site && e.events.contains(&change.event))
                .map(|(_, e)| e)
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let site = match sites.entry(change.site) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(view.site(SiteId(change.site))?)
                }
            };
            let Some(site) = site.as_ref().filter(|s| s.deleted_ms.is_none()) else {
                continue;
            };
            let body = match super::payload::body(&self.store, &self.keys, site, change, now) {
                Ok(b) => b,
                // One change that can't be described must not hold up the
                // others: it goes out with what is known for sure.
                Err(e) => {
                    tracing::error!(error = %crate::telemetry::causes(&e), site = change.site, "webhook payload");
                    super::payload::minimal(site, change, now)
                }
            };
            for e in wanted {
                let id = format!("msg_{}", &crate::privacy::random_token()[..32]);
                let sealed = self.keys.seal(&aad::webhook_body(&id), &body);
                // A disabled endpoint's messages are kept, failed, to replay
                // once it is enabled again.
                let (state, next_ms) = if e.disabled.is_some() {
                    (MessageState::Failed, None)
                } else {
                    (MessageState::Pending, Some(now))
                };
                messages.push((
                    *seq,
                    site.id,
                    e.id,
                    WebhookMessage {
                        id,
                        event: change.event,
                        lead: change.lead.clone(),
                        created_ms: now,
                        body_sealed: hex::encode(sealed),
                        state,
                        next_ms,
                        attempts: Vec::new(),
                        tries: 0,
                    },
                ));
            }
        }
        self.store.hand_on_changes(&done, &messages)
    }

    fn deliver_due(&self) -> Result<usize, StoreError> {
        let mut endpoints: HashMap<(u32, u32), Endpoint> = HashMap::new();
        let mut n = 0;
        // An endpoint that fails once this round waits for the next, and
        // the due index is read past its messages, so a dead endpoint (each
        // attempt up to the timeout) can't hold up the others.
        let mut failed_now = std::collections::HashSet::new();
        for _pass in 0..10 {
            let now = self.clock.now_ms();
            let due = self.store.due_webhook_messages(now, 100, &failed_now)?;
            if due.is_empty() {
                break;
            }
            if endpoints.is_empty() {
                endpoints = self
                    .store
                    .webhooks(None)?
                    .into_iter()
                    .map(|(s, e)| ((s.0, e.id), e))
                    .collect();
            }
            let (fetched, before) = (due.len(), failed_now.len());
            for (key, indexed, m) in due {
                if failed_now.contains(&(key.0, key.1)) {
                    continue;
                }
                n += usize::from(self.deliver(key, indexed, m, &mut endpoints, &mut failed_now)?);
            }
            // Another pass only when the page was full and someone failed in it.
            if fetched < 100 || failed_now.len() == before {
                break;
            }
        }
        Ok(n)
    }

    /// One due message: answers whether an attempt was made.
    fn deliver(
        &self,
        key: MessageKey,
        indexed: u64,
        mut m: WebhookMessage,
        endpoints: &mut HashMap<(u32, u32), Endpoint>,
        failed_now: &mut std::collections::HashSet<(u32, u32)>,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now_ms();
        let Some(endpoint) = endpoints.get(&(key.0, key.1)).cloned() else {
            return Ok(false);
        };
        if endpoint.disabled.is_some() {
            m.state = MessageState::Failed;
            m.next_ms = None;
            self.store.save_webhook_message(key, Some(indexed), &m)?;
            return Ok(false);
        }
        let attempt = self.attempt(key, &endpoint, &m);
        let ok = attempt.status.is_some_and(|s| (200..300).contains(&s));
        let gone = attempt.status == Some(410);
        m.attempts.push(attempt);
        if m.attempts.len() > KEEP_ATTEMPTS {
            m.attempts.remove(0);
        }
        m.tries += 1;
        if ok {
            m.state = MessageState::Delivered;
            m.next_ms = None;
        } else {
            failed_now.insert((key.0, key.1));
            match retry_delay_ms(m.tries as usize, &mut rand::rng()).filter(|_| !gone) {
                Some(d) => m.next_ms = Some(now + d),
                None => {
                    m.state = MessageState::Failed;
                    m.next_ms = None;
                }
            }
        }
        self.store.save_webhook_message(key, Some(indexed), &m)?;
        if ok && endpoint.failing_since_ms.is_none() {
            return Ok(true);
        }
        let limit = self.settings.disable_after_hours * 3_600_000;
        let updated = self.store.update_webhook(SiteId(key.0), key.1, |e| {
            if ok {
                e.failing_since_ms = None;
                return;
            }
            // A quiet gap longer than a message's whole retry schedule
            // starts a new streak.
            let quiet = e.last_failure_ms.is_none_or(|t| now.saturating_sub(t) > STREAK_GAP_MS);
            if quiet {
                e.failing_since_ms = Some(now);
            }
            e.last_failure_ms = Some(now);
            let since = *e.failing_since_ms.get_or_insert(now);
            if e.disabled.is_none() {
                if gone {
                    e.disabled = Some((now, "the endpoint answered 410 Gone".into()));
                } else if now.saturating_sub(since) >= limit {
                    e.disabled = Some((
                        now,
                        format!("every attempt failed for {} hours", self.settings.disable_after_hours),
                    ));
                }
                if let Some((_, why)) = &e.disabled {
                    tracing::warn!(site = key.0, endpoint = key.1, reason = %why, "webhook endpoint disabled");
                }
            }
        })?;
        match updated {
            Some(e) => endpoints.insert((key.0, key.1), e),
            None => endpoints.remove(&(key.0, key.1)),
        };
        Ok(true)
    }

    /// One POST of `m` to `e`.
    fn attempt(&self, key: MessageKey, e: &Endpoint, m: &WebhookMessage) -> Attempt {
        let now = self.clock.now_ms();
        let fail = |error: String| Attempt {
            at_ms: now,
            status: None,
            error: Some(error),
        };
        let Some(body) = open_body(&self.keys, m) else {
            return fail("the message could not be opened (was the master key replaced?)".into());
        };
        let secrets = secrets_of(&self.keys, SiteId(key.0), e, now);
        if secrets.is_empty() {
            return fail("the endpoint has no secret".into());
        }
        if let Err(err) =
            super::destination::check_url(&e.url, self.settings.allow_private_destinations)
        {
            return fail(err.to_string());
        }
        // The specification's timestamp: the attempt's, in unix seconds.
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let res = self
            .agent
            .post(&e.url)
            .header("content-type", "application/json")
            .header("webhook-id", &m.id)
            .header("webhook-timestamp", ts.to_string())
            .header(
                "webhook-signature",
                sign::header(&secrets, &m.id, ts, &body),
            )
            .send(&body[..]);
        match res {
            Ok(r) => Attempt {
                at_ms: now,
                status: Some(r.status().as_u16()),
                error: None,
            },
            Err(err) => fail(crate::telemetry::causes(&err)),
        }
    }

    /// Deletes finished messages older than the retention.
    ///
    /// # Errors
    /// Storage errors.
    pub fn purge(&self) -> Result<usize, StoreError> {
        let keep = self.settings.retention_days * 86_400_000;
        self.store
            .purge_webhook_messages(self.clock.now_ms().saturating_sub(keep))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_with_jitter_then_stop() {
        let mut rng = rand::rng();
        for (failed, base) in RETRY_SECONDS.iter().enumerate() {
            let d = retry_delay_ms(failed + 1, &mut rng).unwrap();
            assert!((base * 900..=base * 1100).contains(&d), "{failed}: {d}");
        }
        assert_eq!(retry_delay_ms(8, &mut rng), None);
        assert_eq!(retry_delay_ms(0, &mut rng), None);
    }
}
