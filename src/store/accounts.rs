//! Users, workspaces and memberships. Emails arrive here already sealed and
//! indexed by `privacy`; the store never sees them in the clear.

use redb::{ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};

use super::{
    Store, StoreError,
    rows::{all_rows, from_json, next_id, to_json},
    tables::{MEMBERS, META, NEXT_USER_ID, NEXT_WORKSPACE_ID, USER_EMAILS, USERS, WORKSPACES},
};
use crate::domain::{Role, UserId, WorkspaceId};

/// A person who can log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Id.
    pub id: UserId,
    /// Email sealed with the user id as associated data (hex).
    pub email_sealed: String,
    /// Blind index of the email (hex), the login lookup key.
    pub email_index: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// TOTP secret sealed (hex), once enrolment is confirmed.
    #[serde(default)]
    pub totp_sealed: Option<String>,
    /// A TOTP secret offered for enrolment but not yet confirmed with a code,
    /// sealed (hex); kept so the setup page shows the same one until it is
    /// confirmed or the user asks for a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_pending_sealed: Option<String>,
    /// SHA-256 (hex) of each unused recovery code.
    #[serde(default)]
    pub recovery_codes: Vec<String>,
    /// Unix ms of creation.
    pub created_ms: u64,
}

/// A tenant: it holds sites, API keys and members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    /// Id.
    pub id: WorkspaceId,
    /// Display name, unique ignoring case.
    pub name: String,
    /// Unix ms of creation.
    pub created_ms: u64,
    /// When an owner deleted it (it is purged for good 30 days later).
    #[serde(default)]
    pub deleted_ms: Option<u64>,
}

/// Where a new user's membership goes.
#[derive(Debug, Clone)]
pub enum WorkspaceChoice {
    /// An existing workspace.
    Existing(WorkspaceId),
    /// A new one with this name.
    New(String),
}

fn role_code(r: Role) -> u8 {
    match r {
        Role::Viewer => 1,
        Role::Analyst => 2,
        Role::Admin => 3,
        Role::Owner => 4,
    }
}

fn role_of(code: u8) -> Result<Role, StoreError> {
    Ok(match code {
        1 => Role::Viewer,
        2 => Role::Analyst,
        3 => Role::Admin,
        4 => Role::Owner,
        _ => return Err(StoreError::Corrupt(super::codec::CodecError("role code"))),
    })
}

