//! Site settings for attribution: the Stripe webhook's signing secret and
//! the lead-scoring rules (admins).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::settings::{render, save_site};
use crate::domain::money::{code_str, parse_code, parse_rates};
use crate::{
    dashboard::{
        DashError,
        web::{Member, Posted, require},
    },
    privacy,
};

#[derive(Deserialize)]
pub(super) struct ScoringInput {
    scoring: String,
}

/// Most scoring rules per site.
const MAX_RULES: usize = 50;

/// `POST /sites/{domain}/scoring` (admin)
pub(super) async fn scoring(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<ScoringInput>,
) -> Result<HttpResponse, DashError> {
    let (mut site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let parsed: Result<crate::attribution::scoring::Scoring, String> =
        serde_json::from_str(f.scoring.trim())
            .map_err(|e| format!("the scoring rules are not valid: {e}"))
            .and_then(|s: crate::attribution::scoring::Scoring| {
                if s.rules.len() > MAX_RULES {
                    Err(format!("at most {MAX_RULES} rules"))
                } else {
                    Ok(s)
                }
            });
    let rules = match parsed {
        Ok(s) => s,
        Err(e) => return render(&req, &m, &site, StatusCode::BAD_REQUEST, Some(&e), None),
    };
    site.scoring = rules;
    save_site(
        &req,
        &m,
        &site,
        "scoring_changed",
        &format!("{}: {} rules", site.domain, site.scoring.rules.len()),
    )
}

#[derive(Deserialize)]
pub(super) struct StripeInput {
    secret: String,
}

/// `POST /sites/{domain}/stripe` (admin): the webhook signing secret, sealed.
pub(super) async fn stripe_secret(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<StripeInput>,
) -> Result<HttpResponse, DashError> {
    let (mut site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let secret = f.secret.trim();
    if !secret.starts_with("whsec_") || secret.len() > 200 {
        let e = "paste the endpoint's signing secret from Stripe (it starts with whsec_)";
        return render(&req, &m, &site, StatusCode::BAD_REQUEST, Some(e), None);
    }
    let st = m.state();
    site.stripe_secret_sealed = Some(hex::encode(st.auth.keys.seal(
        &privacy::aad::site_stripe_secret(site.id.0),
        secret.as_bytes(),
    )));
    save_site(&req, &m, &site, "stripe_secret_set", site.domain.as_str())
}

#[derive(Deserialize)]
pub(super) struct LookbackInput {
    days: String,
}

/// `POST /sites/{domain}/lookback` (admin): the attribution lookback window.
pub(super) async fn lookback(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<LookbackInput>,
) -> Result<HttpResponse, DashError> {
    let (mut site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let days = match f.days.trim().parse::<u32>() {
        Ok(d) if (1..=365).contains(&d) => d,
        _ => {
            let e = "the lookback window is a whole number of days from 1 to 365";
            return render(&req, &m, &site, StatusCode::BAD_REQUEST, Some(e), None);
        }
    };
    site.lookback_days = Some(days);
    save_site(
        &req,
        &m,
        &site,
        "settings_changed",
        &format!("{}: attribution lookback {days} days", site.domain),
    )
}

#[derive(serde::Deserialize)]
pub(super) struct CurrencyInput {
    #[serde(default)]
    currency: String,
    #[serde(default)]
    rates: String,
}

/// `POST /sites/{domain}/currency` (admin): the reporting currency and the
/// exchange rates the site's revenue may be converted at (none are fetched).
pub(super) async fn currency(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<CurrencyInput>,
) -> Result<HttpResponse, DashError> {
    let (mut site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let currency = match f.currency.trim() {
        "" => None,
        c => match parse_code(c) {
            Some(code) => Some(code_str(code)),
            None => {
                let e =
                    "the reporting currency is a three-letter ISO 4217 code such as EUR, or empty";
                return render(&req, &m, &site, StatusCode::BAD_REQUEST, Some(e), None);
            }
        },
    };
    let rates = match parse_rates(&f.rates) {
        Ok(r) => r,
        Err(e) => {
            let e = format!("exchange rates: {e}");
            return render(&req, &m, &site, StatusCode::BAD_REQUEST, Some(&e), None);
        }
    };
    site.reporting_currency = currency;
    site.exchange_rates = rates.into_iter().map(|(c, r)| (code_str(c), r)).collect();
    save_site(
        &req,
        &m,
        &site,
        "settings_changed",
        &format!(
            "{}: reporting currency {}, {} exchange rates",
            site.domain,
            site.reporting_currency.as_deref().unwrap_or("automatic"),
            site.exchange_rates.len()
        ),
    )
}
