//! The webhook outbox: messages made from changes (see [`super::changes`])
//! in the transaction that deletes the change, kept until delivered or
//! given up on, with a due index ordering the ones waiting for an attempt.
//! Every write checks what is stored now, so the dispatcher's late writes
//! can't bring back what an erasure or an admin removed meanwhile.

use redb::ReadableTable;

use super::{
    Store, StoreError, read_counter,
    rows::{from_json, to_json},
    tables::{CHANGES, META, WEBHOOK_DUE, WEBHOOK_MESSAGES},
    webhooks::{MessageKey, MessageState, WebhookMessage},
};
use crate::domain::SiteId;

const NEXT_MESSAGE_SEQ: &str = "next_webhook_message_seq";

fn put_message(
    tx: &redb::WriteTransaction,
    key: MessageKey,
    old_due: Option<u64>,
    m: &WebhookMessage,
) -> Result<(), StoreError> {
    let mut due = tx.open_table(WEBHOOK_DUE)?;
    if let Some(old) = old_due {
        due.remove((old, key.0, key.1, key.2))?;
    }
    if let (MessageState::Pending, Some(next)) = (m.state, m.next_ms) {
        due.insert((next, key.0, key.1, key.2), ())?;
    }
    tx.open_table(WEBHOOK_MESSAGES)?
        .insert(key, to_json(m)?.as_slice())?;
    Ok(())
}

/// Deletes the messages about `site`'s `lead` (it is being erased).
pub(super) fn forget_lead(
    tx: &redb::WriteTransaction,
    site: SiteId,
    lead: &str,
) -> Result<(), StoreError> {
    let mut t = tx.open_table(WEBHOOK_MESSAGES)?;
    let mut gone = Vec::new();
    for row in t.range((site.0, 0, 0)..=(site.0, u32::MAX, u64::MAX))? {
        let (k, v) = row?;
        let m: WebhookMessage = from_json(v.value(), "webhook message")?;
        if m.lead == lead {
            gone.push((k.value(), m.next_ms));
        }
    }
    let mut due = tx.open_table(WEBHOOK_DUE)?;
    for (k, next) in gone {
        t.remove(k)?;
        if let Some(n) = next {
            due.remove((n, k.0, k.1, k.2))?;
        }
    }
    Ok(())
}

