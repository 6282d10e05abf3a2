//! `webhook add|list|delete|rotate|enable`: a site's signed webhooks (see
//! `crate::webhooks`). `add` and `rotate` print the secret alone on the
//! last line (it is shown only then).

use std::fmt::Write as _;

use super::manage::Ctx;
use crate::{
    domain::calendar::fmt_utc,
    webhooks::{self, WebhookEvent},
};

/// `webhook` actions.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum WebhookAction {
    /// Add an endpoint; prints its `whsec_…` secret alone on the last line.
    Add {
        /// The site's domain.
        domain: String,
        /// Where to POST (http:// or https://).
        #[arg(long)]
        url: String,
        /// Comma-separated: lead.created, lead.identified, lead.qualified,
        /// conversion.created, conversion.refunded, person.erased.
        #[arg(long)]
        events: String,
    },
    /// List a site's endpoints: id, state, events, URL.
    List {
        /// The site's domain.
        domain: String,
    },
    /// Delete an endpoint and its messages.
    Delete {
        /// The site's domain.
        domain: String,
        /// The endpoint's id.
        id: u32,
    },
    /// Give an endpoint a new secret (the old one signs for one more day);
    /// prints it alone on the last line.
    Rotate {
        /// The site's domain.
        domain: String,
        /// The endpoint's id.
        id: u32,
    },
    /// Enable a disabled endpoint again.
    Enable {
        /// The site's domain.
        domain: String,
        /// The endpoint's id.
        id: u32,
    },
}

pub(super) fn run(ctx: &Ctx, a: WebhookAction, out: &mut String) -> anyhow::Result<()> {
    let now = ctx.now_ms();
    let keys = &ctx.auth.keys;
    match a {
        WebhookAction::Add {
            domain,
            url,
            events,
        } => {
            let site = ctx.site(&domain)?;
            let events = WebhookEvent::parse_list(&events).map_err(anyhow::Error::msg)?;
            let (e, secret) = webhooks::create(
                &ctx.store,
                keys,
                &ctx.settings.webhooks,
                site.id,
                &url,
                events,
                now,
            )?;
            ctx.auth.audit(
                &[site.workspace],
                None,
                "webhook_added",
                &format!(
                    "{}: webhook {} to {} (from the command line)",
                    site.domain, e.id, e.url
                ),
                now,
            )?;
            writeln!(
                out,
                "added webhook {} for {} to {}",
                e.id, site.domain, e.url
            )?;
            writeln!(out, "{secret}")?;
        }
        WebhookAction::List { domain } => {
            let site = ctx.site(&domain)?;
            for (_, e) in ctx.store.webhooks(Some(site.id))? {
                let state = match &e.disabled {
                    None => "enabled".to_owned(),
                    Some((at, why)) => format!("disabled {} ({why})", fmt_utc(*at)),
                };
                let events: Vec<_> = e.events.iter().map(|e| e.as_str()).collect();
                writeln!(out, "{}\t{state}\t{}\t{}", e.id, events.join(","), e.url)?;
            }
        }
        WebhookAction::Delete { domain, id } => {
            let site = ctx.site(&domain)?;
            anyhow::ensure!(
                ctx.store.delete_webhook(site.id, id)?,
                "no webhook {id} on {domain}"
            );
            writeln!(out, "deleted webhook {id} of {}", site.domain)?;
        }
        WebhookAction::Rotate { domain, id } => {
            let site = ctx.site(&domain)?;
            let (_, secret) = webhooks::rotate(&ctx.store, keys, site.id, id, now)?;
            writeln!(
                out,
                "new secret for webhook {id} of {} (the old one signs for 24 hours)",
                site.domain
            )?;
            writeln!(out, "{secret}")?;
        }
        WebhookAction::Enable { domain, id } => {
            let site = ctx.site(&domain)?;
            webhooks::enable(&ctx.store, site.id, id)?;
            writeln!(out, "enabled webhook {id} of {}", site.domain)?;
        }
    }
    Ok(())
}
