//! The settings page's email card (admins): recipients of reports and
//! alerts, alert thresholds, and a test mail. Every action shows the
//! settings page again with what happened.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{audit, settings::render};
use crate::{
    dashboard::{
        DashError,
        views::mail_card::MailCard,
        web::{Member, Posted, require},
    },
    domain::Email,
    mail::{MailError, recipients},
    store::{Site, StoreError},
};

/// Routes under `/sites/{domain}/mail`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/sites/{domain}/mail/recipients",
        web::post().to(save_recipient),
    )
    .route(
        "/sites/{domain}/mail/recipients/{id}/delete",
        web::post().to(remove_recipient),
    )
    .route("/sites/{domain}/mail/alerts", web::post().to(alerts))
    .route("/sites/{domain}/mail/test", web::post().to(test_mail));
}

/// The card's view model for `site`.
///
/// # Errors
/// Storage errors.
pub(super) fn card(m: &Member, site: &Site) -> Result<MailCard, StoreError> {
    let st = m.state();
    let row = st.store.site_mail(site.id)?;
    let recipients = recipients::opened(&st.auth.keys, site.id, &row)
        .into_iter()
        .map(|o| {
            let r = o.recipient;
            (r.id, o.email, r.weekly, r.monthly, r.alerts)
        })
        .collect();
    Ok(MailCard {
        enabled: st.settings.mail.enabled(),
        recipients,
        spike_visitors: row.spike_visitors,
        drop_percent: row.drop_percent,
        me: st.auth.email_of(&m.user.login.user),
    })
}

#[derive(Deserialize)]
struct RecipientInput {
    email: String,
    weekly: Option<String>,
    monthly: Option<String>,
    alerts: Option<String>,
}

/// `POST /sites/{domain}/mail/recipients` (admin): adds an address, or
/// changes what a listed one gets.
async fn save_recipient(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<RecipientInput>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let email = match Email::parse(&f.email) {
        Ok(e) => e,
        Err(e) => return render(&req, &m, &site, StatusCode::BAD_REQUEST, Some(&e), None),
    };
    let choices = recipients::Choices {
        weekly: f.weekly.is_some(),
        monthly: f.monthly.is_some(),
        alerts: f.alerts.is_some(),
    };
    let st = m.state();
    let id = recipients::save(
        &st.store,
        &st.auth.keys,
        site.id,
        &email,
        choices,
        st.clock.now_ms(),
    )?;
    let gets: Vec<&str> = [
        (choices.weekly, "weekly"),
        (choices.monthly, "monthly"),
        (choices.alerts, "alerts"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    let gets = if gets.is_empty() {
        "nothing".to_owned()
    } else {
        gets.join(", ")
    };
    audit(
        &m,
        &site,
        "mail_recipient_saved",
        &format!("recipient {id} gets {gets}"),
    )?;
    render(
        &req,
        &m,
        &site,
        StatusCode::OK,
        None,
        Some("Recipient saved."),
    )
}

/// `POST /sites/{domain}/mail/recipients/{id}/delete` (admin)
async fn remove_recipient(
    req: HttpRequest,
    m: Member,
    path: web::Path<(String, u32)>,
    Posted(_): Posted<crate::dashboard::login::Empty>,
) -> Result<HttpResponse, DashError> {
    let (domain, id) = path.into_inner();
    let (site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    if !recipients::remove(&m.state().store, site.id, id)? {
        return Err(DashError::NotFound);
    }
    audit(
        &m,
        &site,
        "mail_recipient_removed",
        &format!("recipient {id}"),
    )?;
    render(
        &req,
        &m,
        &site,
        StatusCode::OK,
        None,
        Some("Recipient removed."),
    )
}

#[derive(Deserialize)]
struct AlertsInput {
    #[serde(default)]
    spike_visitors: String,
    #[serde(default)]
    drop_percent: String,
}

/// An optional whole number in `range`; empty is `None`.
fn optional(
    v: &str,
    range: std::ops::RangeInclusive<u32>,
    what: &str,
) -> Result<Option<u32>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "{what} must be a whole number from {} to {} (or empty for no alert)",
            range.start(),
            range.end()
        )),
    }
}

/// `POST /sites/{domain}/mail/alerts` (admin)
async fn alerts(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<AlertsInput>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let parsed = optional(&f.spike_visitors, 1..=1_000_000, "The spike threshold")
        .and_then(|s| Ok((s, optional(&f.drop_percent, 1..=99, "The drop percentage")?)));
    let (spike, drop) = match parsed {
        Ok(p) => p,
        Err(e) => return render(&req, &m, &site, StatusCode::BAD_REQUEST, Some(&e), None),
    };
    m.state().store.update_site_mail(site.id, |row| {
        row.spike_visitors = spike;
        row.drop_percent = drop;
        Ok::<_, StoreError>(())
    })?;
    let show =
        |v: Option<u32>, unit: &str| v.map_or_else(|| "off".to_owned(), |n| format!("{n}{unit}"));
    audit(
        &m,
        &site,
        "mail_alerts_changed",
        &format!(
            "spike {}, drop {}",
            show(spike, " current visitors"),
            show(drop, "%")
        ),
    )?;
    render(&req, &m, &site, StatusCode::OK, None, Some("Alerts saved."))
}

#[derive(Deserialize)]
struct TestInput {
    to: String,
}

/// `POST /sites/{domain}/mail/test` (admin): last week's report to one
/// address now.
async fn test_mail(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<TestInput>,
) -> Result<HttpResponse, DashError> {
    let (site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let to = match Email::parse(&f.to) {
        Ok(e) => e,
        Err(e) => return render(&req, &m, &site, StatusCode::BAD_REQUEST, Some(&e), None),
    };
    let st = m.state();
    let (outbox, now, s2) = (st.outbox(), st.clock.now_ms(), site.clone());
    let to2 = to.clone();
    let sent = web::block(move || outbox.send_weekly_now(&s2, &to2, now, true)).await?;
    match sent {
        Ok(_) => render(
            &req,
            &m,
            &site,
            StatusCode::OK,
            None,
            Some(&format!("Test mail sent to {to}.")),
        ),
        Err(
            e @ (MailError::NotConfigured | MailError::Address { .. } | MailError::Smtp { .. }),
        ) => {
            tracing::warn!(error = %crate::domain::text::redact(&crate::telemetry::causes(&e)), "test mail not sent");
            let message = match &e {
                MailError::Smtp { source, .. } => format!("{e}: {source}"),
                _ => e.to_string(),
            };
            render(
                &req,
                &m,
                &site,
                StatusCode::BAD_REQUEST,
                Some(&message),
                None,
            )
        }
        Err(e) => Err(DashError::Internal(format!("{e:?}"))),
    }
}
