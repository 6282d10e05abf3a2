//! The data-subject request log: what was asked (access, export, erasure,
//! rectification), when it was received and completed, by whom, and how many
//! rows it touched. It never holds the person's identifiers.

use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError, read_counter,
    rows::{from_json, to_json},
    tables::{META, NEXT_REQUEST_ID, REQUESTS},
};
use crate::domain::{UserId, WorkspaceId};

/// A request's kind (GDPR Art. 15, 20, 17, 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestKind {
    /// See what is held.
    Access,
    /// A copy in a portable format.
    Export,
    /// Deletion.
    Erasure,
    /// Correction.
    Rectification,
}

impl RequestKind {
    /// Every kind.
    pub const ALL: [Self; 4] = [
        Self::Access,
        Self::Export,
        Self::Erasure,
        Self::Rectification,
    ];

    /// Its name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Export => "export",
            Self::Erasure => "erasure",
            Self::Rectification => "rectification",
        }
    }

    /// Parses a name.
    ///
    /// # Errors
    /// An unknown kind.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown request kind {s:?}"))
    }
}

/// One logged request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectRequest {
    /// Its id, unique in the store.
    pub id: u64,
    /// The site's domain it concerns.
    pub site: String,
    /// What was asked.
    pub kind: RequestKind,
    /// How the person was identified (`email`, `phone`...), never the value.
    pub identified_by: String,
    /// Received, unix ms.
    pub received_ms: u64,
    /// Completed, unix ms.
    pub completed_ms: Option<u64>,
    /// Who handled it.
    pub handled_by: Option<UserId>,
    /// Rows found or deleted, per table.
    pub rows: std::collections::BTreeMap<String, u64>,
}

/// Days a request may take (GDPR Art. 12(3): one month).
pub const DUE_DAYS: u64 = 30;

impl SubjectRequest {
    /// When it is due, unix ms.
    #[must_use]
    pub fn due_ms(&self) -> u64 {
        self.received_ms + DUE_DAYS * 86_400_000
    }
}

impl Store {
    /// Logs a request (giving it an id) and returns it.
    ///
    /// # Errors
    /// Storage errors.
    pub fn log_request(
        &self,
        ws: WorkspaceId,
        mut r: SubjectRequest,
    ) -> Result<SubjectRequest, StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut meta = tx.open_table(META)?;
            let id = read_counter(&meta, NEXT_REQUEST_ID)?.max(1);
            meta.insert(NEXT_REQUEST_ID, (id + 1).to_be_bytes().as_slice())?;
            r.id = id;
            tx.open_table(REQUESTS)?
                .insert((ws.0, id), to_json(&r)?.as_slice())?;
        }
        tx.commit()?;
        Ok(r)
    }

    /// Replaces a logged request (completing it).
    ///
    /// # Errors
    /// Storage errors; [`StoreError::Conflict`] when it isn't logged.
    pub fn update_request(&self, ws: WorkspaceId, r: &SubjectRequest) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(REQUESTS)?;
            if t.get((ws.0, r.id))?.is_none() {
                return Err(StoreError::Conflict(format!("no request {}", r.id)));
            }
            t.insert((ws.0, r.id), to_json(r)?.as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A workspace's requests, newest first.
    ///
    /// # Errors
    /// Storage errors.
    pub fn requests(&self, ws: WorkspaceId) -> Result<Vec<SubjectRequest>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(REQUESTS)?;
        let mut out = Vec::new();
        for row in t.range((ws.0, 0)..=(ws.0, u64::MAX))?.rev() {
            out.push(from_json(row?.1.value(), "request row")?);
        }
        Ok(out)
    }
}
