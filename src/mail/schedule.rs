//! The report job: sends each site's weekly report once its week (Monday to
//! Sunday in the site's zone) is over and its monthly report once its month
//! is over, to each recipient who chose it, once. A recipient added after a
//! period ended starts with the next one. A failed send is logged and tried
//! again at the next run; the others still go out.

use super::{
    MailError, Outbox,
    recipients::open,
    report::{Kind, Period},
};
use crate::{
    domain::calendar::{dates_to_ms, day_number},
    stats::period::today,
    store::{Recipient, Site},
};

/// What a run of the job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Reports sent.
    pub sent: usize,
    /// Reports that failed (logged; tried again next run).
    pub failed: usize,
}

fn chose(r: &Recipient, kind: Kind) -> bool {
    match kind {
        Kind::Weekly => r.weekly,
        Kind::Monthly => r.monthly,
    }
}

/// Local day the last report of `kind` sent to `r` began.
fn last_sent(r: &Recipient, kind: Kind) -> Option<u32> {
    match kind {
        Kind::Weekly => r.weekly_sent,
        Kind::Monthly => r.monthly_sent,
    }
}

fn marker(r: &mut Recipient, kind: Kind) -> &mut Option<u32> {
    match kind {
        Kind::Weekly => &mut r.weekly_sent,
        Kind::Monthly => &mut r.monthly_sent,
    }
}

/// Sends every due report at `now_ms`.
///
/// # Errors
/// [`MailError::NotConfigured`] when mail is off; storage errors. A report
/// that fails to build or send is counted in [`Sent::failed`] instead.
pub fn send_due_reports(outbox: &Outbox, now_ms: u64) -> Result<Sent, MailError> {
    let mailer = outbox.mailer()?;
    let mut done = Sent::default();
    for (site_id, row) in outbox.store.all_site_mail()? {
        let Some(site) = outbox.store.read()?.site(site_id)? else {
            continue;
        };
        if site.deleted_ms.is_some() {
            continue;
        }
        for kind in [Kind::Weekly, Kind::Monthly] {
            let period = Period::last_finished(kind, today(now_ms, site.timezone));
            let start = day_number(period.first);
            let ended_ms = dates_to_ms(period.first, period.last, site.timezone).1;
            let due: Vec<&Recipient> = row
                .recipients
                .iter()
                .filter(|r| chose(r, kind) && last_sent(r, kind) != Some(start))
                .collect();
            if due.is_empty() {
                continue;
            }
            // Added after the period ended: their first report is the next.
            let (late, due): (Vec<&Recipient>, Vec<&Recipient>) =
                due.into_iter().partition(|r| r.created_ms >= ended_ms);
            mark(outbox, &site, kind, start, late.iter().map(|r| r.id))?;
            if due.is_empty() {
                continue;
            }
            let built = match outbox.report(&site, period) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(site = %site.domain, kind = kind.as_str(), error = %crate::domain::text::redact(&crate::telemetry::causes(&e)), "report not built");
                    done.failed += due.len();
                    continue;
                }
            };
            let mut sent = Vec::new();
            for r in due {
                let Some(email) = open(&outbox.keys, site.id, r) else {
                    continue;
                };
                match outbox.send_report(&mailer, &site, &built, &email, false) {
                    Ok(()) => {
                        sent.push(r.id);
                        done.sent += 1;
                    }
                    Err(e) => {
                        tracing::error!(site = %site.domain, kind = kind.as_str(), error = %crate::domain::text::redact(&crate::telemetry::causes(&e)), "report not sent");
                        done.failed += 1;
                    }
                }
            }
            mark(outbox, &site, kind, start, sent.into_iter())?;
        }
    }
    Ok(done)
}

/// Notes that recipients `ids` have the report beginning on local day `start`.
fn mark(
    outbox: &Outbox,
    site: &Site,
    kind: Kind,
    start: u32,
    ids: impl Iterator<Item = u32>,
) -> Result<(), MailError> {
    let ids: Vec<u32> = ids.collect();
    if ids.is_empty() {
        return Ok(());
    }
    outbox.store.update_site_mail(site.id, |row| {
        for r in row.recipients.iter_mut().filter(|r| ids.contains(&r.id)) {
            *marker(r, kind) = Some(start);
        }
        Ok::<_, MailError>(())
    })
}
