//! Traffic alerts, checked by a job (`jobs.traffic_alert_schedule`):
//!
//! - **Spike** (as Plausible's traffic spike notification): the site's
//!   current visitors — the realtime count, visitors active in the last
//!   5 minutes, as `GET /api/v1/stats/realtime/visitors` answers — are at or
//!   above the site's threshold (`spike_visitors`).
//! - **Drop**: today's unique visitors so far (from local midnight to now)
//!   are below `drop_percent`% of the usual, the mean of the same hours of
//!   each of the previous [`USUAL_DAYS`] days. A usual below
//!   [`DROP_MIN_USUAL`] visitors never counts as a drop (early hours and
//!   small sites would alert on noise).
//!
//! Each kind goes to the recipients who chose alerts at most once per local
//! day of the site; a send that reached nobody is tried again next check.

use maud::html;

use super::{MailError, Outbox, compose, recipients};
use crate::{
    domain::calendar::{date_start_ms, day_number},
    stats::{
        self,
        period::today,
        query::{Metric, Query},
        realtime,
    },
    store::{Site, SiteMail},
};

/// Days whose same hours make "the usual" of a drop alert.
pub const USUAL_DAYS: u64 = 7;
/// Fewest usual visitors for which a drop alert can fire.
pub const DROP_MIN_USUAL: u64 = 10;

/// An alert and its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alert {
    /// Current visitors at or above the threshold.
    Spike {
        /// Current visitors.
        current: u64,
        /// The site's threshold.
        threshold: u32,
    },
    /// Today's visitors so far below a share of the usual.
    Drop {
        /// Unique visitors today so far.
        today: u64,
        /// The usual number by this time of day.
        usual: u64,
        /// The site's percentage.
        percent: u32,
    },
}

fn visitors(
    view: &crate::store::ReadView,
    site: &Site,
    from_ms: u64,
    to_ms: u64,
) -> Result<u64, MailError> {
    let q = Query {
        site: site.id,
        timezone: site.timezone,
        from_ms,
        to_ms,
        metrics: vec![Metric::Visitors],
        dimensions: Vec::new(),
        filter: None,
        order_by: Vec::new(),
        limit: 1,
        offset: 0,
        money: site.money(),
    };
    let out = stats::run(view, &q)?;
    Ok(out
        .rows
        .first()
        .and_then(|r| r.metrics[0].number())
        .map_or(0, |n| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = n as u64;
            n
        }))
}

/// The alerts `site` is due at `now_ms` under `row`'s thresholds (those
/// already sent today left out).
///
/// # Errors
/// Storage or query errors.
pub fn due(
    outbox: &Outbox,
    site: &Site,
    row: &SiteMail,
    now_ms: u64,
) -> Result<Vec<Alert>, MailError> {
    let tz = site.timezone;
    let day = today(now_ms, tz);
    let day_no = day_number(day);
    let view = outbox.store.read()?;
    let mut out = Vec::new();
    if let Some(threshold) = row
        .spike_visitors
        .filter(|_| row.spike_sent_day != Some(day_no))
    {
        let current = realtime::current(&view, site.id, now_ms)?.visitors as u64;
        if current >= u64::from(threshold) {
            out.push(Alert::Spike { current, threshold });
        }
    }
    if let Some(percent) = row
        .drop_percent
        .filter(|_| row.drop_sent_day != Some(day_no))
    {
        let start = date_start_ms(day, tz);
        let into_day = now_ms.saturating_sub(start);
        let today_so_far = visitors(&view, site, start, now_ms + 1)?;
        let mut sum = 0;
        for back in 1..=USUAL_DAYS {
            let d = day - chrono::Days::new(back);
            let s = date_start_ms(d, tz);
            sum += visitors(&view, site, s, s + into_day + 1)?;
        }
        let usual = sum / USUAL_DAYS;
        if usual >= DROP_MIN_USUAL && today_so_far * 100 < u64::from(percent) * usual {
            out.push(Alert::Drop {
                today: today_so_far,
                usual,
                percent,
            });
        }
    }
    Ok(out)
}