impl Store {
    /// Number of users (0 means the instance still needs its setup).
    ///
    /// # Errors
    /// Storage errors.
    pub fn user_count(&self) -> Result<u64, StoreError> {
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(USERS)?.len()?)
    }

    /// Creates a user and their membership in one transaction. `make` builds
    /// the record once the id is known (the email is sealed against it).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the email or the new workspace's name is taken.
    pub fn create_user(
        &self,
        email_index: &[u8; 32],
        workspace: WorkspaceChoice,
        role: Role,
        now_ms: u64,
        make: impl FnOnce(UserId) -> UserRecord,
    ) -> Result<(UserRecord, Workspace), StoreError> {
        let tx = self.db.begin_write()?;
        let out = {
            let mut emails = tx.open_table(USER_EMAILS)?;
            if emails.get(email_index.as_slice())?.is_some() {
                return Err(StoreError::Conflict(
                    "an account with this email already exists".into(),
                ));
            }
            let mut meta = tx.open_table(META)?;
            let ws = match workspace {
                WorkspaceChoice::Existing(id) => tx
                    .open_table(WORKSPACES)?
                    .get(id.0)?
                    .map(|v| from_json::<Workspace>(v.value(), "workspace row"))
                    .transpose()?
                    .ok_or_else(|| StoreError::Conflict(format!("no workspace {id}")))?,
                WorkspaceChoice::New(name) => new_workspace(&tx, &mut meta, &name, now_ms)?,
            };
            let id = UserId(next_id(&mut meta, NEXT_USER_ID)?);
            let user = make(id);
            tx.open_table(USERS)?
                .insert(id.0, to_json(&user)?.as_slice())?;
            emails.insert(email_index.as_slice(), id.0)?;
            tx.open_table(MEMBERS)?
                .insert((ws.id.0, id.0), role_code(role))?;
            (user, ws)
        };
        tx.commit()?;
        Ok(out)
    }

    /// Rewrites a user (password, TOTP, recovery codes). The email index is fixed.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the user is gone.
    pub fn put_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut users = tx.open_table(USERS)?;
            if users.get(user.id.0)?.is_none() {
                return Err(StoreError::Conflict(format!("no user {}", user.id)));
            }
            users.insert(user.id.0, to_json(user)?.as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Reads, changes and writes a user in one transaction, so concurrent
    /// changes can't both act on the same old state. `change` returns whether
    /// to write; the answer is whether it did.
    ///
    /// # Errors
    /// Storage errors.
    pub fn update_user(
        &self,
        id: UserId,
        change: impl FnOnce(&mut UserRecord) -> bool,
    ) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        let wrote = {
            let mut users = tx.open_table(USERS)?;
            let current: Option<UserRecord> = users
                .get(id.0)?
                .map(|v| from_json(v.value(), "user row"))
                .transpose()?;
            let Some(mut user) = current else {
                return Ok(false);
            };
            let write = change(&mut user);
            if write {
                users.insert(id.0, to_json(&user)?.as_slice())?;
            }
            write
        };
        tx.commit()?;
        Ok(wrote)
    }

    /// A user by id.
    ///
    /// # Errors
    /// Storage errors.
    pub fn user(&self, id: UserId) -> Result<Option<UserRecord>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(USERS)?;
        t.get(id.0)?
            .map(|v| from_json(v.value(), "user row"))
            .transpose()
    }

    /// A user by the blind index of their email.
    ///
    /// # Errors
    /// Storage errors.
    pub fn user_by_email_index(&self, index: &[u8; 32]) -> Result<Option<UserRecord>, StoreError> {
        let id = {
            let tx = self.db.begin_read()?;
            let t = tx.open_table(USER_EMAILS)?;
            t.get(index.as_slice())?.map(|v| v.value())
        };
        id.map_or(Ok(None), |id| self.user(UserId(id)))
    }

    /// Creates a workspace.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the name is taken.
    pub fn create_workspace(&self, name: &str, now_ms: u64) -> Result<Workspace, StoreError> {
        let tx = self.db.begin_write()?;
        let ws = new_workspace(&tx, &mut tx.open_table(META)?, name, now_ms)?;
        tx.commit()?;
        Ok(ws)
    }

    /// Every workspace that is not deleted, by id.
    ///
    /// # Errors
    /// Storage errors.
    pub fn workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let tx = self.db.begin_read()?;
        let all: Vec<Workspace> = all_rows(&tx.open_table(WORKSPACES)?, "workspace row")?;
        Ok(all.into_iter().filter(|w| w.deleted_ms.is_none()).collect())
    }

    /// A workspace by id.
    ///
    /// # Errors
    /// Storage errors.
    pub fn workspace(&self, id: WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        Ok(self.workspaces()?.into_iter().find(|w| w.id == id))
    }

    /// Sets a member's role, adding them if needed.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the user or workspace is missing.
    pub fn set_member(&self, ws: WorkspaceId, user: UserId, role: Role) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            if tx.open_table(USERS)?.get(user.0)?.is_none()
                || tx.open_table(WORKSPACES)?.get(ws.0)?.is_none()
            {
                return Err(StoreError::Conflict("no such user or workspace".into()));
            }
            tx.open_table(MEMBERS)?
                .insert((ws.0, user.0), role_code(role))?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Changes (`Some`) or removes (`None`) a member's role, refusing in the
    /// same transaction if the workspace would be left without an owner.
    /// Returns whether they were a member.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when no owner would remain.
    pub fn change_member(
        &self,
        ws: WorkspaceId,
        user: UserId,
        role: Option<Role>,
    ) -> Result<bool, StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(MEMBERS)?;
            if t.get((ws.0, user.0))?.is_none() {
                return Ok(false);
            }
            match role {
                Some(r) => {
                    t.insert((ws.0, user.0), role_code(r))?;
                }
                None => {
                    t.remove((ws.0, user.0))?;
                }
            }
            let mut owners = 0;
            for row in t.range((ws.0, 0)..=(ws.0, u32::MAX))? {
                if role_of(row?.1.value())? == Role::Owner {
                    owners += 1;
                }
            }
            if owners == 0 {
                return Err(StoreError::Conflict(
                    "a workspace needs at least one owner".into(),
                ));
            }
        }
        tx.commit()?;
        Ok(true)
    }

    /// Members of a workspace with their roles.
    ///
    /// # Errors
    /// Storage errors.
    pub fn members(&self, ws: WorkspaceId) -> Result<Vec<(UserId, Role)>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(MEMBERS)?;
        let mut out = Vec::new();
        for row in t.range((ws.0, 0)..=(ws.0, u32::MAX))? {
            let (k, v) = row?;
            out.push((UserId(k.value().1), role_of(v.value())?));
        }
        Ok(out)
    }

    /// The workspaces a user belongs to, with their role in each.
    ///
    /// # Errors
    /// Storage errors.
    pub fn memberships(&self, user: UserId) -> Result<Vec<(WorkspaceId, Role)>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(MEMBERS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            let (ws, u) = k.value();
            if u == user.0 {
                out.push((WorkspaceId(ws), role_of(v.value())?));
            }
        }
        Ok(out)
    }
}

fn new_workspace(
    tx: &redb::WriteTransaction,
    meta: &mut redb::Table<&'static str, &'static [u8]>,
    name: &str,
    now_ms: u64,
) -> Result<Workspace, StoreError> {
    let mut table = tx.open_table(WORKSPACES)?;
    let existing: Vec<Workspace> = all_rows(&table, "workspace row")?;
    if existing.iter().any(|w| w.name.eq_ignore_ascii_case(name)) {
        return Err(StoreError::Conflict(format!(
            "a workspace named {name:?} already exists"
        )));
    }
    let ws = Workspace {
        id: WorkspaceId(next_id(meta, NEXT_WORKSPACE_ID)?),
        name: name.to_owned(),
        created_ms: now_ms,
        deleted_ms: None,
    };
    table.insert(ws.id.0, to_json(&ws)?.as_slice())?;
    Ok(ws)
}
