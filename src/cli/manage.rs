//! `site`, `goal`, `apikey` and `workspace`: managing tenancy. Each runs
//! against a [`Ctx`]: the store opened by the command itself, or, while the
//! server runs, the server's own (the command is handed over through the
//! admin socket, see [`super::admin`]). Output is collected and printed by
//! the caller, so both ways print the same lines.

use std::{fmt::Write as _, sync::Arc};

use actix_web::web;
use anyhow::Context;

use super::{GoalAction, KeyAction, SiteAction, WorkspaceAction, accounts::resolve_workspace};
use crate::{
    auth::Auth,
    clock::Clock,
    config::Settings,
    domain::{Domain, Timezone, WorkspaceId},
    privacy,
    startup::AppState,
    store::{GoalKind, KeyScopes, Site, Store},
};

/// A command that also runs inside the server.
#[derive(Debug)]
pub enum Managed {
    /// `site …`
    Site(SiteAction),
    /// `goal …`
    Goal(GoalAction),
    /// `apikey …`
    Apikey(KeyAction),
    /// `workspace …`
    Workspace(WorkspaceAction),
    /// `export …`
    Export(super::exchange::Export),
    /// `import …`
    Import(super::exchange::Import),
    /// `spend …`
    Spend(super::spend::SpendAction),
    /// `webhook …`
    Webhook(super::webhook::WebhookAction),
    /// `report …`
    Report(super::ReportAction),
    /// `backup …`
    Backup(super::backup::Backup),
}

impl Managed {
    /// The command line that makes this command (handed to a running server).
    fn args(&self) -> anyhow::Result<Vec<String>> {
        Ok(match self {
            Self::Export(e) => e.args(),
            Self::Import(i) => i.args(),
            Self::Spend(a) => a.args()?,
            Self::Backup(b) => b.args(),
            _ => std::env::args().skip(1).collect(),
        })
    }
}

/// Where a command runs.
pub struct Ctx {
    /// The store.
    pub store: Store,
    /// Accounts and audit.
    pub auth: Arc<Auth>,
    /// Settings in force.
    pub settings: Arc<Settings>,
    /// The running server's state, when the command runs inside it.
    pub state: Option<web::Data<AppState>>,
}

impl Ctx {
    pub(super) fn now_ms(&self) -> u64 {
        self.state
            .as_ref()
            .map_or_else(|| Clock::System.now_ms(), |s| s.clock.now_ms())
    }

    /// After sites changed: the running server takes them at once; a store
    /// opened here gives new sites their write keys now.
    pub(super) fn sites_changed(&self) -> anyhow::Result<()> {
        match &self.state {
            Some(s) => s.reload_sites()?,
            None => drop(crate::segment::ensure_write_keys(&self.store)?),
        }
        Ok(())
    }

    /// The live site of a domain.
    pub(super) fn site(&self, domain: &str) -> anyhow::Result<Site> {
        let d = Domain::parse(domain)?;
        self.store
            .read()?
            .site_by_domain(d.as_str())?
            .filter(|s| s.deleted_ms.is_none())
            .with_context(|| format!("no site {domain}"))
    }
}

/// Runs `cmd` here, or in the running server when it holds the store.
///
/// # Errors
/// What stopped the command, as one line.
pub fn local(settings: &Settings, cmd: Managed) -> anyhow::Result<()> {
    if let Some(output) = super::admin::forward(settings, &cmd.args()?)? {
        print!("{output}");
        return Ok(());
    }
    let (store, auth) = super::accounts::open(settings)?;
    let ctx = Ctx {
        store,
        auth: Arc::new(auth),
        settings: Arc::new(settings.clone()),
        state: None,
    };
    let mut out = String::new();
    let res = run(&ctx, cmd, &mut out);
    print!("{out}");
    res
}

/// Runs a command, appending what it prints to `out`.
///
/// # Errors
/// What stopped the command, as one line (`out` keeps what was done).
pub fn run(ctx: &Ctx, cmd: Managed, out: &mut String) -> anyhow::Result<()> {
    match cmd {
        Managed::Site(a) => site(ctx, a, out),
        Managed::Goal(a) => goal(ctx, a, out),
        Managed::Apikey(a) => apikey(ctx, a, out),
        Managed::Workspace(a) => workspace(ctx, a, out),
        Managed::Export(e) => super::exchange::export(ctx, &e, out),
        Managed::Import(i) => super::exchange::import(ctx, &i, out),
        Managed::Spend(a) => super::spend::run(ctx, &a, out),
        Managed::Webhook(a) => super::webhook::run(ctx, a, out),
        Managed::Report(a) => super::report::run(ctx, a, out),
        Managed::Backup(b) => super::backup::run(ctx, &b, out),
    }
}