impl Store {
    /// Hands changes on in one transaction: deletes the changes `done` and
    /// stores the messages made from each (change sequence, site, endpoint,
    /// message) — only for changes still there (an erasure in between
    /// dropped the others, and their messages with them). A crash before
    /// the commit leaves the changes to be handed on again.
    ///
    /// # Errors
    /// Storage errors.
    pub fn hand_on_changes(
        &self,
        done: &[u64],
        messages: &[(u64, SiteId, u32, WebhookMessage)],
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        let mut still = std::collections::HashSet::new();
        {
            let mut changes = tx.open_table(CHANGES)?;
            for seq in done {
                if changes.remove(*seq)?.is_some() {
                    still.insert(*seq);
                }
            }
        }
        for (change, site, endpoint, m) in messages {
            if !still.contains(change) {
                continue;
            }
            let mut meta = tx.open_table(META)?;
            let seq = read_counter(&meta, NEXT_MESSAGE_SEQ)?;
            meta.insert(NEXT_MESSAGE_SEQ, (seq + 1).to_be_bytes().as_slice())?;
            drop(meta);
            put_message(&tx, (site.0, *endpoint, seq), None, m)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Pending messages due at `now_ms`, oldest due first, with the due
    /// time they are indexed under; at most `limit`, leaving out the
    /// endpoints in `skip`. Index entries that no longer match their
    /// message (a replay racing an attempt) are dropped.
    ///
    /// # Errors
    /// Storage errors.
    pub fn due_webhook_messages(
        &self,
        now_ms: u64,
        limit: usize,
        skip: &std::collections::HashSet<(u32, u32)>,
    ) -> Result<Vec<(MessageKey, u64, WebhookMessage)>, StoreError> {
        let mut out = Vec::new();
        let mut stale = Vec::new();
        {
            let tx = self.db.begin_read()?;
            let due = tx.open_table(WEBHOOK_DUE)?;
            let msgs = tx.open_table(WEBHOOK_MESSAGES)?;
            for row in due.range((0, 0, 0, 0)..=(now_ms, u32::MAX, u32::MAX, u64::MAX))? {
                let (t, s, e, q) = row?.0.value();
                if skip.contains(&(s, e)) {
                    continue;
                }
                let m: Option<WebhookMessage> = msgs
                    .get((s, e, q))?
                    .map(|v| from_json(v.value(), "webhook message"))
                    .transpose()?;
                match m {
                    Some(m) if m.state == MessageState::Pending && m.next_ms == Some(t) => {
                        out.push(((s, e, q), t, m));
                    }
                    _ => stale.push((t, s, e, q)),
                }
                if out.len() >= limit {
                    break;
                }
            }
        }
        if !stale.is_empty() {
            let tx = self.db.begin_write()?;
            {
                let mut due = tx.open_table(WEBHOOK_DUE)?;
                for k in stale {
                    due.remove(k)?;
                }
            }
            tx.commit()?;
        }
        Ok(out)
    }

    /// Saves a message after an attempt; `old_due` is the due time it was
    /// indexed under. Nothing is written when the message is gone (erased or
    /// its endpoint deleted meanwhile); answers whether it was saved.
    ///
    /// # Errors
    /// Storage errors.
    pub fn save_webhook_message(
        &self,
        key: MessageKey,
        old_due: Option<u64>,
        m: &WebhookMessage,
    ) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let exists = tx.open_table(WEBHOOK_MESSAGES)?.get(key)?.is_some();
        if exists {
            put_message(&tx, key, old_due, m)?;
        } else if let Some(old) = old_due {
            tx.open_table(WEBHOOK_DUE)?
                .remove((old, key.0, key.1, key.2))?;
        }
        tx.commit()?;
        Ok(exists)
    }

    /// Queues a finished message again (same id, retry schedule restarted);
    /// `Some(false)` when it is still pending, `None` when there is none.
    ///
    /// # Errors
    /// Storage errors.
    pub fn replay_webhook_message(
        &self,
        key: MessageKey,
        now_ms: u64,
    ) -> Result<Option<bool>, StoreError> {
        let tx = self.db.begin_write()?;
        let found: Option<WebhookMessage> = tx
            .open_table(WEBHOOK_MESSAGES)?
            .get(key)?
            .map(|v| from_json(v.value(), "webhook message"))
            .transpose()?;
        let out = match found {
            None => None,
            Some(m) if m.state == MessageState::Pending => Some(false),
            Some(mut m) => {
                m.state = MessageState::Pending;
                m.next_ms = Some(now_ms);
                m.tries = 0;
                put_message(&tx, key, None, &m)?;
                Some(true)
            }
        };
        tx.commit()?;
        Ok(out)
    }

    /// One message.
    ///
    /// # Errors
    /// Storage errors.
    pub fn webhook_message(&self, key: MessageKey) -> Result<Option<WebhookMessage>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(WEBHOOK_MESSAGES)?;
        t.get(key)?
            .map(|v| from_json(v.value(), "webhook message"))
            .transpose()
    }

    /// An endpoint's messages, newest first, at most `limit`.
    ///
    /// # Errors
    /// Storage errors.
    pub fn webhook_messages(
        &self,
        site: SiteId,
        endpoint: u32,
        limit: usize,
    ) -> Result<Vec<(MessageKey, WebhookMessage)>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(WEBHOOK_MESSAGES)?;
        let mut out = Vec::new();
        for row in t
            .range((site.0, endpoint, 0)..=(site.0, endpoint, u64::MAX))?
            .rev()
            .take(limit)
        {
            let (k, v) = row?;
            out.push((k.value(), from_json(v.value(), "webhook message")?));
        }
        Ok(out)
    }

    /// Deletes finished (delivered or failed) messages made before
    /// `before_ms`; answers how many.
    ///
    /// # Errors
    /// Storage errors.
    pub fn purge_webhook_messages(&self, before_ms: u64) -> Result<usize, StoreError> {
        let tx = self.db.begin_write()?;
        let mut n = 0;
        tx.open_table(WEBHOOK_MESSAGES)?.retain(|_, v| {
            let old = from_json::<WebhookMessage>(v, "webhook message")
                .is_ok_and(|m| m.state != MessageState::Pending && m.created_ms < before_ms);
            n += usize::from(old);
            !old
        })?;
        tx.commit()?;
        Ok(n)
    }
}

#[cfg(test)]
#[path = "webhook_outbox_tests.rs"]
mod tests;
