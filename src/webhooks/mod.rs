//! Signed webhooks for CRMs: per-site endpoints subscribed to events
//! ([`WebhookEvent`]: `lead.created`, `lead.identified`, `lead.qualified`,
//! `conversion.created`, `conversion.refunded`, `person.erased`), signed per
//! the Standard Webhooks specification ([`sign`]), delivered at least once
//! from a durable outbox in the store with the specification's retry
//! schedule ([`deliver`]), to public destinations only unless allowed
//! ([`destination`]). Payloads: [`payload`].
//!
//! Secrets are `whsec_…`, shown once when made, sealed at rest; a rotation
//! keeps the old secret signing beside the new one for a day, so a
//! receiver can switch without losing a message.

pub mod deliver;
pub mod destination;
pub mod payload;
pub mod qualified;
pub mod sign;

use std::time::Duration;

pub use crate::domain::webhook::WebhookEvent;
use crate::{
    clock::Clock,
    config::WebhookSettings,
    domain::SiteId,
    privacy::Keys,
    store::{
        Store, StoreError, aad,
        webhooks::{Endpoint, EndpointSecret, WebhookMessage},
    },
};

/// How long a rotated-out secret keeps signing.
pub const ROTATION_OVERLAP_MS: u64 = 24 * 3_600_000;

/// Why an endpoint can't be made.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The destination is refused.
    #[error(transparent)]
    Destination(#[from] destination::DestinationError),
    /// No such endpoint.
    #[error("no webhook {0} on this site")]
    NotFound(u32),
    /// Storage trouble.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn seal_secret(keys: &Keys, site: SiteId, endpoint: u32, created_ms: u64, bytes: &[u8]) -> String {
    hex::encode(keys.seal(&aad::webhook_secret(site.0, endpoint, created_ms), bytes))
}

/// Adds an endpoint; answers it and its secret (`whsec_…`, shown once).
///
/// # Errors
/// [`WebhookError`].
pub fn create(
    store: &Store,
    keys: &Keys,
    settings: &WebhookSettings,
    site: SiteId,
    url: &str,
    events: Vec<WebhookEvent>,
    now_ms: u64,
) -> Result<(Endpoint, String), WebhookError> {
    let url = destination::check_url(url, settings.allow_private_destinations)?;
    let e = store.add_webhook(
        site,
        Endpoint {
            id: 0,
            url: url.to_string(),
            events,
            secrets: Vec::new(),
            disabled: None,
            failing_since_ms: None,
            last_failure_ms: None,
            created_ms: now_ms,
        },
    )?;
    rotate(store, keys, site, e.id, now_ms)
}

/// Gives an endpoint a new secret; the ones before keep signing for
/// [`ROTATION_OVERLAP_MS`]. Answers the endpoint and the new secret.
///
/// # Errors
/// [`WebhookError::NotFound`], storage errors.
pub fn rotate(
    store: &Store,
    keys: &Keys,
    site: SiteId,
    id: u32,
    now_ms: u64,
) -> Result<(Endpoint, String), WebhookError> {
    let (bytes, text) = sign::new_secret();
    let e = store
        .update_webhook(site, id, |e| {
            for old in &mut e.secrets {
                let until = now_ms + ROTATION_OVERLAP_MS;
                old.expires_ms = Some(old.expires_ms.map_or(until, |x| x.min(until)));
            }
            e.secrets
                .retain(|s| s.expires_ms.is_none_or(|x| x > now_ms));
            // Two secrets made in one millisecond would share associated data.
            let created = e
                .secrets
                .iter()
                .map(|s| s.created_ms + 1)
                .max()
                .unwrap_or(0)
                .max(now_ms);
            e.secrets.push(EndpointSecret {
                sealed: seal_secret(keys, site, id, created, &bytes),
                created_ms: created,
                expires_ms: None,
            });
        })?
        .ok_or(WebhookError::NotFound(id))?;
    Ok((e, text))
}

/// Enables a disabled endpoint again (its failures forgotten).
///
/// # Errors
/// [`WebhookError::NotFound`], storage errors.
pub fn enable(store: &Store, site: SiteId, id: u32) -> Result<(), WebhookError> {
    store
        .update_webhook(site, id, |e| {
            e.disabled = None;
            e.failing_since_ms = None;
            e.last_failure_ms = None;
        })?
        .ok_or(WebhookError::NotFound(id))?;
    Ok(())
}

/// A site's endpoint by id.
///
/// # Errors
/// [`WebhookError::NotFound`], storage errors.
pub fn endpoint(store: &Store, site: SiteId, id: u32) -> Result<Endpoint, WebhookError> {
    store
        .webhooks(Some(site))?
        .into_iter()
        .map(|(_, e)| e)
        .find(|e| e.id == id)
        .ok_or(WebhookError::NotFound(id))
}

/// The secrets signing at `now_ms`, opened.
#[must_use]
pub fn secrets_of(keys: &Keys, site: SiteId, e: &Endpoint, now_ms: u64) -> Vec<Vec<u8>> {
    e.secrets
        .iter()
        .filter(|s| s.expires_ms.is_none_or(|x| x > now_ms))
        .filter_map(|s| {
            let sealed = hex::decode(&s.sealed).ok()?;
            keys.open(&aad::webhook_secret(site.0, e.id, s.created_ms), &sealed)
                .ok()
        })
        .collect()
}

/// A message's body, opened.
#[must_use]
pub fn open_body(keys: &Keys, m: &WebhookMessage) -> Option<Vec<u8>> {
    let sealed = hex::decode(&m.body_sealed).ok()?;
    keys.open(&aad::webhook_body(&m.id), &sealed).ok()
}

/// Runs delivery every second until the returned task is aborted; old
/// messages are purged hourly. Errors are logged (at most once a second)
/// and the work is retried.
pub fn start(
    store: Store,
    keys: std::sync::Arc<Keys>,
    settings: WebhookSettings,
    clock: Clock,
) -> tokio::task::JoinHandle<()> {
    let d = std::sync::Arc::new(deliver::Dispatcher::new(store, keys, settings, clock));
    tokio::spawn(async move {
        let mut round: u64 = 0;
        loop {
            let d2 = d.clone();
            let res = tokio::task::spawn_blocking(move || {
                let n = d2.run_once()?;
                if round.is_multiple_of(3600) {
                    d2.purge()?;
                }
                Ok::<_, StoreError>(n)
            })
            .await;
            if let Ok(Err(e)) = res {
                tracing::error!(error = %crate::telemetry::causes(&e), "webhook delivery");
            }
            round += 1;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}
