//! Incoming webhooks. `POST /hooks/stripe/{site}`: Stripe events signed with
//! the site's signing secret (site settings) become purchases of the lead
//! with the customer's email:
//!
//! - `checkout.session.completed` (paid) and `invoice.paid`: a purchase of
//!   the amount paid. The order id is the invoice (else the payment intent,
//!   else the session), so a subscription's first payment, reported by both
//!   events, counts once; a redelivered event changes nothing.
//! - `charge.refunded`: the refunded total is taken off that order's revenue.
//!
//! Other events are acknowledged and ignored. Amounts are in the currency's
//! smallest unit (cents), except for Stripe's zero-decimal currencies.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value as Json, json};

use crate::{
    attribution::leads::identify,
    domain::Domain,
    privacy::{
        aad,
        ids::{email_digest, lead_email_index},
        stripe,
    },
    startup::AppState,
    store::{Conversion, ConversionKind, Site},
};

/// Routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/hooks/stripe/{site}", web::post().to(stripe_hook));
}

/// Stripe's currencies with three decimals.
const THREE_DECIMAL: [&str; 5] = ["bhd", "jod", "kwd", "omr", "tnd"];

/// Stripe's currencies without a minor unit.
const ZERO_DECIMAL: [&str; 16] = [
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

const UNKNOWN_ORDER: &str = "unknown order";

fn reply(status: u16, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or_default())
        .json(json!({ "message": message }))
}

/// An amount in the smallest unit as millionths of the main unit.
fn micros(amount: i64, currency: &str) -> i64 {
    let per_unit = if ZERO_DECIMAL.contains(&currency) {
        1_000_000
    } else if THREE_DECIMAL.contains(&currency) {
        1_000
    } else {
        10_000
    };
    amount.saturating_mul(per_unit)
}

/// What a Stripe event means for revenue.
#[derive(Debug, PartialEq)]
pub(crate) enum Effect {
    Purchase {
        email: String,
        order: String,
        aliases: Vec<String>,
        micros: i64,
        currency: String,
        at_s: i64,
    },
    Refund {
        orders: Vec<String>,
        micros: i64,
    },
    Ignored,
}

