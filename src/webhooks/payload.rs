//! What a webhook says: `{"type", "timestamp", "data"}`, where `data`
//! holds the site, the lead (its id; its email when Touchpoint holds it in
//! clear form, sealed; whether a phone is known; first and last seen) with
//! its attribution summary — first and last touch (channel, source,
//! campaign, medium, landing page, time) and each channel's share of the
//! lead under the site's model — and, for conversion events, the
//! conversion. `person.erased` carries the lead's id only.

use serde_json::{Value as Json, json};

use crate::{
    attribution::{Journey, Touch, attribute},
    domain::{channel::Channel, money::micros_to_decimal, webhook::WebhookEvent},
    privacy::{
        Keys,
        subject::{self, Identifier},
    },
    stats::{
        query::Dimension,
        values::{Texts, visit_raw},
    },
    store::{
        Conversion, ConversionKind, Lead, SessionKey, Site, Store, StoreError, aad,
        changes::Change, record::SessionRecord,
    },
};

/// RFC 3339 UTC with milliseconds (`2024-03-15T10:00:00.000Z`).
fn fmt_utc(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(String::new, |t| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
}

fn touch_json(
    texts: &Texts<'_>,
    key: &SessionKey,
    rec: &SessionRecord,
) -> Result<Json, StoreError> {
    let t = |d: &Dimension| texts.text(d, visit_raw(d, rec));
    Ok(json!({
        "at": fmt_utc(key.start_ms),
        "channel": t(&Dimension::Channel)?,
        "source": t(&Dimension::Source)?,
        "medium": t(&Dimension::Utm(1))?,
        "campaign": t(&Dimension::Utm(2))?,
        "landing_page": t(&Dimension::EntryPage)?,
    }))
}

/// The lead's part of `data`.
fn lead_json(store: &Store, keys: &Keys, site: &Site, lead: &Lead) -> Result<Json, StoreError> {
    let email = lead.email_sealed.as_deref().and_then(|s| {
        let bytes = hex::decode(s).ok()?;
        String::from_utf8(keys.open(&aad::lead_email(&lead.id), &bytes).ok()?).ok()
    });
    let id: [u8; 32] = hex::decode(&lead.id)
        .ok()
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; 32]);
    let who = subject::resolve(store, keys, site, &Identifier::Lead(id))?;
    let data = store.person_data(site.id, &who)?;
    let view = store.read()?;
    let texts = Texts::new(&view);
    let mut visits: Vec<_> = data.sessions.iter().collect();
    visits.sort_by_key(|(k, _)| k.start_ms);
    let first = visits
        .first()
        .map(|(k, r)| touch_json(&texts, k, r))
        .transpose()?;
    let last = visits
        .last()
        .map(|(k, r)| touch_json(&texts, k, r))
        .transpose()?;
    let model = site.attribution_model();
    let touches: Vec<Touch> = visits
        .iter()
        .map(|(k, r)| Touch {
            key: u32::from(r.channel),
            at_ms: k.start_ms,
        })
        .collect();
    let at = visits.last().map_or(lead.first_ms, |(k, _)| k.start_ms);
    let direct = u32::from(Channel::Direct.code());
    let credit: Vec<Json> = attribute(model, &[Journey::converted(touches, 0.0, at)], direct)
        .into_iter()
        .map(|(k, c)| {
            let name = u8::try_from(k)
                .ok()
                .and_then(Channel::from_code)
                .map_or("(other)", Channel::as_str);
            json!({"channel": name, "share": (c.conversions * 1000.0).round() / 1000.0})
        })
        .collect();
    Ok(json!({
        "id": lead.id,
        "email": email,
        "phone_known": lead.phone_index.is_some(),
        "first_seen": fmt_utc(lead.first_ms),
        "last_seen": fmt_utc(lead.last_ms),
        "visits": visits.len(),
        "attribution": {
            "first_touch": first,
            "last_touch": last,
            "model": model.as_str(),
            "credit": credit,
        },
    }))
}

fn conversion_json(c: &Conversion) -> Json {
    json!({
        "type": match c.kind {
            ConversionKind::Lead => "lead",
            ConversionKind::Purchase => "purchase",
            ConversionKind::Custom => "custom",
        },
        "at": fmt_utc(c.at_ms),
        "value": micros_to_decimal(c.value_micros),
        "refunded": micros_to_decimal(c.refunded_micros),
        "currency": c.currency,
        "order_id": c.order_id,
        "source": c.source,
    })
}

/// A body with what a change says by itself (the lead's id, no summary),
/// for a change whose full body can't be read.
#[must_use]
pub fn minimal(site: &Site, change: &Change, now_ms: u64) -> Vec<u8> {
    let lead = (!change.lead.is_empty()).then(|| json!({"id": change.lead}));
    let out = json!({
        "type": change.event.as_str(),
        "timestamp": fmt_utc(now_ms),
        "data": {"site": site.domain.as_str(), "lead": lead},
    });
    serde_json::to_vec(&out).expect("JSON values serialise")
}

/// The body of a message about `change` (JSON bytes), made at `now_ms`.
///
/// # Errors
/// Storage errors.
pub fn body(
    store: &Store,
    keys: &Keys,
    site: &Site,
    change: &Change,
    now_ms: u64,
) -> Result<Vec<u8>, StoreError> {
    let mut data = serde_json::Map::new();
    data.insert("site".into(), json!(site.domain.as_str()));
    let lead = match hex::decode(&change.lead)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
    {
        Some(id) if change.event != WebhookEvent::PersonErased => store.lead(site.id, &id)?,
        _ => None,
    };
    match (&lead, change.event) {
        (Some(l), _) => {
            data.insert("lead".into(), lead_json(store, keys, site, l)?);
        }
        (None, _) if !change.lead.is_empty() => {
            data.insert("lead".into(), json!({"id": change.lead}));
        }
        _ => {
            data.insert("lead".into(), Json::Null);
        }
    }
    if let Some((at, seq)) = change.conversion
        && let Some(c) = store.conversion_at(site.id, at, seq)?
    {
        data.insert("conversion".into(), conversion_json(&c));
    }
    let out = json!({
        "type": change.event.as_str(),
        "timestamp": fmt_utc(now_ms),
        "data": data,
    });
    Ok(serde_json::to_vec(&out).expect("JSON values serialise"))
}