fn site(ctx: &Ctx, action: SiteAction, out: &mut String) -> anyhow::Result<()> {
    let store = &ctx.store;
    let max = ctx.settings.privacy.retention_months;
    match action {
        SiteAction::Restore { domain } => {
            let site = store.restore_site(&domain)?;
            ctx.auth.audit(
                &[site.workspace],
                None,
                "site_restored",
                &format!("{} (from the command line)", site.domain),
                ctx.now_ms(),
            )?;
            ctx.sites_changed()?;
            let hidden = !store.workspaces()?.iter().any(|w| w.id == site.workspace);
            writeln!(
                out,
                "restored {}{}",
                site.domain,
                if hidden {
                    " (its workspace is deleted too: restore that with `touchpoint workspace restore`)"
                } else {
                    ""
                }
            )?;
        }
        SiteAction::Add {
            domain,
            timezone,
            workspace,
        } => {
            let domain = Domain::parse(&domain)?;
            let tz = Timezone::parse(&timezone).map_err(anyhow::Error::msg)?;
            let ws = resolve_workspace(store, workspace.as_deref())?;
            let site = store.add_site(ws, &domain, tz, ctx.now_ms())?;
            ctx.auth.audit(
                &[ws],
                None,
                "site_created",
                &format!("{} (from the command line)", site.domain),
                ctx.now_ms(),
            )?;
            ctx.sites_changed()?;
            writeln!(
                out,
                "added site {} (id {}, timezone {})",
                site.domain, site.id, site.timezone
            )?;
        }
        SiteAction::List => {
            for s in store.sites()?.iter().filter(|s| s.deleted_ms.is_none()) {
                writeln!(out, "{}\t{}\t{}", s.id, s.domain, s.timezone)?;
            }
            let grace = privacy::retention::SITE_GRACE_DAYS * 86_400_000;
            for s in store.deleted_sites()? {
                let deleted = s.deleted_ms.unwrap_or_default();
                writeln!(
                    out,
                    "{}\t{}\t{}\t(deleted {}, purged after {})",
                    s.id,
                    s.domain,
                    s.timezone,
                    crate::domain::calendar::fmt_utc(deleted),
                    crate::domain::calendar::fmt_utc(deleted + grace)
                )?;
            }
        }
        SiteAction::Show { domain } => {
            if ctx.site(&domain)?.segment_write_key.is_none() {
                ctx.sites_changed()?;
            }
            for line in crate::sites::describe(&ctx.site(&domain)?, max) {
                writeln!(out, "{line}")?;
            }
        }
        SiteAction::Set { domain, settings } => {
            let mut site = ctx.site(&domain)?;
            let given = settings.given();
            anyhow::ensure!(
                !given.is_empty(),
                "name a setting to change, e.g. --consent-mode require (see `touchpoint site set --help`)"
            );
            let mut patch = crate::sites::Patch::default();
            for (name, value) in given {
                crate::sites::set_text(&mut patch, name, value, max).map_err(anyhow::Error::msg)?;
            }
            let id = site.id.0;
            let keys = ctx.auth.keys.clone();
            let changed = crate::sites::apply(&mut site, patch, max, |secret| {
                hex::encode(keys.seal(&privacy::aad::site_stripe_secret(id), secret.as_bytes()))
            });
            if changed.is_empty() {
                writeln!(out, "{}: nothing changed", site.domain)?;
            } else {
                store.update_site(&site)?;
                ctx.auth.audit(
                    &[site.workspace],
                    None,
                    "settings_changed",
                    &format!(
                        "{}: {} (from the command line)",
                        site.domain,
                        changed.join(", ")
                    ),
                    ctx.now_ms(),
                )?;
                ctx.sites_changed()?;
                writeln!(out, "{}: changed {}", site.domain, changed.join(", "))?;
            }
        }
    }
    Ok(())
}

