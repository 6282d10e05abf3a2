//! What Segment messages come to: `identify` and `alias` link ids to leads
//! (stored at once), `page`, `screen` and `track` become timed events for the
//! writer (see [`crate::ingest::timed`]), `group` is accepted and not used.
//!
//! - **Visitor.** A message's visitor is its `anonymousId`, else its
//!   `userId`, each turned into a keyed subject
//!   ([`crate::privacy::ids::source_subject`]) and the stable visitor hash
//!   of that subject. Neither id is stored.
//! - **Leads.** `identify` with `traits.email` and/or `traits.phone` makes
//!   (or matches) the lead of that email's keyed index, as the tracker and
//!   the conversions API do; the plain email is sealed on arrival. Both the
//!   anonymous and the user subject are linked to it, so the anonymous
//!   visits are the lead's journey and a later `userId`-only purchase is
//!   theirs. `alias` (and an `identify` without traits naming both ids) link
//!   the other id to the lead one of them already is; ids no lead knows yet
//!   are not linked.
//! - **Purchases.** `track` named `Order Completed` (Segment's e-commerce
//!   spec) with `revenue`, else `total`, else `value`, in `currency`
//!   (default USD, as Segment's spec) is a purchase conversion of the
//!   visitor's lead (or of the visitor); its `order_id` de-duplicates.

use std::net::IpAddr;

use serde_json::Value;

use super::{
    message::{Kind, Message},
    page::{page_url, props},
};
use crate::{
    attribution::leads::{identify, lead_id},
    ingest::{
        enrich::{Enriched, Enricher},
        payload::parse_decimal_micros,
        timed::{TimedEvent, check_time},
    },
    privacy::{
        Keys, aad,
        ids::{
            email_digest, lead_email_index, lead_phone_index, phone_digest, source_subject,
            uid_visitor,
        },
        sha256,
    },
    store::{LeadIdentity, Site, Store, StoreError, record::Revenue},
};

/// Segment's e-commerce event for a completed purchase.
pub const ORDER_COMPLETED: &str = "Order Completed";

/// Why a request's messages are refused (nothing of it is stored).
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A message is invalid; the text names it.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one request comes to.
#[derive(Debug, Default)]
pub struct Applied {
    /// Events for the writer, in time order.
    pub events: Vec<Enriched>,
    /// Messages from a crawler's user agent, not counted.
    pub bots: usize,
}

/// Everything `apply` needs from the running server.
pub struct Context<'a> {
    /// The store.
    pub store: &'a Store,
    /// Keys for keyed subjects and sealing.
    pub keys: &'a Keys,
    /// Enrichment.
    pub enricher: &'a Enricher,
    /// The site the write key names.
    pub site: &'a Site,
    /// The first unix ms the site's retention keeps.
    pub oldest_ms: u64,
    /// The sender's address, used for location when a message names none
    /// (the browser library's requests).
    pub client_ip: Option<IpAddr>,
    /// Now, unix ms.
    pub now_ms: u64,
}

/// The identifying parts of an `identify` message, validated.
pub(crate) struct Traits {
    email: Option<String>,
    phone: Option<String>,
}

/// The email and phone of an `identify` message's traits, checked.
pub(crate) fn traits(m: &Message) -> Result<Traits, String> {
    let get = |k: &str| m.traits.get(k).and_then(Value::as_str).map(str::trim);
    let email = get("email").filter(|e| !e.is_empty());
    if email.is_some_and(|e| !e.contains('@') || e.len() > 320) {
        return Err("traits.email is not an email address".into());
    }
    let phone = get("phone").filter(|p| !p.is_empty());
    if phone.is_some_and(|p| p.chars().filter(char::is_ascii_digit).count() < 5 || p.len() > 40) {
        return Err("traits.phone is not a phone number".into());
    }
    Ok(Traits {
        email: email.map(str::to_owned),
        phone: phone.map(str::to_owned),
    })
}

