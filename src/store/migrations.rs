//! Schema migrations, one function per step, each run inside the opening
//! transaction so a crash leaves the previous version intact.

use redb::{ReadableTable, WriteTransaction};

use super::{
    StoreError,
    accounts::Workspace,
    keys::ApiKeyRecord,
    rows::{all_rows, from_json, next_id, to_json},
    sites::Site,
    tables::{
        API_KEYS, META, NEXT_WORKSPACE_ID, ROLLED_DAYS, ROLLUPS, SESSIONS, SITES, WORKSPACES,
    },
};
use crate::domain::{WorkspaceId, calendar::days_to_ms};

/// Version 1 had no workspaces: its sites and API keys move into a new
/// workspace named "Default" (only if there are any). Its rollups lack the
/// hour buckets, so they are dropped; the rollup job rebuilds them.
pub(super) fn v1_to_v2(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(ROLLUPS)?.retain(|_, _| false)?;
    tx.open_table(ROLLED_DAYS)?.retain(|_, _| false)?;
    let mut sites = tx.open_table(SITES)?;
    let mut keys = tx.open_table(API_KEYS)?;
    let old_sites: Vec<Site> = all_rows(&sites, "site row")?;
    let mut old_keys = Vec::new();
    for row in keys.iter()? {
        let (k, v) = row?;
        old_keys.push((
            k.value().to_owned(),
            from_json::<ApiKeyRecord>(v.value(), "api key row")?,
        ));
    }
    if old_sites.is_empty() && old_keys.is_empty() {
        return Ok(());
    }
    let ws = Workspace {
        id: WorkspaceId(next_id(&mut tx.open_table(META)?, NEXT_WORKSPACE_ID)?),
        name: "Default".into(),
        created_ms: old_sites.iter().map(|s| s.created_ms).min().unwrap_or(0),
        deleted_ms: None,
    };
    tx.open_table(WORKSPACES)?
        .insert(ws.id.0, to_json(&ws)?.as_slice())?;
    for mut site in old_sites {
        site.workspace = ws.id;
        sites.insert(site.id.0, to_json(&site)?.as_slice())?;
    }
    for (hash, mut key) in old_keys {
        key.workspace = ws.id;
        keys.insert(hash.as_str(), to_json(&key)?.as_slice())?;
    }
    tracing::info!(
        "store migrated to schema 2: existing sites and keys are in workspace \"Default\""
    );
    Ok(())
}

/// Version 3 adds day segments, written with a day's rollups. Days rolled up
/// before have none: those that still have visits lose their mark, so the
/// rollup job rebuilds them with a segment. Days whose visits are gone keep
/// their rollups (the site's anonymous aggregates) as they are.
pub(super) fn v2_to_v3(tx: &WriteTransaction) -> Result<(), StoreError> {
    let sites: Vec<Site> = all_rows(&tx.open_table(SITES)?, "site row")?;
    let sessions = tx.open_table(SESSIONS)?;
    let mut rolled = tx.open_table(ROLLED_DAYS)?;
    let mut stale = Vec::new();
    for site in &sites {
        for row in rolled.range((site.id.0, 0)..=(site.id.0, u32::MAX))? {
            let (_, day) = row?.0.value();
            let (from, to) = days_to_ms(day, day, site.timezone);
            if sessions
                .range((site.id.0, from, 0)..(site.id.0, to, 0))?
                .next()
                .is_some()
            {
                stale.push((site.id.0, day));
            }
        }
    }
    for k in &stale {
        rolled.remove(k)?;
    }
    if !stale.is_empty() {
        tracing::info!(
            days = stale.len(),
            "store migrated to schema 3: rolled-up days are rebuilt with day segments"
        );
    }
    Ok(())
}

/// Version 4 stores each day-segment column in pieces that fill whole runs
/// of pages (see `store::segments`): the columns move over, their bytes
/// unchanged, and the old table is deleted.
pub(super) fn v3_to_v4(tx: &WriteTransaction) -> Result<(), StoreError> {
    let moved = super::segments::rechunk_v1(tx)?;
    if moved > 0 {
        tracing::info!(
            columns = moved,
            "store migrated to schema 4: day segments are stored in pieces"
        );
    }
    Ok(())
}
