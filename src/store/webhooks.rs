//! Webhook endpoints and the types of their messages (the outbox itself is
//! `webhook_outbox.rs`). Secrets and message bodies are sealed by the
//! caller (bodies hold the lead's email).

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError, read_counter,
    rows::{from_json, to_json},
    tables::{META, WEBHOOK_DUE, WEBHOOK_MESSAGES, WEBHOOKS},
};
use crate::domain::{SiteId, webhook::WebhookEvent};

const NEXT_WEBHOOK_ID: &str = "next_webhook_id";

/// A signing secret of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSecret {
    /// The secret's bytes, sealed (hex).
    pub sealed: String,
    /// When it was made, unix ms (also its associated data).
    pub created_ms: u64,
    /// When it stops signing (a rotated-out secret), unix ms.
    pub expires_ms: Option<u64>,
}

/// A site's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Id within the site.
    pub id: u32,
    /// Where messages are POSTed.
    pub url: String,
    /// What it subscribes to.
    pub events: Vec<WebhookEvent>,
    /// Secrets signing its messages (several during a rotation).
    pub secrets: Vec<EndpointSecret>,
    /// Disabled (no delivery): when, and why.
    pub disabled: Option<(u64, String)>,
    /// Since when every attempt has failed, unix ms.
    pub failing_since_ms: Option<u64>,
    /// The last failed attempt, unix ms (a long quiet gap restarts the
    /// failing streak).
    #[serde(default)]
    pub last_failure_ms: Option<u64>,
    /// Made, unix ms.
    pub created_ms: u64,
}

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageState {
    /// Waiting for (another) attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up: retries exhausted, or the endpoint was disabled.
    Failed,
}

/// One attempt's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When, unix ms.
    pub at_ms: u64,
    /// The HTTP status, when one came back.
    pub status: Option<u16>,
    /// What went wrong otherwise (connection refused, timeout...).
    pub error: Option<String>,
}

/// One message to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookMessage {
    /// `msg_…`: the `webhook-id` header, the same on every attempt.
    pub id: String,
    /// Its event.
    pub event: WebhookEvent,
    /// The lead it is about (hex), for erasure.
    pub lead: String,
    /// Made, unix ms (the payload's timestamp).
    pub created_ms: u64,
    /// The JSON body, sealed (hex).
    pub body_sealed: String,
    /// State.
    pub state: MessageState,
    /// When the next attempt is due (pending messages), unix ms.
    pub next_ms: Option<u64>,
    /// Attempts so far, newest last (the last 20 are kept).
    pub attempts: Vec<Attempt>,
    /// Attempts since it was made or last replayed (the retry schedule's
    /// position).
    #[serde(default)]
    pub tries: u32,
}

/// A message's key: site, endpoint, sequence.
pub type MessageKey = (u32, u32, u64);
impl Store {
    /// Adds an endpoint; its id is assigned here.
    ///
    /// # Errors
    /// Storage errors.
    pub fn add_webhook(&self, site: SiteId, mut e: Endpoint) -> Result<Endpoint, StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut meta = tx.open_table(META)?;
            let id = read_counter(&meta, NEXT_WEBHOOK_ID)? + 1;
            meta.insert(NEXT_WEBHOOK_ID, id.to_be_bytes().as_slice())?;
            e.id =
                u32::try_from(id).map_err(|_| StoreError::Conflict("too many webhooks".into()))?;
            tx.open_table(WEBHOOKS)?
                .insert((site.0, e.id), to_json(&e)?.as_slice())?;
        }
        tx.commit()?;
        Ok(e)
    }

    /// Replaces an endpoint (disabling, re-enabling, rotating its secret).
    ///
    /// # Errors
    /// Storage errors.
    pub fn put_webhook(&self, site: SiteId, e: &Endpoint) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        tx.open_table(WEBHOOKS)?
            .insert((site.0, e.id), to_json(e)?.as_slice())?;
        tx.commit()?;
        Ok(())
    }

    /// A site's endpoints; `None` for every site's, with their sites.
    ///
    /// # Errors
    /// Storage errors.
    pub fn webhooks(&self, site: Option<SiteId>) -> Result<Vec<(SiteId, Endpoint)>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(WEBHOOKS)?;
        let (lo, hi) = site.map_or((0, u32::MAX), |s| (s.0, s.0));
        let mut out = Vec::new();
        for row in t.range((lo, 0)..=(hi, u32::MAX))? {
            let (k, v) = row?;
            out.push((SiteId(k.value().0), from_json(v.value(), "webhook row")?));
        }
        Ok(out)
    }

    /// Deletes an endpoint and its messages; false when there is none.
    ///
    /// # Errors
    /// Storage errors.
    pub fn delete_webhook(&self, site: SiteId, id: u32) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let found = tx.open_table(WEBHOOKS)?.remove((site.0, id))?.is_some();
        {
            let mut msgs = tx.open_table(WEBHOOK_MESSAGES)?;
            let mut due = tx.open_table(WEBHOOK_DUE)?;
            let mut gone = Vec::new();
            for row in msgs.range((site.0, id, 0)..=(site.0, id, u64::MAX))? {
                let (k, v) = row?;
                let m: WebhookMessage = from_json(v.value(), "webhook message")?;
                gone.push((k.value(), m.next_ms));
            }
            for (k, next) in gone {
                msgs.remove(k)?;
                if let Some(n) = next {
                    due.remove((n, k.0, k.1, k.2))?;
                }
            }
        }
        tx.commit()?;
        Ok(found)
    }

    /// Changes an endpoint as it is now (read and written in one
    /// transaction, so an admin's change in between isn't overwritten);
    /// `None` when it is gone.
    ///
    /// # Errors
    /// Storage errors.
    pub fn update_webhook(
        &self,
        site: SiteId,
        id: u32,
        f: impl FnOnce(&mut Endpoint),
    ) -> Result<Option<Endpoint>, StoreError> {
        let tx = self.db.begin_write()?;
        let out = {
            let mut t = tx.open_table(WEBHOOKS)?;
            let found: Option<Endpoint> = t
                .get((site.0, id))?
                .map(|v| from_json(v.value(), "webhook row"))
                .transpose()?;
            match found {
                Some(mut e) => {
                    f(&mut e);
                    t.insert((site.0, id), to_json(&e)?.as_slice())?;
                    Some(e)
                }
                None => None,
            }
        };
        tx.commit()?;
        Ok(out)
    }
}

/// Deletes a site's endpoints and messages (the site is being deleted).
pub(super) fn delete_site_webhooks(
    tx: &redb::WriteTransaction,
    site: SiteId,
) -> Result<(), StoreError> {
    let s = site.0;
    tx.open_table(WEBHOOKS)?
        .retain_in((s, 0)..=(s, u32::MAX), |_, _| false)?;
    tx.open_table(WEBHOOK_MESSAGES)?
        .retain_in((s, 0, 0)..=(s, u32::MAX, u64::MAX), |_, _| false)?;
    tx.open_table(WEBHOOK_DUE)?
        .retain(|(_, site, _, _), ()| site != s)?;
    Ok(())
}