/// A purchase's revenue, when `m` is an `Order Completed` with an amount.
pub(crate) fn revenue(m: &Message) -> Result<Option<Revenue>, String> {
    if m.kind != Kind::Track || m.name.as_deref() != Some(ORDER_COMPLETED) {
        return Ok(None);
    }
    let p = &m.properties;
    let Some(amount) = ["revenue", "total", "value"]
        .iter()
        .find_map(|k| p.get(*k).filter(|v| !v.is_null()))
    else {
        return Ok(None);
    };
    let text = match amount {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return Err("revenue must be a number".into()),
    };
    let micros = parse_decimal_micros(&text).ok_or("revenue is not a decimal number")?;
    let currency = match p.get("currency") {
        None | Some(Value::Null) => "USD".to_owned(),
        Some(Value::String(c)) => c.trim().to_ascii_uppercase(),
        Some(_) => return Err("currency must be a 3-letter ISO 4217 code".into()),
    };
    let c = currency.as_bytes();
    if c.len() != 3 || !c.iter().all(u8::is_ascii_alphabetic) {
        return Err("currency must be a 3-letter ISO 4217 code".into());
    }
    Ok(Some(Revenue {
        amount_micros: micros,
        currency: [c[0], c[1], c[2]],
    }))
}

/// Checks every message before anything is stored.
fn validate(cx: &Context<'_>, messages: &[Message]) -> Result<(), ApplyError> {
    for (i, m) in messages.iter().enumerate() {
        let at = |e: String| ApplyError::Invalid(format!("message {i}: {e}"));
        check_time(m.ts_ms, cx.now_ms, cx.oldest_ms).map_err(|e| at(format!("timestamp {e}")))?;
        match m.kind {
            Kind::Identify => drop(traits(m).map_err(at)?),
            Kind::Track => drop(revenue(m).map_err(at)?),
            _ => {}
        }
    }
    Ok(())
}

/// Stores the links `messages` make and returns their events.
///
/// # Errors
/// [`ApplyError::Invalid`] (nothing stored) or a storage error.
pub fn apply(cx: &Context<'_>, mut messages: Vec<Message>) -> Result<Applied, ApplyError> {
    validate(cx, &messages)?;
    // Sessionized in time order; equal times keep the order sent.
    messages.sort_by_key(|m| m.ts_ms);
    for m in &messages {
        match m.kind {
            Kind::Identify => identify_message(cx, m)?,
            Kind::Alias => {
                let prev = m.previous_id.as_deref().unwrap_or_default();
                let from = [
                    source_subject(cx.keys, cx.site.id, "anonymous", prev),
                    source_subject(cx.keys, cx.site.id, "user", prev),
                ];
                link(cx, &from, &subjects(cx, m), m.ts_ms)?;
            }
            _ => {}
        }
    }
    let mut out = Applied::default();
    for m in &messages {
        if !matches!(m.kind, Kind::Page | Kind::Screen | Kind::Track) {
            continue;
        }
        let ua = match m.user_agent.as_deref() {
            None => None,
            Some(agent) => match cx.enricher.check_agent(agent) {
                Ok(info) => Some(info),
                Err(_) => {
                    out.bots += 1;
                    continue;
                }
            },
        };
        let revenue = revenue(m).map_err(ApplyError::Invalid)?;
        let subjects = subjects(cx, m);
        let lead = if revenue.is_some() {
            lead_of(cx, &subjects)?.map(hex::encode)
        } else {
            None
        };
        let event = TimedEvent {
            site: cx.site.id,
            timezone: cx.site.timezone,
            ts_ms: m.ts_ms,
            visitor: uid_visitor(cx.keys, &subjects[0]),
            lead,
            name: (m.kind == Kind::Track).then(|| m.name.clone().unwrap_or_default()),
            url: page_url(m, cx.site.domain.as_str()),
            referrer: m.page.referrer.clone(),
            props: props(m),
            revenue,
            ip: m
                .ip
                .as_deref()
                .and_then(|ip| ip.parse().ok())
                .or(cx.client_ip),
            ua,
            message_id: m.message_id.as_deref().map(message_id),
            source: "segment",
        };
        out.events.push(cx.enricher.enrich_timed(event));
    }
    Ok(out)
}

