//! `site`, `user`, `workspace` and `apikey`: managing tenancy from the
//! shell (the server must be stopped: the store has one owner process).

use std::{io::BufRead, sync::Arc};

use anyhow::Context;

use super::{KeyAction, SiteAction, UserAction, WorkspaceAction};
use crate::{
    auth::Auth,
    clock::Clock,
    config::Settings,
    domain::{Domain, Email, Role, Timezone, WorkspaceId},
    privacy,
    store::{Store, WorkspaceChoice},
};

/// Finds a workspace by name; without a name, the only one there is (made,
/// as "Default", when there are none).
fn resolve_workspace(store: &Store, name: Option<&str>) -> anyhow::Result<WorkspaceId> {
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

fn open(settings: &Settings) -> anyhow::Result<(Store, Auth)> {
    let store = crate::startup::open_store(settings)?;
    let keys = Arc::new(privacy::rekey::open_keys(settings, &store)?);
    let auth = Auth::new(store.clone(), keys, settings.auth.clone())?;
    Ok((store, auth))
}

/// `site add|list|restore`.
///
/// # Errors
/// Bad input, an unknown or taken domain, or storage errors, as one line.
pub fn site(settings: &Settings, action: SiteAction) -> anyhow::Result<()> {
    let store = || crate::startup::open_store(settings);
    match action {
        SiteAction::Restore { domain } => return site_restore(settings, &domain),
        SiteAction::Add {
            domain,
            timezone,
            workspace,
        } => {
            let domain = Domain::parse(&domain)?;
            let tz = Timezone::parse(&timezone).map_err(anyhow::Error::msg)?;
            let store = store()?;
            let ws = resolve_workspace(&store, workspace.as_deref())?;
            let site = store.add_site(ws, &domain, tz, Clock::System.now_ms())?;
            println!(
                "added site {} (id {}, timezone {})",
                site.domain, site.id, site.timezone
            );
        }
        SiteAction::List => {
            let store = store()?;
            for s in store.sites()? {
                println!("{}\t{}\t{}", s.id, s.domain, s.timezone);
            }
            let grace = privacy::retention::SITE_GRACE_DAYS * 86_400_000;
            for s in store.deleted_sites()? {
                let deleted = s.deleted_ms.unwrap_or_default();
                println!(
                    "{}\t{}\t{}\t(deleted {}, purged after {})",
                    s.id,
                    s.domain,
                    s.timezone,
                    crate::domain::calendar::fmt_utc(deleted),
                    crate::domain::calendar::fmt_utc(deleted + grace)
                );
            }
        }
    }
    Ok(())
}

/// `site restore DOMAIN`: the most recently deleted site of that domain,
/// audited in its workspace.
fn site_restore(settings: &Settings, domain: &str) -> anyhow::Result<()> {
    let (store, auth) = open(settings)?;
    let site = store.restore_site(domain)?;
    auth.audit(
        &[site.workspace],
        None,
        "site_restored",
        &format!("{} (from the command line)", site.domain),
        Clock::System.now_ms(),
    )?;
    let hidden = !store.workspaces()?.iter().any(|w| w.id == site.workspace);
    println!(
        "restored {}{}",
        site.domain,
        if hidden {
            " (its workspace is deleted too: restore that with `touchpoint workspace restore`)"
        } else {
            ""
        }
    );
    Ok(())
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

/// `apikey create`.
///
/// # Errors
/// Bad input or storage errors, as one line.
pub fn apikey(settings: &Settings, action: KeyAction) -> anyhow::Result<()> {
    let KeyAction::Create {
        name,
        workspace,
        conversions,
        sites,
    } = action;
    let (store, auth) = open(settings)?;
    let ws = resolve_workspace(&store, workspace.as_deref())?;
    let (key, record) = auth.create_api_key(
        ws,
        &name,
        crate::store::KeyScopes { conversions, sites },
        Clock::System.now_ms(),
    )?;
    println!("created API key {:?}; it is shown only once:", record.name);
    println!("{key}");
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

/// `workspace list|restore`.
///
/// # Errors
/// An unknown workspace or storage errors, as one line.
pub fn workspace(settings: &Settings, action: WorkspaceAction) -> anyhow::Result<()> {
    let (store, auth) = open(settings)?;
    let grace = privacy::retention::WORKSPACE_GRACE_DAYS * 86_400_000;
    match action {
        WorkspaceAction::List => {
            for w in store.workspaces()? {
                println!("{}", w.name);
            }
            for w in store.deleted_workspaces()? {
                let deleted = w.deleted_ms.unwrap_or_default();
                println!(
                    "{} (deleted {}, purged after {})",
                    w.name,
                    crate::domain::calendar::fmt_utc(deleted),
                    crate::domain::calendar::fmt_utc(deleted + grace)
                );
            }
        }
        WorkspaceAction::Restore { name } => {
            let w = store
                .deleted_workspaces()?
                .into_iter()
                .find(|w| w.name.eq_ignore_ascii_case(name.trim()))
                .with_context(|| format!("no deleted workspace named {name:?}"))?;
            store.restore_workspace(w.id)?;
            auth.audit(
                &[w.id, WorkspaceId(0)],
                None,
                "workspace_restored",
                &format!("{} (from the command line)", w.name),
                Clock::System.now_ms(),
            )?;
            println!("restored {}", w.name);
        }
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
