//! `POST /api/v1/conversions`: server-side conversions (a CRM, a checkout).
//! The person is named by email, its SHA-256, or phone; they become (or match)
//! a lead through the same keyed index the tracker uses, and a plain email is
//! sealed on arrival. A repeated `order_id` is recorded once.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value as Json, json};

use super::{ApiError, json_object, recording_key, site};
use crate::{
    attribution::leads::identify,
    ingest::payload::parse_decimal_micros,
    privacy::{
        aad,
        ids::{email_digest, lead_email_index, lead_phone_index, phone_digest},
    },
    startup::AppState,
    store::{Conversion, ConversionKind},
};

/// The answer to an order id that is an email, phone or card number.
const PERSONAL_ORDER_ID: &str =
    "order_id must not be an email address, phone or card number (or contain one)";

/// Longest order id.
const MAX_ORDER_ID: usize = 200;

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

fn text<'a>(o: &'a serde_json::Map<String, Json>, k: &str) -> Result<Option<&'a str>, ApiError> {
    match o.get(k) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.trim())),
        Some(_) => Err(bad(format!("{k} must be a string"))),
    }
}

/// A validated conversion request.
struct Input {
    site_id: String,
    email: Option<String>,
    email_digest: Option<String>,
    phone: Option<String>,
    kind: ConversionKind,
    value_micros: i64,
    currency: Option<String>,
    order_id: Option<String>,
    at_ms: u64,
}

fn parse(body: &[u8], now_ms: u64) -> Result<Input, ApiError> {
    let o = json_object(body)?;
    let site_id = text(&o, "site_id")?
        .ok_or_else(|| bad("site_id is required"))?
        .to_owned();
    let email = text(&o, "email")?;
    if email.is_some_and(|e| !e.contains('@') || e.len() > 320) {
        return Err(bad("email is not an email address"));
    }
    let sha = text(&o, "email_sha256")?;
    if sha.is_some_and(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(bad(
            "email_sha256 must be 64 hex digits (SHA-256 of the trimmed, lower-cased address)",
        ));
    }
    let phone = text(&o, "phone")?;
    if phone.is_some_and(|p| p.chars().filter(char::is_ascii_digit).count() < 5 || p.len() > 40) {
        return Err(bad("phone is not a phone number"));
    }
    if let (Some(e), Some(h)) = (email, sha)
        && email_digest(e) != h.to_ascii_lowercase()
    {
        return Err(bad("email and email_sha256 name different people"));
    }
    if email.is_none() && sha.is_none() && phone.is_none() {
        return Err(bad("one of email, email_sha256 or phone is required"));
    }
    let kind = text(&o, "type")?
        .and_then(ConversionKind::parse)
        .ok_or_else(|| bad("type must be lead, purchase or custom"))?;
    let decimal =
        |s: &str| parse_decimal_micros(s).ok_or_else(|| bad("value is not a decimal number"));
    let value_micros = match o.get("value") {
        None | Some(Json::Null) => 0,
        Some(Json::Number(n)) => decimal(&n.to_string())?,
        Some(Json::String(s)) => decimal(s)?,
        Some(_) => return Err(bad("value must be a number or decimal string")),
    };
    let currency = text(&o, "currency")?.map(str::to_ascii_uppercase);
    if currency
        .as_ref()
        .is_some_and(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        return Err(bad("currency must be a 3-letter ISO 4217 code"));
    }
    if value_micros != 0 && currency.is_none() {
        return Err(bad("a value needs its currency"));
    }
    // Order ids are de-duplicated, so one holding personal data is refused
    // rather than redacted into one shared "[email]" order.
    let order_id = text(&o, "order_id")?
        .map(|s| crate::domain::text::order_id(s).ok_or_else(|| bad(PERSONAL_ORDER_ID)))
        .transpose()?;
    if order_id.as_ref().is_some_and(|s| s.len() > MAX_ORDER_ID) {
        return Err(bad(format!(
            "order_id is longer than {MAX_ORDER_ID} characters"
        )));
    }
    let at_ms = match text(&o, "occurred_at")? {
        None => now_ms,
        Some(t) => chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .and_then(|d| u64::try_from(d.timestamp_millis()).ok())
            .filter(|ms| *ms <= now_ms + 86_400_000)
            .ok_or_else(|| bad("occurred_at must be an RFC 3339 time, not in the future"))?,
    };
    Ok(Input {
        site_id,
        email: email.map(str::to_owned),
        email_digest: sha.map(str::to_ascii_lowercase),
        phone: phone.map(str::to_owned),
        kind,
        value_micros,
        currency,
        order_id,
        at_ms,
    })
}

/// `POST /api/v1/conversions`
pub async fn record(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let ws = recording_key(&req, &state)?.workspace;
    let input = parse(&body, state.clock.now_ms())?;
    let (store, keys) = (state.store.clone(), state.auth.keys.clone());
    let out = web::block(move || -> Result<Json, ApiError> {
        let s = site(&store.read()?, ws, Some(&input.site_id))?;
        let digest = input
            .email_digest
            .clone()
            .or_else(|| input.email.as_deref().map(email_digest));
        let email_index = digest.as_deref().map(|d| lead_email_index(&keys, d));
        let phone_index = input
            .phone
            .as_deref()
            .map(|p| lead_phone_index(&keys, &phone_digest(p)));
        let lead_hex = email_index
            .clone()
            .or_else(|| phone_index.clone())
            .unwrap_or_default();
        // A plain address is sealed on arrival, bound to its lead.
        let sealed = input.email.as_deref().map(|e| {
            hex::encode(keys.seal(
                &aad::lead_email(&lead_hex),
                e.trim().to_lowercase().as_bytes(),
            ))
        });
        let lead = identify(
            &store,
            s.id,
            email_index.as_deref(),
            phone_index.as_deref(),
            None,
            sealed,
            input.at_ms,
            "api",
        )?
        .ok_or_else(|| bad("one of email, email_sha256 or phone is required"))?;
        let (lead, new) = lead;
        // A `lead` is recorded when the person is new; anything else per order id.
        let recorded = if input.kind == ConversionKind::Lead {
            new
        } else {
            store.record_conversion(
                s.id,
                &Conversion {
                    lead: lead.id.clone(),
                    kind: input.kind,
                    at_ms: input.at_ms,
                    value_micros: input.value_micros,
                    currency: input.currency.clone(),
                    order_id: input.order_id.clone(),
                    source: "api".into(),
                    refunded_micros: 0,
                    visitor: None,
                },
            )?
        };
        Ok(json!({ "lead_id": lead.id, "recorded": recorded }))
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))??;
    Ok(HttpResponse::Ok().json(out))
}
