//! Command line: `serve`, `healthcheck`, `check-config`, `site`, `goal`,
//! `user`, `workspace`, `apikey`, `export`, `import`, `spend`, `webhook`,
//! `report`, `purge`, `rekey`.
//!
//! `site`, `goal`, `apikey`, `workspace`, `export`, `import`, `spend`,
//! `webhook` and `report` also work while the server runs:
//! the store then belongs to the server, so the command is handed to it
//! over its admin socket (see [`admin`]) and runs there.

mod accounts;
pub mod admin;
mod backup;
mod checks;
mod exchange;
mod manage;
mod report;
mod site_settings;
mod spend;
mod webhook;

pub use site_settings::SiteSettings;

use std::{io::Write, path::PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::{config::Settings, startup::Application};

/// Touchpoint: privacy-first web analytics and marketing attribution.
#[derive(Debug, Parser)]
#[command(name = "touchpoint", version, about)]
pub struct Cli {
    /// Config file (TOML). Optional: embedded defaults apply without it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Exit 0 if the server at the configured address is healthy (for Docker's HEALTHCHECK).
    Healthcheck,
    /// Validate the configuration and print the effective settings.
    CheckConfig,
    /// Manage sites.
    Site {
        /// Action.
        #[command(subcommand)]
        action: SiteAction,
    },
    /// Manage a site's goals.
    Goal {
        /// Action.
        #[command(subcommand)]
        action: GoalAction,
    },
    /// Export a site's statistics: Plausible's CSV export zip
    /// (`--format plausible-csv`), or its events as CSV or NDJSON.
    Export {
        /// The site's domain.
        domain: String,
        /// plausible-csv, csv or ndjson.
        #[arg(long, default_value = "plausible-csv")]
        format: String,
        /// The file to write (`-` for standard output, events only).
        #[arg(long)]
        output: PathBuf,
        /// First date (YYYY-MM-DD, the site's zone); default: its first day with data.
        #[arg(long)]
        from: Option<String>,
        /// Last date; default: today.
        #[arg(long)]
        to: Option<String>,
    },
    /// Import Plausible's CSV export (its zip, or its CSV files) into a site,
    /// as one import for the days before the site's own data.
    Import {
        /// The site's domain.
        domain: String,
        /// The zip, or CSV files named as Plausible names them.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// A site's ad spend (for ROAS and CAC in attribution).
    Spend {
        /// Action.
        #[command(subcommand)]
        action: spend::SpendAction,
    },
    /// A site's signed webhooks (CRM sync).
    Webhook {
        /// Action.
        #[command(subcommand)]
        action: webhook::WebhookAction,
    },
    /// Email reports: send one now.
    Report {
        /// Action.
        #[command(subcommand)]
        action: ReportAction,
    },
    /// Manage users.
    User {
        /// Action.
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage Stats API keys.
    Apikey {
        /// Action.
        #[command(subcommand)]
        action: KeyAction,
    },
    /// List workspaces, or restore a deleted one within its grace period.
    Workspace {
        /// Action.
        #[command(subcommand)]
        action: WorkspaceAction,
    },
    /// Rotate the master key: re-seal every sealed value under new keys and
    /// retire the old ones. Resumable: run it again after an interruption.
    Rekey {
        /// The new key file (64 hex digits; made if missing). Without it, the
        /// configured key file is replaced when done (its new key is first
        /// written beside it, as `<key file>.new`).
        #[arg(long, value_name = "PATH")]
        new_key_file: Option<PathBuf>,
    },
    /// Write a consistent copy of the store to a new file, while the server
    /// runs or not (the master key is not in it unless --with-key).
    Backup {
        /// The new file.
        path: PathBuf,
        /// Also copy the master key file beside it, as PATH.key.
        #[arg(long)]
        with_key: bool,
    },
    /// Put a backup in place of the store (the server must be stopped; the
    /// store it replaces is kept beside it).
    Restore {
        /// The backup file.
        path: PathBuf,
    },
    /// Rewrite the store file without its free pages, to give disk space
    /// back after purges, erasures or an upgrade (the server must be stopped).
    Compact,
    /// Delete data older than each site's retention now (the purge job, by hand).
    Purge {
        /// Print what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `site` actions.
#[derive(Debug, Subcommand)]
pub enum SiteAction {
    /// Register a site by domain.
    Add {
        /// The site's domain, e.g. example.com.
        domain: String,
        /// IANA timezone for its reports.
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// Workspace (by name) that owns it; may be left out when there is only one.
        #[arg(long)]
        workspace: Option<String>,
    },
    /// List sites, deleted ones with the date they will be purged.
    List,
    /// Print a site's settings as `key: value` lines (its Segment write key
    /// among them).
    Show {
        /// Its domain.
        domain: String,
    },
    /// Change some of a site's settings; those not given stay.
    Set {
        /// Its domain.
        domain: String,
        /// The settings to change.
        #[command(flatten)]
        settings: Box<SiteSettings>,
    },
    /// Bring back a deleted site, with all its data (before it is purged).
    Restore {
        /// Its domain.
        domain: String,
    },
}

/// `goal` actions.
#[derive(Debug, Subcommand)]
pub enum GoalAction {
    /// List a site's goals: id, type and name.
    List {
        /// The site's domain.
        domain: String,
    },
    /// Add a goal (an existing identical one is kept).
    Add {
        /// The site's domain.
        domain: String,
        /// A custom event's name.
        #[arg(long, conflicts_with = "page", required_unless_present = "page")]
        event: Option<String>,
        /// A page path (`*` matches anything).
        #[arg(long)]
        page: Option<String>,
    },
    /// Delete a goal by id.
    Delete {
        /// The site's domain.
        domain: String,
        /// The goal's id (from `goal list`).
        id: u32,
    },
}

/// `report` actions.
#[derive(Debug, Subcommand)]
pub enum ReportAction {
    /// Send a site's weekly report (its last whole week, Monday to Sunday)
    /// to an address now; needs `[mail]`.
    Send {
        /// The site's domain.
        domain: String,
        /// The address to send it to.
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
}

/// `workspace` actions.
#[derive(Debug, Subcommand)]
pub enum WorkspaceAction {
    /// List workspaces, deleted ones with the date they will be purged.
    List,
    /// Bring back a deleted workspace (before it is purged).
    Restore {
        /// Its name.
        name: String,
    },
}

/// `apikey` actions.
#[derive(Debug, Subcommand)]
pub enum KeyAction {
    /// Create a key; it is printed once, alone on the last line.
    Create {
        /// A label for the key.
        #[arg(long)]
        name: String,
        /// Workspace (by name) whose sites it reads; may be left out when there is only one.
        #[arg(long)]
        workspace: Option<String>,
        /// It may also record conversions (POST /api/v1/conversions).
        #[arg(long)]
        conversions: bool,
        /// It may also manage sites (the Sites API).
        #[arg(long)]
        sites: bool,
    },
}

/// `user` actions.
#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create a user (or give an existing one a role) in a workspace, which is
    /// created if it doesn't exist.
    Add {
        /// The user's email.
        email: String,
        /// owner, admin, analyst or viewer.
        #[arg(long)]
        role: String,
        /// Workspace name.
        #[arg(long)]
        workspace: String,
        /// Read the password from the first line of stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Runs a parsed command.
///
/// # Errors
/// Anything that stops the command, with context for a one-line message.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref(), std::env::vars())?;
    match cli.command {
        Command::Serve => {
            let app = Application::build(settings)?;
            // Tests and scripts wait for this exact line.
            println!("listening on {}", app.url());
            if let Some(url) = app.setup_url() {
                // Shown once per start while no account exists; the token dies with the process.
                println!("no account exists yet; create the owner at {url}");
            }
            std::io::stdout().flush().ok();
            app.run_until_stopped().await
        }
        Command::Healthcheck => checks::healthcheck(&settings),
        Command::CheckConfig => {
            crate::jobs::validate(&settings.jobs)?;
            let geo = crate::geo::GeoLookup::from_config(&settings.geoip.database)?;
            // The key's form only: no key file is made here.
            if !settings.privacy.master_key.trim().is_empty() {
                crate::privacy::Master::from_base64(&settings.privacy.master_key)?;
            }
            let clickhouse = checks::check_clickhouse(&settings)?;
            let mut shown = settings.clone();
            if !shown.privacy.master_key.is_empty() {
                shown.privacy.master_key = "(set, not shown)".into();
            }
            if !shown.clickhouse.password.is_empty() {
                shown.clickhouse.password = "(set, not shown)".into();
            }
            if !shown.server.metrics_token.is_empty() {
                shown.server.metrics_token = "(set, not shown)".into();
            }
            println!("{}", toml::to_string(&shown).context("rendering settings")?);
            println!("# geolocation: {}", geo.description());
            if let Some(line) = clickhouse {
                println!("# events: {line}");
            }
            println!("configuration OK");
            Ok(())
        }
        Command::Site { action } => manage::local(&settings, manage::Managed::Site(action)),
        Command::Goal { action } => manage::local(&settings, manage::Managed::Goal(action)),
        Command::Apikey { action } => manage::local(&settings, manage::Managed::Apikey(action)),
        Command::Report { action } => manage::local(&settings, manage::Managed::Report(action)),
        Command::Workspace { action } => {
            manage::local(&settings, manage::Managed::Workspace(action))
        }
        Command::Export {
            domain,
            format,
            output,
            from,
            to,
        } => manage::local(
            &settings,
            manage::Managed::Export(exchange::Export {
                domain,
                format,
                output: absolute(output)?,
                from,
                to,
            }),
        ),
        Command::Import { domain, files } => manage::local(
            &settings,
            manage::Managed::Import(exchange::Import {
                domain,
                files: files.into_iter().map(absolute).collect::<Result<_, _>>()?,
            }),
        ),
        Command::Spend { action } => manage::local(&settings, manage::Managed::Spend(action)),
        Command::Webhook { action } => manage::local(&settings, manage::Managed::Webhook(action)),
        Command::User { action } => accounts::user(&settings, action),
        Command::Purge { dry_run } => accounts::purge(&settings, dry_run),
        Command::Rekey { new_key_file } => accounts::rekey(&settings, new_key_file),
        Command::Backup { path, with_key } => manage::local(
            &settings,
            manage::Managed::Backup(backup::Backup {
                path: absolute(path)?,
                with_key,
            }),
        ),
        Command::Restore { path } => backup::restore(&settings, &path),
        Command::Compact => backup::compact(&settings),
    }
}

/// A path as the server would read it (the command may run there).
fn absolute(p: PathBuf) -> anyhow::Result<PathBuf> {
    if p.as_os_str() == "-" || p.is_absolute() {
        return Ok(p);
    }
    Ok(std::env::current_dir()
        .context("reading the current directory")?
        .join(p))
}