fn text(v: &Json, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for k in path {
        cur = cur.get(*k)?;
    }
    cur.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// What `event` (a Stripe event, verified) means for revenue.
pub(crate) fn effect(event: &Json) -> Effect {
    let o = &event["data"]["object"];
    let at_s = event["created"].as_i64().unwrap_or(0);
    let currency = text(o, &["currency"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    // The object's ids of its order, most specific first.
    let ids = |fields: &[&str]| -> Vec<String> {
        fields
            .iter()
            .filter_map(|f| text(o, &[f]).and_then(|t| crate::domain::text::order_id(&t)))
            .collect()
    };
    let purchase =
        |email: Option<String>, mut ids: Vec<String>, amount: Option<i64>| match (email, amount) {
            (Some(email), Some(amount)) if amount > 0 && !ids.is_empty() => {
                let order = ids.remove(0);
                Effect::Purchase {
                    email,
                    order,
                    aliases: ids,
                    micros: micros(amount, &currency),
                    currency: currency.clone(),
                    at_s,
                }
            }
            _ => Effect::Ignored,
        };
    match event["type"].as_str().unwrap_or_default() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded"
            if o["payment_status"] == "paid" =>
        {
            let email =
                text(o, &["customer_details", "email"]).or_else(|| text(o, &["customer_email"]));
            purchase(
                email,
                ids(&["invoice", "payment_intent", "id"]),
                o["amount_total"].as_i64(),
            )
        }
        "invoice.paid" => purchase(
            text(o, &["customer_email"]),
            ids(&["id", "payment_intent", "charge"]),
            o["amount_paid"].as_i64(),
        ),
        "charge.refunded" => match o["amount_refunded"].as_i64() {
            Some(amount) => {
                let orders = ids(&["invoice", "payment_intent", "id"]);
                if orders.is_empty() {
                    Effect::Ignored
                } else {
                    Effect::Refund {
                        orders,
                        micros: micros(amount, &currency),
                    }
                }
            }
            None => Effect::Ignored,
        },
        _ => Effect::Ignored,
    }
}

/// `POST /hooks/stripe/{site}`
async fn stripe_hook(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let Ok(domain) = Domain::parse(&path) else {
        return reply(404, "unknown site");
    };
    let site: Option<Site> = state
        .store
        .read()
        .ok()
        .and_then(|v| v.site_by_domain(domain.as_str()).ok().flatten());
    let Some(site) = site else {
        return reply(404, "unknown site");
    };
    let keys = &state.auth.keys;
    let secret = site
        .stripe_secret_sealed
        .as_deref()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| keys.open(&aad::site_stripe_secret(site.id.0), &b).ok());
    let Some(secret) = secret else {
        return reply(400, "no Stripe signing secret is set for this site");
    };
    let header = req
        .headers()
        .get("stripe-signature")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let now_s = i64::try_from(state.clock.now_ms() / 1000).unwrap_or(i64::MAX);
    if let Err(e) = stripe::verify(&secret, header, &body, now_s) {
        tracing::warn!(site = %site.domain, reason = %e, "Stripe webhook refused");
        return reply(400, &e);
    }
    let Ok(event) = serde_json::from_slice::<Json>(&body) else {
        return reply(400, "the body is not JSON");
    };
    let (store, keys) = (state.store.clone(), state.auth.keys.clone());
    let done = web::block(move || -> Result<&'static str, crate::store::StoreError> {
        match effect(&event) {
            Effect::Purchase {
                email,
                order,
                aliases,
                micros,
                currency,
                at_s,
            } => {
                let index = lead_email_index(&keys, &email_digest(&email));
                let sealed = hex::encode(keys.seal(
                    &aad::lead_email(&index),
                    email.trim().to_lowercase().as_bytes(),
                ));
                let at_ms = u64::try_from(at_s).unwrap_or(0).saturating_mul(1000);
                let Some((lead, _)) = identify(
                    &store,
                    site.id,
                    Some(&index),
                    None,
                    None,
                    Some(sealed),
                    at_ms,
                    "stripe",
                )?
                else {
                    return Ok("ignored");
                };
                let new = store.record_conversion(
                    site.id,
                    &Conversion {
                        lead: lead.id,
                        kind: ConversionKind::Purchase,
                        at_ms,
                        value_micros: micros,
                        currency: Some(currency.to_ascii_uppercase()),
                        order_id: Some(order.clone()),
                        source: "stripe".into(),
                        refunded_micros: 0,
                        visitor: None,
                    },
                )?;
                store.add_order_aliases(site.id, &order, &aliases)?;
                Ok(if new {
                    "purchase recorded"
                } else {
                    "already recorded"
                })
            }
            Effect::Refund { orders, micros } => {
                for o in &orders {
                    if store.set_refunded(site.id, o, micros)? {
                        return Ok("refund recorded");
                    }
                }
                Ok(UNKNOWN_ORDER)
            }
            Effect::Ignored => Ok("ignored"),
        }
    })
    .await;
    match done {
        // Not known yet (its payment's event may come later): Stripe retries.
        Ok(Ok(UNKNOWN_ORDER)) => reply(409, "refund of an order not recorded yet; retry later"),
        Ok(Ok(m)) => reply(200, m),
        _ => reply(500, "storage unavailable; Stripe will retry"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_map_to_purchases_and_refunds() {
        let checkout = json!({"type": "checkout.session.completed", "created": 1_700_000_000,
            "data": {"object": {"id": "cs_1", "payment_status": "paid", "amount_total": 12000,
            "currency": "eur", "invoice": "in_1", "customer_details": {"email": "a@b.co"}}}});
        assert_eq!(
            effect(&checkout),
            Effect::Purchase {
                email: "a@b.co".into(),
                order: "in_1".into(),
                aliases: vec!["cs_1".into()],
                micros: 120_000_000,
                currency: "eur".into(),
                at_s: 1_700_000_000
            }
        );
        let yen = json!({"type": "invoice.paid", "created": 1, "data": {"object": {"id": "in_2",
            "customer_email": "a@b.co", "amount_paid": 500, "currency": "jpy"}}});
        assert!(matches!(
            effect(&yen),
            Effect::Purchase {
                micros: 500_000_000,
                ..
            }
        ));
        let unpaid = json!({"type": "checkout.session.completed", "data": {"object": {"payment_status": "unpaid"}}});
        assert_eq!(effect(&unpaid), Effect::Ignored);
        let refund = json!({"type": "charge.refunded", "data": {"object": {"payment_intent": "pi_1",
            "amount_refunded": 2500, "currency": "usd"}}});
        assert_eq!(
            effect(&refund),
            Effect::Refund {
                orders: vec!["pi_1".into()],
                micros: 25_000_000
            }
        );
        assert_eq!(
            effect(&json!({"type": "customer.created"})),
            Effect::Ignored
        );
        let kwd = json!({"type": "invoice.paid", "created": 1, "data": {"object": {"id": "in_3",
            "customer_email": "a@b.co", "amount_paid": 1500, "currency": "kwd"}}});
        assert!(
            matches!(
                effect(&kwd),
                Effect::Purchase {
                    micros: 1_500_000,
                    ..
                }
            ),
            "1.500 KWD"
        );
    }
}
