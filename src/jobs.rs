//! Scheduler wiring only. Each job body is a plain function elsewhere that
//! tests call directly; here they are bound to their configured cron schedules.

use std::sync::Arc;

use tokio_cron_scheduler::{Job, JobScheduler};

use crate::{
    clock::Clock,
    config::{JobSettings, Settings},
    ingest::visitor::SaltKeeper,
    privacy::retention,
    stats::rollup,
    store::Store,
};

/// A job could not be scheduled.
#[derive(Debug, thiserror::Error)]
#[error("job {name}: invalid schedule {schedule:?}: {reason}")]
pub struct JobError {
    name: &'static str,
    schedule: String,
    reason: String,
}

type Body = Arc<dyn Fn() + Send + Sync>;

fn job(name: &'static str, schedule: &str, body: Body) -> Result<Option<Job>, JobError> {
    if schedule.trim().is_empty() {
        tracing::info!(job = name, "disabled (blank schedule)");
        return Ok(None);
    }
    Job::new_async(schedule.trim(), move |_, _| {
        let body = body.clone();
        Box::pin(async move {
            if let Err(e) = tokio::task::spawn_blocking(move || body()).await {
                tracing::error!(job = name, error = %e, "job panicked");
            }
        })
    })
    .map(Some)
    .map_err(|e| JobError {
        name,
        schedule: schedule.to_owned(),
        reason: e.to_string(),
    })
}

/// Checks every schedule without starting anything (`touchpoint check-config`).
///
/// # Errors
/// The first invalid schedule.
pub fn validate(cfg: &JobSettings) -> Result<(), JobError> {
    let noop: Body = Arc::new(|| {});
    job("salt_rotation", &cfg.salt_rotation_schedule, noop.clone())?;
    job("salt_destroy", &cfg.salt_destroy_schedule, noop.clone())?;
    job("rollup", &cfg.rollup_schedule, noop.clone())?;
    job("login_cleanup", &cfg.login_cleanup_schedule, noop.clone())?;
    job("purge", &cfg.purge_schedule, noop.clone())?;
    job("mail_report", &cfg.mail_report_schedule, noop.clone())?;
    job("traffic_alert", &cfg.traffic_alert_schedule, noop.clone())?;
    job("backup", &cfg.backup_schedule, noop)?;
    Ok(())
}

/// The report and alert jobs, when mail is set up (without it they are
/// not scheduled, and the log says so once).
fn mail_jobs(
    cfg: &JobSettings,
    outbox: Option<crate::mail::Outbox>,
    clock: &Clock,
) -> Result<Vec<Option<Job>>, JobError> {
    let Some(outbox) = outbox.filter(|o| o.settings.mail.enabled()) else {
        tracing::info!("email reports and traffic alerts are off: [mail] has no smtp_host");
        return Ok(Vec::new());
    };
    let (o1, c1) = (outbox.clone(), clock.clone());
    let reports: Body =
        Arc::new(
            move || match crate::mail::schedule::send_due_reports(&o1, c1.now_ms()) {
                Ok(s) if s.sent + s.failed == 0 => {}
                Ok(s) => tracing::info!(sent = s.sent, failed = s.failed, "email reports"),
                Err(e) => tracing::error!(error = ?e, "email reports failed"),
            },
        );
    let c2 = clock.clone();
    let alerts: Body = Arc::new(
        move || match crate::mail::alerts::check(&outbox, c2.now_ms()) {
            Ok(0) => {}
            Ok(n) => tracing::info!(alerts = n, "traffic alerts sent"),
            Err(e) => tracing::error!(error = ?e, "traffic alert check failed"),
        },
    );
    Ok(vec![
        job("mail_report", &cfg.mail_report_schedule, reports)?,
        job("traffic_alert", &cfg.traffic_alert_schedule, alerts)?,
    ])
}

/// Starts the scheduler with every enabled job (`outbox`: what the report
/// and alert jobs send with).
///
/// # Errors
/// An invalid schedule or a scheduler failure.
pub async fn start(
    settings: &Settings,
    store: Store,
    auth: Arc<crate::auth::Auth>,
    salts: Arc<SaltKeeper>,
    clock: Clock,
    outbox: Option<crate::mail::Outbox>,
) -> anyhow::Result<JobScheduler> {
    let cfg = &settings.jobs;
    let sched = JobScheduler::new().await?;
    let mail = mail_jobs(cfg, outbox, &clock)?;
    let (s1, c1) = (salts.clone(), clock.clone());
    let rotate: Body = Arc::new(move || {
        if let Err(e) = s1.rotate(c1.now_ms()) {
            tracing::error!(error = %e, "salt rotation failed");
        }
    });
    let (s2, c2) = (salts, clock.clone());
    let destroy: Body = Arc::new(move || {
        if let Err(e) = s2.destroy_expired(c2.now_ms()) {
            tracing::error!(error = %e, "salt destruction failed");
        }
    });
    let (a4, st4, c4) = (auth.clone(), store.clone(), clock.clone());
    let (months, batch) = (
        settings.privacy.retention_months,
        settings.privacy.purge_batch_rows,
    );
    let purge: Body = Arc::new(move || {
        if let Err(e) = retention::run(&a4, &st4, months, batch, c4.now_ms()) {
            tracing::error!(error = %e, "retention purge failed");
        }
    });
    let (c3, st3) = (clock.clone(), store.clone());
    // Expired login sessions, and message ids older than their day of
    // de-duplication (`store::MESSAGE_ID_TTL_MS`).
    let cleanup: Body = Arc::new(move || {
        match auth.purge_expired_sessions(c3.now_ms()) {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired login sessions deleted"),
            Err(e) => tracing::error!(error = %e, "login cleanup failed"),
        }
        let before = c3.now_ms().saturating_sub(crate::store::MESSAGE_ID_TTL_MS);
        if let Err(e) = st3.purge_message_ids(before) {
            tracing::error!(error = %e, "message id cleanup failed");
        }
    });
    let (st5, c5, dir, keep) = (
        store.clone(),
        clock.clone(),
        settings.storage.backups(),
        settings.storage.backup_keep,
    );
    let backup: Body = Arc::new(move || {
        match crate::backup_schedule::run(&st5, &dir, keep, c5.now_ms()) {
            Ok(out) => tracing::info!(
                file = %out.report.path.display(),
                bytes = out.report.bytes,
                deleted = out.deleted.len(),
                "scheduled backup written"
            ),
            Err(e) => {
                tracing::error!(error = %crate::telemetry::causes(&e), "scheduled backup failed")
            }
        }
    });
    let roll: Body = Arc::new(move || match rollup::roll_up_all(&store, clock.now_ms()) {
        Ok(0) => {}
        Ok(n) => tracing::info!(days = n, "rollups written"),
        Err(e) => tracing::error!(error = %e, "rollup failed"),
    });
    for j in [
        job("salt_rotation", &cfg.salt_rotation_schedule, rotate)?,
        job("salt_destroy", &cfg.salt_destroy_schedule, destroy)?,
        job("rollup", &cfg.rollup_schedule, roll)?,
        job("login_cleanup", &cfg.login_cleanup_schedule, cleanup)?,
        job("purge", &cfg.purge_schedule, purge)?,
        job("backup", &cfg.backup_schedule, backup)?,
    ]
    .into_iter()
    .chain(mail)
    .flatten()
    {
        sched.add(j).await?;
    }
    sched.start().await?;
    Ok(sched)
}
