//! Email reports and traffic alerts: per site, recipients chosen on the
//! settings page get a weekly and/or monthly report (KPIs against the
//! previous period, the chart as an inline PNG, top sources and pages,
//! goals and revenue) and traffic spike and drop alerts ([`alerts`]).
//! Reports are sent by a job once each period is over ([`schedule`]), by
//! `touchpoint report send`, and by the settings page's test button.
//! Nothing is sent without `[mail]` ([`MailError::NotConfigured`]).

pub mod alerts;
pub mod chart;
mod compose;
pub mod numbers;
pub mod period;
pub mod recipients;
pub mod render;
pub mod report;
pub mod schedule;
mod smtp;

use std::sync::Arc;

pub use smtp::Mailer;

use crate::{
    config::Settings,
    domain::Email,
    privacy::Keys,
    stats::StatsError,
    store::{Site, Store, StoreError},
};
use numbers::Counts;
use report::Period;

/// Why mail could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `[mail]` has no SMTP host or sender.
    #[error(
        "email is not set up on this server: set mail.smtp_host and mail.from (see the README's \"Email reports and alerts\")"
    )]
    NotConfigured,
    /// An address the SMTP client refuses.
    #[error("an address is not usable (see the settings' sender, or the recipient)")]
    Address {
        /// Cause.
        source: lettre::address::AddressError,
    },
    /// The message could not be put together.
    #[error("the message could not be built")]
    Build(#[source] Option<lettre::error::Error>),
    /// The SMTP server can't be reached, or refused the message.
    #[error("the SMTP server {server} did not take the message")]
    Smtp {
        /// `host:port`.
        server: String,
        /// Cause.
        source: lettre::transport::smtp::Error,
    },
    /// The chart could not be drawn.
    #[error("the report's chart could not be drawn")]
    Chart(#[from] chart::ChartError),
    /// The report's numbers could not be read.
    #[error("the report's numbers could not be read")]
    Stats(#[from] StatsError),
    /// Storage trouble.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What sending needs: the store, the keys that open recipients'
/// addresses, the settings (`[mail]`) and the address links in mails start
/// with.
#[derive(Clone)]
pub struct Outbox {
    /// The store.
    pub store: Store,
    /// Keys (recipients' addresses, unsubscribe tokens).
    pub keys: Arc<Keys>,
    /// Settings in force.
    pub settings: Arc<Settings>,
    /// Where links in mails point: `server.public_url`, else the address the
    /// server listens on.
    pub base_url: String,
}

/// The origin links in mails start with: `server.public_url` when set, else
/// `listening` (the server's own `http://host:port`).
#[must_use]
pub fn links_base(settings: &Settings, listening: &str) -> String {
    settings
        .server
        .public_origin()
        .map_or_else(|| listening.to_owned(), str::to_owned)
}

/// How a site's mails show counts: the site's minimum count (`min_count`,
/// "safe sharing") applies to every mail, since recipients may be outsiders.
#[must_use]
pub fn counts_for(site: &Site) -> Counts {
    Counts {
        min_shown: u64::from(site.min_count.get()),
    }
}

impl Outbox {
    /// A mailer for `[mail]`.
    ///
    /// # Errors
    /// [`MailError::NotConfigured`] when mail is off.
    pub fn mailer(&self) -> Result<Mailer, MailError> {
        Mailer::new(&self.settings.mail)
    }

    /// Builds `site`'s report of `period` (numbers, text, HTML, chart).
    ///
    /// # Errors
    /// Query, storage or chart errors.
    pub fn report(&self, site: &Site, period: Period) -> Result<Built, MailError> {
        let goals = self.store.goals(site.id)?;
        let view = self.store.read()?;
        let mut report = report::build(&view, site, &goals, period)?;
        // The chart's points are counts too: hidden ones drawn as one stand-in.
        let k = site.min_count;
        report.chart.iter_mut().for_each(|p| p.1 = k.mask_f64(p.1));
        report
            .chart_previous
            .iter_mut()
            .for_each(|v| *v = k.mask_f64(*v));
        let png = chart::png(
            &report.chart,
            Some(&report.chart_previous),
            "Unique visitors",
        )?;
        Ok(Built { report, png })
    }

    /// Sends a built report to `to`; `test` marks the subject as a test.
    ///
    /// # Errors
    /// Address, build or SMTP errors.
    pub fn send_report(
        &self,
        mailer: &Mailer,
        site: &Site,
        built: &Built,
        to: &str,
        test: bool,
    ) -> Result<(), MailError> {
        let counts = counts_for(site);
        let unsubscribe = recipients::unsubscribe_url(&self.base_url, &self.keys, site.id, to);
        let mut subject = render::subject(&built.report);
        if test {
            subject = format!("Test: {subject}");
        }
        let message = compose::message(
            mailer.from(),
            to,
            compose::Parts {
                subject: &subject,
                text: render::text(&built.report, counts, &unsubscribe),
                html: render::html(&built.report, counts, &unsubscribe),
                png: Some(built.png.clone()),
                unsubscribe: &unsubscribe,
            },
        )?;
        mailer.send(&message)
    }

    /// Sends `site`'s last finished weekly report to one address now (the
    /// CLI's `report send` and the settings page's test mail); its sending
    /// log is left alone.
    ///
    /// # Errors
    /// [`MailError::NotConfigured`], or what stopped building or sending.
    pub fn send_weekly_now(
        &self,
        site: &Site,
        to: &Email,
        now_ms: u64,
        test: bool,
    ) -> Result<Period, MailError> {
        let mailer = self.mailer()?;
        let today = crate::stats::period::today(now_ms, site.timezone);
        let period = Period::last_finished(report::Kind::Weekly, today);
        let built = self.report(site, period)?;
        self.send_report(&mailer, site, &built, to.as_str(), test)?;
        Ok(period)
    }
}

/// A report ready to send: its numbers and its chart.
pub struct Built {
    /// The numbers.
    pub report: report::Report,
    /// The chart (PNG).
    pub png: Vec<u8>,
}