/// Subject and text of an alert (every count through the site's [`super::numbers::Counts`]).
fn words(site: &Site, alert: Alert) -> (String, String) {
    let c = super::counts_for(site);
    match alert {
        Alert::Spike { current, threshold } => (
            format!(
                "Traffic spike on {}: {} current visitors",
                site.domain,
                c.count(current)
            ),
            format!(
                "{} has {} current visitors (active in the last 5 minutes), at or above your alert threshold of {}.",
                site.domain,
                c.count(current),
                c.count(u64::from(threshold))
            ),
        ),
        Alert::Drop {
            today,
            usual,
            percent,
        } => (
            format!(
                "Traffic drop on {}: {} visitors today",
                site.domain,
                c.count(today)
            ),
            format!(
                "{} has had {} unique visitors today so far; by this time of day it usually has {} (the mean of the last {USUAL_DAYS} days). Your alert is set for below {percent}% of the usual.",
                site.domain,
                c.count(today),
                c.count(usual)
            ),
        ),
    }
}

/// Sends `alert` to the recipients who chose alerts; returns how many got it.
fn send(
    outbox: &Outbox,
    mailer: &super::Mailer,
    site: &Site,
    row: &SiteMail,
    alert: Alert,
) -> usize {
    let (subject, sentence) = words(site, alert);
    let mut reached = 0;
    for r in recipients::opened(&outbox.keys, site.id, row)
        .into_iter()
        .filter(|r| r.recipient.alerts)
    {
        let unsubscribe =
            recipients::unsubscribe_url(&outbox.base_url, &outbox.keys, site.id, &r.email);
        let text = format!("{sentence}\n\nStop these mails: {unsubscribe}\n");
        let html = html! {
            p { (sentence) }
            p style="color:#6b7280;font-size:12px" { a href=(unsubscribe) { "Stop these mails" } "." }
        }
        .into_string();
        let parts = compose::Parts {
            subject: &subject,
            text,
            html,
            png: None,
            unsubscribe: &unsubscribe,
        };
        match compose::message(mailer.from(), &r.email, parts).and_then(|m| mailer.send(&m)) {
            Ok(()) => reached += 1,
            Err(e) => {
                tracing::error!(site = %site.domain, error = %crate::domain::text::redact(&crate::telemetry::causes(&e)), "alert not sent")
            }
        }
    }
    reached
}

/// Checks every site with alert thresholds at `now_ms` and sends what is
/// due; returns the alerts sent (each counted once, however many recipients).
///
/// # Errors
/// [`MailError::NotConfigured`] when mail is off; storage or query errors.
pub fn check(outbox: &Outbox, now_ms: u64) -> Result<usize, MailError> {
    let mailer = outbox.mailer()?;
    let mut sent = 0;
    for (site_id, row) in outbox.store.all_site_mail()? {
        if !row.recipients.iter().any(|r| r.alerts)
            || (row.spike_visitors.is_none() && row.drop_percent.is_none())
        {
            continue;
        }
        let Some(site) = outbox.store.read()?.site(site_id)? else {
            continue;
        };
        if site.deleted_ms.is_some() {
            continue;
        }
        let day_no = day_number(today(now_ms, site.timezone));
        for alert in due(outbox, &site, &row, now_ms)? {
            if send(outbox, &mailer, &site, &row, alert) == 0 {
                continue;
            }
            sent += 1;
            outbox.store.update_site_mail(site.id, |row| {
                match alert {
                    Alert::Spike { .. } => row.spike_sent_day = Some(day_no),
                    Alert::Drop { .. } => row.drop_sent_day = Some(day_no),
                }
                Ok::<_, MailError>(())
            })?;
        }
    }
    Ok(sent)
}