/// The stored form of a message id.
fn message_id(id: &str) -> crate::store::MessageId {
    sha256(id.as_bytes())[..16]
        .try_into()
        .expect("16 bytes of 32")
}

/// The keyed subjects of a message's ids: its visitor's first (`anonymousId`,
/// else `userId`), then the user's.
fn subjects(cx: &Context<'_>, m: &Message) -> Vec<[u8; 32]> {
    let s = |kind, id: &Option<String>| {
        id.as_deref()
            .map(|id| source_subject(cx.keys, cx.site.id, kind, id))
    };
    [s("anonymous", &m.anonymous_id), s("user", &m.user_id)]
        .into_iter()
        .flatten()
        .collect()
}

/// The lead one of `subjects` is (the first that is one).
fn lead_of(cx: &Context<'_>, subjects: &[[u8; 32]]) -> Result<Option<[u8; 32]>, StoreError> {
    for s in subjects {
        if let Some(i) = cx.store.lead_identity(cx.site.id, s)?
            && let Some(id) = lead_id(i.email.as_deref(), i.phone.as_deref())
        {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Links `to` to the lead the first of `from` that has one is.
fn link(
    cx: &Context<'_>,
    from: &[[u8; 32]],
    to: &[[u8; 32]],
    at_ms: u64,
) -> Result<(), StoreError> {
    let mut found: Option<LeadIdentity> = None;
    for s in from.iter().chain(to) {
        if let Some(i) = cx.store.lead_identity(cx.site.id, s)? {
            found = Some(i);
            break;
        }
    }
    if let Some(i) = found {
        attach(cx, from.iter().chain(to), i.email, i.phone, None, at_ms)?;
    }
    Ok(())
}

fn identify_message(cx: &Context<'_>, m: &Message) -> Result<(), ApplyError> {
    let t = traits(m).map_err(ApplyError::Invalid)?;
    let subjects = subjects(cx, m);
    let email_index = t
        .email
        .as_deref()
        .map(|e| lead_email_index(cx.keys, &email_digest(e)));
    let phone_index = t
        .phone
        .as_deref()
        .map(|p| lead_phone_index(cx.keys, &phone_digest(p)));
    let Some(lead_hex) = email_index.clone().or_else(|| phone_index.clone()) else {
        // No traits that identify: the two ids may still join a known lead.
        link(cx, &subjects, &subjects, m.ts_ms)?;
        return Ok(());
    };
    // A plain address is sealed on arrival, bound to its lead.
    let sealed = t.email.as_deref().map(|e| {
        hex::encode(cx.keys.seal(
            &aad::lead_email(&lead_hex),
            e.trim().to_lowercase().as_bytes(),
        ))
    });
    attach(
        cx,
        subjects.iter(),
        email_index,
        phone_index,
        sealed,
        m.ts_ms,
    )?;
    Ok(())
}

/// Records `subjects` as the lead of the given indexes; its purchases made
/// before become the lead's.
fn attach<'s>(
    cx: &Context<'_>,
    subjects: impl Iterator<Item = &'s [u8; 32]>,
    email_index: Option<String>,
    phone_index: Option<String>,
    sealed: Option<String>,
    at_ms: u64,
) -> Result<(), StoreError> {
    for s in subjects {
        cx.store.record_lead(
            cx.site.id,
            s,
            email_index.clone(),
            phone_index.clone(),
            at_ms,
        )?;
        if let Some((lead, _)) = identify(
            cx.store,
            cx.site.id,
            email_index.as_deref(),
            phone_index.as_deref(),
            Some(s),
            sealed.clone(),
            at_ms,
            "segment",
        )? {
            cx.store
                .adopt_conversions(cx.site.id, uid_visitor(cx.keys, s), &lead.id)?;
        }
    }
    Ok(())
}