fn goal(ctx: &Ctx, action: GoalAction, out: &mut String) -> anyhow::Result<()> {
    let label = |k: &GoalKind| match k {
        GoalKind::Event(_) => "event",
        GoalKind::Page(_) => "page",
    };
    match action {
        GoalAction::List { domain } => {
            let site = ctx.site(&domain)?;
            for g in ctx.store.goals(site.id)? {
                writeln!(out, "{}\t{}\t{}", g.id, label(&g.kind), g.name())?;
            }
        }
        GoalAction::Add {
            domain,
            event,
            page,
        } => {
            let site = ctx.site(&domain)?;
            let (kind, value) = match (&event, &page) {
                (Some(e), _) => ("event", e.as_str()),
                (None, Some(p)) => ("page", p.as_str()),
                (None, None) => anyhow::bail!("give --event NAME or --page PATH"),
            };
            let kind = crate::sites::goal_kind(kind, value).map_err(anyhow::Error::msg)?;
            let existing = ctx
                .store
                .goals(site.id)?
                .into_iter()
                .find(|g| g.kind == kind);
            let g = match existing {
                Some(g) => g,
                None => {
                    let g = ctx.store.add_goal(site.id, kind)?;
                    ctx.auth.audit(
                        &[site.workspace],
                        None,
                        "goal_added",
                        &format!("{}: {} (from the command line)", site.domain, g.name()),
                        ctx.now_ms(),
                    )?;
                    g
                }
            };
            writeln!(out, "{}\t{}\t{}", g.id, label(&g.kind), g.name())?;
        }
        GoalAction::Delete { domain, id } => {
            let site = ctx.site(&domain)?;
            anyhow::ensure!(
                ctx.store.delete_goal(site.id, id)?,
                "no goal {id} on {domain}"
            );
            ctx.auth.audit(
                &[site.workspace],
                None,
                "goal_deleted",
                &format!("{}: goal {id} (from the command line)", site.domain),
                ctx.now_ms(),
            )?;
            writeln!(out, "deleted goal {id}")?;
        }
    }
    Ok(())
}

fn apikey(ctx: &Ctx, action: KeyAction, out: &mut String) -> anyhow::Result<()> {
    let KeyAction::Create {
        name,
        workspace,
        conversions,
        sites,
    } = action;
    let ws = resolve_workspace(&ctx.store, workspace.as_deref())?;
    let (key, record) =
        ctx.auth
            .create_api_key(ws, &name, KeyScopes { conversions, sites }, ctx.now_ms())?;
    ctx.auth.audit(
        &[ws],
        None,
        "api_key_created",
        &format!("{} (from the command line)", record.name),
        ctx.now_ms(),
    )?;
    writeln!(
        out,
        "created API key {:?}; it is shown only once:",
        record.name
    )?;
    writeln!(out, "{key}")?;
    Ok(())
}

fn workspace(ctx: &Ctx, action: WorkspaceAction, out: &mut String) -> anyhow::Result<()> {
    let store = &ctx.store;
    let grace = privacy::retention::WORKSPACE_GRACE_DAYS * 86_400_000;
    match action {
        WorkspaceAction::List => {
            for w in store.workspaces()? {
                writeln!(out, "{}", w.name)?;
            }
            for w in store.deleted_workspaces()? {
                let deleted = w.deleted_ms.unwrap_or_default();
                writeln!(
                    out,
                    "{} (deleted {}, purged after {})",
                    w.name,
                    crate::domain::calendar::fmt_utc(deleted),
                    crate::domain::calendar::fmt_utc(deleted + grace)
                )?;
            }
        }
        WorkspaceAction::Restore { name } => {
            let w = store
                .deleted_workspaces()?
                .into_iter()
                .find(|w| w.name.eq_ignore_ascii_case(name.trim()))
                .with_context(|| format!("no deleted workspace named {name:?}"))?;
            store.restore_workspace(w.id)?;
            ctx.auth.audit(
                &[w.id, WorkspaceId(0)],
                None,
                "workspace_restored",
                &format!("{} (from the command line)", w.name),
                ctx.now_ms(),
            )?;
            ctx.sites_changed()?;
            writeln!(out, "restored {}", w.name)?;
        }
    }
    Ok(())
}
