//! Site settings for attribution (admins): the Stripe webhook's signing
//! secret, the lead-scoring rules, the lookback window and model, and the
//! reporting currency.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{
    scoring_form::{self, MAX_RULES},
    settings::{render, save_site},
};
use crate::attribution::Model;
use crate::dashboard::views::words::count;
use crate::domain::money::{code_str, parse_code, parse_rates};
use crate::{
    dashboard::{
        DashError,
        web::{Member, Posted, require},
    },
    privacy,
};

/// `POST /sites/{domain}/scoring` (admin): the rules from the form's rows,
/// or, when a non-empty `scoring` field is sent, from its JSON (advanced).
pub(super) async fn scoring(
    req: HttpRequest,
    m: Member,
    domain: web::Path<String>,
    Posted(f): Posted<Vec<(String, String)>>,
) -> Result<HttpResponse, DashError> {
    let (mut site, role) = m.site(&domain)?;
    require(role.can_manage())?;
    let json = f
        .iter()
        .find(|(k, v)| k == "scoring" && !v.trim().is_empty())
        .map(|(_, v)| v.trim());
    let parsed: Result<crate::attribution::scoring::Scoring, String> = match json {
        Some(j) => serde_json::from_str(j)
            .map_err(|e| format!("the scoring rules are not valid: {e}"))
            .and_then(|s: crate::attribution::scoring::Scoring| {
                if s.rules.len() > MAX_RULES {
                    Err(format!("at most {MAX_RULES} rules"))
                } else {
                    Ok(s)
                }
            }),
        None => scoring_form::parse(&f),
    };
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
        &format!(
            "{}: {}",
            site.domain,
            count(site.scoring.rules.len(), "rule", "rules")
        ),
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
    /// The model reports lead with (absent: unchanged).
    #[serde(default)]
    model: Option<String>,
}

/// `POST /sites/{domain}/lookback` (admin): the attribution lookback window
/// and the model the Attribution page leads with.
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
    // Absent (an older form): the model stays as it is, default included.
    if let Some(name) = f.model.as_deref().map(str::trim) {
        let Some(model) = Model::parse(name) else {
            let e = "choose one of the attribution models offered";
            return render(&req, &m, &site, StatusCode::BAD_REQUEST, Some(e), None);
        };
        site.attribution_model = Some(model.as_str().to_owned());
    }
    site.lookback_days = Some(days);
    save_site(
        &req,
        &m,
        &site,
        "settings_changed",
        &format!(
            "{}: attribution lookback {}, model {}",
            site.domain,
            count(days, "day", "days"),
            site.attribution_model().as_str()
        ),
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
