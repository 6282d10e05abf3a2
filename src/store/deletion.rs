//! Deleting sites and workspaces in two steps: a soft delete hides them at
//! once (no ingest, no reports, no API access); the purge job deletes them
//! for good after a grace period (sites 14 days, workspaces 30 days, during
//! which a workspace can be restored from the command line).

use redb::{ReadableTable, WriteTransaction};

use super::{
    Store, StoreError, Workspace,
    rows::{all_rows, from_json, to_json},
    sites::{decode_site, drop_rollups},
    tables::{
        API_KEYS, AUDIT, DAY_VERSIONS, FUNNELS, GOALS, INVITES, MEMBERS, META, REQUESTS,
        SITE_DOMAINS, SITES, WORKSPACES,
    },
};
use crate::domain::{SiteId, WorkspaceId};

impl Store {
    /// Hides a site at once: its domain is free again, events for it are
    /// dropped, reports and the API can't reach it. Its data stays until the
    /// purge job deletes it.
    ///
    /// # Errors
    /// Storage errors.
    pub fn soft_delete_site(&self, id: SiteId, now_ms: u64) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut sites = tx.open_table(SITES)?;
            let Some(mut site) = sites
                .get(id.0)?
                .map(|v| decode_site(v.value()))
                .transpose()?
            else {
                return Ok(());
            };
            site.deleted_ms.get_or_insert(now_ms);
            sites.insert(id.0, to_json(&site)?.as_slice())?;
            let mut domains = tx.open_table(SITE_DOMAINS)?;
            if domains.get(site.domain.as_str())?.map(|v| v.value()) == Some(id.0) {
                domains.remove(site.domain.as_str())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes a site with every row of it (visits, consent, identifiers,
    /// rollups, goals), in one transaction.
    ///
    /// # Errors
    /// Storage errors.
    pub fn delete_site(&self, id: SiteId) -> Result<(), StoreError> {
        self.delete_site_events(id)?;
        let tx = self.db.begin_write()?;
        hard_delete_site(&tx, id)?;
        tx.commit()?;
        Ok(())
    }

    /// Hides a workspace at once (its members lose access, its sites stop
    /// counting, its API keys stop working) until it is restored or purged.
    ///
    /// # Errors
    /// Storage errors; [`StoreError::Conflict`] when there is no such workspace.
    pub fn soft_delete_workspace(&self, ws: WorkspaceId, now_ms: u64) -> Result<(), StoreError> {
        self.set_workspace_deleted(ws, Some(now_ms))
    }

    /// Brings a soft-deleted workspace back, with everything in it.
    ///
    /// # Errors
    /// Storage errors; [`StoreError::Conflict`] when there is no such workspace.
    pub fn restore_workspace(&self, ws: WorkspaceId) -> Result<(), StoreError> {
        self.set_workspace_deleted(ws, None)
    }

    fn set_workspace_deleted(&self, ws: WorkspaceId, at: Option<u64>) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut t = tx.open_table(WORKSPACES)?;
            let mut w: Workspace = match t.get(ws.0)? {
                Some(v) => from_json(v.value(), "workspace row")?,
                None => return Err(StoreError::Conflict(format!("no workspace {ws}"))),
            };
            w.deleted_ms = at;
            t.insert(ws.0, to_json(&w)?.as_slice())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Soft-deleted workspaces.
    ///
    /// # Errors
    /// Storage errors.
    pub fn deleted_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let tx = self.db.begin_read()?;
        let all: Vec<Workspace> = all_rows(&tx.open_table(WORKSPACES)?, "workspace row")?;
        Ok(all.into_iter().filter(|w| w.deleted_ms.is_some()).collect())
    }

    /// The sites [`Store::purge_deleted`] would delete with the same cutoffs
    /// (their own deletion, or their workspace's), so their rows can first be
    /// deleted in small batches.
    ///
    /// # Errors
    /// Storage errors.
    pub fn sites_due_for_purge(
        &self,
        sites_before_ms: u64,
        workspaces_before_ms: u64,
    ) -> Result<Vec<SiteId>, StoreError> {
        let tx = self.db.begin_read()?;
        let sites: Vec<super::Site> = all_rows(&tx.open_table(SITES)?, "site row")?;
        let ws: Vec<Workspace> = all_rows(&tx.open_table(WORKSPACES)?, "workspace row")?;
        let dead_ws = |id: WorkspaceId| {
            ws.iter()
                .any(|w| w.id == id && w.deleted_ms.is_some_and(|d| d < workspaces_before_ms))
        };
        Ok(sites
            .into_iter()
            .filter(|s| s.deleted_ms.is_some_and(|d| d < sites_before_ms) || dead_ws(s.workspace))
            .map(|s| s.id)
            .collect())
    }

    /// Deletes for good the sites soft-deleted before `sites_before_ms` and
    /// the workspaces soft-deleted before `workspaces_before_ms` (with all
    /// their sites, keys, members, invitations, audit log and request log),
    /// one transaction each. Returns the domains and workspace names purged.
    ///
    /// # Errors
    /// Storage errors; what was purged before stays purged.
    pub fn purge_deleted(
        &self,
        sites_before_ms: u64,
        workspaces_before_ms: u64,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let (sites, workspaces) = {
            let tx = self.db.begin_read()?;
            let sites: Vec<super::Site> = all_rows(&tx.open_table(SITES)?, "site row")?;
            let ws: Vec<Workspace> = all_rows(&tx.open_table(WORKSPACES)?, "workspace row")?;
            (sites, ws)
        };
        let mut gone_sites = Vec::new();
        for s in &sites {
            if s.deleted_ms.is_some_and(|d| d < sites_before_ms) {
                self.delete_site(s.id)?;
                gone_sites.push(s.domain.to_string());
            }
        }
        let mut gone_ws = Vec::new();
        for w in workspaces
            .iter()
            .filter(|w| w.deleted_ms.is_some_and(|d| d < workspaces_before_ms))
        {
            for s in sites.iter().filter(|s| s.workspace == w.id) {
                self.delete_site_events(s.id)?;
            }
            let tx = self.db.begin_write()?;
            for s in sites.iter().filter(|s| s.workspace == w.id) {
                hard_delete_site(&tx, s.id)?;
            }
            hard_delete_workspace_rows(&tx, w.id)?;
            tx.commit()?;
            gone_ws.push(w.name.clone());
        }
        Ok((gone_sites, gone_ws))
    }
}

impl Store {
    /// Deletes a site's visits from ClickHouse when they live there: before
    /// the site's redb rows go (a failure leaves the site to retry), and
    /// outside any write transaction (the writer keeps committing while the
    /// mutation runs).
    fn delete_site_events(&self, id: SiteId) -> Result<(), StoreError> {
        if let Some(ch) = &self.events {
            ch.delete_site(id)?;
        }
        Ok(())
    }
}

fn hard_delete_site(tx: &WriteTransaction, id: SiteId) -> Result<(), StoreError> {
    let Some(site) = tx
        .open_table(SITES)?
        .remove(id.0)?
        .map(|v| decode_site(v.value()))
        .transpose()?
    else {
        return Ok(());
    };
    let mut domains = tx.open_table(SITE_DOMAINS)?;
    if domains.get(site.domain.as_str())?.map(|v| v.value()) == Some(id.0) {
        domains.remove(site.domain.as_str())?;
    }
    let s = id.0;
    super::person_erase::delete_site_rows(tx, id)?;
    drop_rollups(tx, id)?;
    super::imports::delete_site_imports(tx, id)?;
    super::spend::delete_site_spend(tx, id)?;
    super::webhooks::delete_site_webhooks(tx, id)?;
    super::mail::delete_site_mail(tx, id)?;
    tx.open_table(DAY_VERSIONS)?
        .retain_in((s, 0)..=(s, u32::MAX), |_, _| false)?;
    tx.open_table(GOALS)?
        .retain_in((s, 0)..=(s, u32::MAX), |_, _| false)?;
    tx.open_table(FUNNELS)?
        .retain_in((s, 0)..=(s, u32::MAX), |_, _| false)?;
    tx.open_table(META)?
        .remove(super::retention::last_purge_key(id).as_str())?;
    Ok(())
}

fn hard_delete_workspace_rows(tx: &WriteTransaction, ws: WorkspaceId) -> Result<(), StoreError> {
    let w = ws.0;
    tx.open_table(API_KEYS)?.retain(|_, v| {
        from_json::<super::ApiKeyRecord>(v, "api key row").map_or(true, |k| k.workspace != ws)
    })?;
    tx.open_table(INVITES)?.retain(|_, v| {
        from_json::<super::Invite>(v, "invite row").map_or(true, |i| i.workspace != ws)
    })?;
    tx.open_table(MEMBERS)?
        .retain_in((w, 0)..=(w, u32::MAX), |_, _| false)?;
    tx.open_table(AUDIT)?
        .retain_in((w, 0, 0)..=(w, u64::MAX, u64::MAX), |_, _| false)?;
    tx.open_table(REQUESTS)?
        .retain_in((w, 0)..=(w, u64::MAX), |_, _| false)?;
    tx.open_table(WORKSPACES)?.remove(w)?;
    Ok(())
}
