//! `user`, `purge` and `rekey`: run on the store directly (the server must
//! be stopped: the store has one owner process).

use std::{io::BufRead, sync::Arc};

use anyhow::Context;

use super::UserAction;
use crate::{
    auth::Auth,
    clock::Clock,
    config::Settings,
    domain::{Email, Role, WorkspaceId},
    privacy,
    store::{Store, WorkspaceChoice},
};

/// Finds a workspace by name; without a name, the only one there is (made,
/// as "Default", when there are none).
pub(super) fn resolve_workspace(store: &Store, name: Option<&str>) -> anyhow::Result<WorkspaceId> {
    let all = store.workspaces()?;
    match name {
        Some(n) => all
            .iter()
            .find(|w| w.name.eq_ignore_ascii_case(n.trim()))
            .map(|w| w.id)
            .with_context(|| format!("no workspace named {n:?}")),
        None => match all.as_slice() {
            [] => Ok(store
                .create_workspace("Default", Clock::System.now_ms())?
                .id),
            [one] => Ok(one.id),
            _ => anyhow::bail!("there are several workspaces: name one with --workspace"),
        },
    }
}

pub(super) fn open(settings: &Settings) -> anyhow::Result<(Store, Auth)> {
    let store = crate::startup::open_store(settings)?;
    let keys = Arc::new(privacy::rekey::open_keys(settings, &store)?);
    let auth = Auth::new(store.clone(), keys, settings.auth.clone())?;
    Ok((store, auth))
}

/// `user add`.
///
/// # Errors
/// Bad input or storage errors, as one line.
pub fn user(settings: &Settings, action: UserAction) -> anyhow::Result<()> {
    let UserAction::Add {
        email,
        role,
        workspace,
        password_stdin,
    } = action;
    let email = Email::parse(&email).map_err(anyhow::Error::msg)?;
    let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
    let (store, auth) = open(settings)?;
    let now = Clock::System.now_ms();
    let ws = store
        .workspaces()?
        .into_iter()
        .find(|w| w.name.eq_ignore_ascii_case(workspace.trim()));
    if let Some(existing) = auth.user_by_email(&email)? {
        let ws = match ws {
            Some(w) => w,
            None => store.create_workspace(workspace.trim(), now)?,
        };
        store.set_member(ws.id, existing.id, role)?;
        auth.audit(
            &[ws.id],
            None,
            "role_changed",
            &format!("{email} is now {role} (from the command line)"),
            now,
        )?;
        println!("{email} is now {role} in workspace {:?}", ws.name);
        return Ok(());
    }
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (privacy::random_token()[..20].to_owned(), true)
    };
    let choice = match ws {
        Some(w) => WorkspaceChoice::Existing(w.id),
        None => WorkspaceChoice::New(workspace.trim().to_owned()),
    };
    let (user, ws) = auth.create_user(&email, &password, choice, role, now)?;
    auth.audit(
        &[ws.id],
        None,
        "user_created",
        &format!("{email} added as {role} (from the command line)"),
        now,
    )?;
    println!(
        "created user {email} (id {}) as {role} in workspace {:?}",
        user.id, ws.name
    );
    if generated {
        println!("their password is shown only once:");
        println!("{password}");
    }
    Ok(())
}

/// `purge [--dry-run]`: one line per site and table.
///
/// # Errors
/// Storage errors, as one line.
pub fn purge(settings: &Settings, dry_run: bool) -> anyhow::Result<()> {
    let (store, auth) = open(settings)?;
    let (months, batch) = (
        settings.privacy.retention_months,
        settings.privacy.purge_batch_rows,
    );
    let now = Clock::System.now_ms();
    let receipts = if dry_run {
        privacy::retention::purge_all(&store, months, batch, now, true)?
            .into_iter()
            .map(|(_, r)| r)
            .collect()
    } else {
        privacy::retention::run(&auth, &store, months, batch, now)?
    };
    let verb = if dry_run { "would delete" } else { "deleted" };
    for r in &receipts {
        println!(
            "{}: keeps {} months (from {}); {verb}:",
            r.site, r.retention_months, r.kept_from
        );
        for (table, n) in &r.rows {
            println!("  {:<14} {n}", table.table_name());
        }
        println!("  {:<14} {}", "rollups_v1", r.rollups);
    }
    if receipts.is_empty() {
        println!("no sites");
    }
    Ok(())
}

/// `rekey [--new-key-file PATH]`.
///
/// # Errors
/// A wrong key, damaged data or storage errors, as one line; run it again.
pub fn rekey(settings: &Settings, new_key_file: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let store = Store::open(&settings.storage.data_dir)?;
    let from_env = !settings.privacy.master_key.trim().is_empty();
    let replace = new_key_file.is_none();
    let path = match new_key_file {
        Some(p) => p,
        None if from_env => anyhow::bail!(
            "privacy.master_key is set: name the new key with --new-key-file PATH, then set privacy.master_key to it"
        ),
        None => {
            let mut p = settings.key_file().into_os_string();
            p.push(".new");
            p.into()
        }
    };
    let new = privacy::rekey::new_master(&path)?;
    let report = privacy::rekey::rekey(settings, &store, &new, std::io::stderr().is_terminal())?;
    if replace {
        std::fs::rename(&path, settings.key_file())
            .and_then(|()| privacy::sync_dir(&settings.key_file()))
            .with_context(|| format!("moving {} over the key file", path.display()))?;
        println!(
            "rekeyed: {} values re-sealed{}; {} now holds the new key, the old key opens nothing",
            report.resealed,
            if report.resumed { " (resumed)" } else { "" },
            settings.key_file().display()
        );
    } else {
        println!(
            "rekeyed: {} values re-sealed{}; the new key is in {} — point privacy.key_file at it (or set privacy.master_key to its base64) before starting the server; the old key opens nothing",
            report.resealed,
            if report.resumed { " (resumed)" } else { "" },
            path.display()
        );
    }
    Ok(())
}
