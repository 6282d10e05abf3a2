//! The audit log of security-relevant actions, per workspace, append-only.

use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError, read_counter,
    rows::{from_json, to_json},
    tables::{AUDIT, META, NEXT_AUDIT_SEQ},
};
use crate::domain::{UserId, WorkspaceId};

/// One audited action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Unix ms.
    pub at_ms: u64,
    /// Who did it, when known.
    pub actor: Option<UserId>,
    /// What kind of action (`login`, `login_failed`, `role_changed`...).
    pub action: String,
    /// Details for people (no secrets, no raw IPs), sealed by `auth` (hex).
    pub detail: String,
}

impl Store {
    /// Appends an entry to each listed workspace's log (workspace 0 is the
    /// instance log) in one transaction.
    ///
    /// # Errors
    /// Storage errors.
    pub fn append_audit(
        &self,
        workspaces: &[WorkspaceId],
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut meta = tx.open_table(META)?;
            let mut log = tx.open_table(AUDIT)?;
            let json = to_json(entry)?;
            for ws in workspaces {
                let seq = read_counter(&meta, NEXT_AUDIT_SEQ)?;
                meta.insert(NEXT_AUDIT_SEQ, (seq + 1).to_be_bytes().as_slice())?;
                log.insert((ws.0, entry.at_ms, seq), json.as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The newest `limit` entries of a workspace's log, newest first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn audit_log(&self, ws: WorkspaceId, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(AUDIT)?;
        let mut out = Vec::new();
        for row in t.range((ws.0, 0, 0)..=(ws.0, u64::MAX, u64::MAX))?.rev() {
            let (_, v) = row?;
            out.push(from_json(v.value(), "audit row")?);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }
}
