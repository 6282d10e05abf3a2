//! Message ids of events from sources that retry (Segment's `messageId`):
//! kept a day, so a message sent twice is stored once. Only a truncated
//! SHA-256 of the id is kept.

use redb::WriteTransaction;

use super::{Store, StoreError, tables::MESSAGE_IDS};
use crate::domain::SiteId;

/// How long a message id is remembered, ms (Segment de-duplicates over a day).
pub const MESSAGE_ID_TTL_MS: u64 = 24 * 3_600_000;

/// A message id as stored: the first 16 bytes of its SHA-256.
pub type MessageId = [u8; 16];

impl Store {
    /// Which of `ids` are already stored for `site`.
    ///
    /// # Errors
    /// Storage errors.
    pub fn seen_message_ids(
        &self,
        site: SiteId,
        ids: &[MessageId],
    ) -> Result<Vec<MessageId>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.db.begin_read()?;
        let t = tx.open_table(MESSAGE_IDS)?;
        let mut out = Vec::new();
        for id in ids {
            if t.get((site.0, id.as_slice()))?.is_some() {
                out.push(*id);
            }
        }
        Ok(out)
    }

    /// Forgets message ids stored before `before_ms`; returns how many.
    ///
    /// # Errors
    /// Storage errors.
    pub fn purge_message_ids(&self, before_ms: u64) -> Result<u64, StoreError> {
        let tx = self.db.begin_write()?;
        let mut n = 0;
        tx.open_table(MESSAGE_IDS)?.retain(|_, at| {
            let keep = at >= before_ms;
            n += u64::from(!keep);
            keep
        })?;
        tx.commit()?;
        Ok(n)
    }
}

/// Records the message ids of a batch (inside its transaction).
pub(super) fn write_message_ids(
    tx: &WriteTransaction,
    ids: &[(SiteId, MessageId)],
    now_ms: u64,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut t = tx.open_table(MESSAGE_IDS)?;
    for (site, id) in ids {
        t.insert((site.0, id.as_slice()), now_ms)?;
    }
    Ok(())
}
