//! `report send DOMAIN --to ADDRESS`: a site's weekly report, now. Inside a
//! running server it sends with the server's `[mail]` and clock, with links
//! to its address; otherwise with this command's settings.

use std::fmt::Write as _;

use super::{ReportAction, manage::Ctx};
use crate::{domain::Email, mail};

/// Runs a `report` action.
///
/// # Errors
/// No such site, a bad address, mail not set up, or what stopped sending.
pub fn run(ctx: &Ctx, action: ReportAction, out: &mut String) -> anyhow::Result<()> {
    let ReportAction::Send { domain, to } = action;
    let site = ctx.site(&domain)?;
    let to = Email::parse(&to).map_err(anyhow::Error::msg)?;
    let outbox = match &ctx.state {
        Some(state) => state.outbox(),
        None => mail::Outbox {
            store: ctx.store.clone(),
            keys: ctx.auth.keys.clone(),
            settings: ctx.settings.clone(),
            base_url: mail::links_base(
                &ctx.settings,
                &format!("http://{}", ctx.settings.server.listen),
            ),
        },
    };
    let period = outbox.send_weekly_now(&site, &to, ctx.now_ms(), false)?;
    writeln!(
        out,
        "sent the weekly report of {} ({} to {}) to {to}",
        site.domain, period.first, period.last
    )?;
    Ok(())
}
