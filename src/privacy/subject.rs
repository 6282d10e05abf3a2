//! Data-subject requests: find a person on a site from what they tell us (an
//! email, a phone, their first-party id, a visitor or lead id), show or export
//! everything held about them, or erase it. The person's identifiers are
//! turned into the same keyed values the tracker edge stores
//! ([`super::ids`]); nothing plain is looked up or kept.

use serde_json::{Map, Value, json};

use super::{
    Keys,
    ids::{
        consent_subject, email_digest, lead_email_index, lead_phone_index, phone_digest,
        uid_visitor, visitor_subject,
    },
};
use crate::{
    domain::calendar::fmt_utc as fmt_time,
    stats::{query::Dimension, values::Texts, values::visit_raw},
    store::{PersonData, PersonKeys, Site, Store, StoreError},
};

/// What a person is identified by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identifier {
    /// An email address (or the SHA-256 hex digest of the normalised address).
    Email(String),
    /// A phone number (or its digest).
    Phone(String),
    /// The first-party id from their `_tp_uid` cookie.
    Uid(String),
    /// A visitor id as shown in an export (16 hex digits).
    Visitor(u64),
    /// A lead id as shown in an export (64 hex digits).
    Lead([u8; 32]),
}

impl Identifier {
    /// Kinds offered on the lookup form.
    pub const KINDS: [&'static str; 5] = ["email", "phone", "uid", "visitor", "lead"];

    /// Parses a kind and value.
    ///
    /// # Errors
    /// An unknown kind or a malformed value, as a message for the form.
    pub fn parse(kind: &str, value: &str) -> Result<Self, String> {
        let v = value.trim();
        if v.is_empty() {
            return Err("enter what identifies the person".into());
        }
        if v.len() > 320 {
            return Err("that value is too long".into());
        }
        Ok(match kind {
            "email" if v.contains('@') || v.len() == 64 => Self::Email(v.to_owned()),
            "email" => return Err("that is not an email address".into()),
            "phone" if v.chars().filter(char::is_ascii_digit).count() >= 5 => {
                Self::Phone(v.to_owned())
            }
            "phone" => return Err("that is not a phone number".into()),
            "uid" => Self::Uid(v.to_owned()),
            "visitor" => u64::from_str_radix(v, 16)
                .ok()
                .filter(|_| v.len() == 16)
                .map(Self::Visitor)
                .ok_or("a visitor id is 16 hex digits")?,
            "lead" => hex::decode(v)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .map(Self::Lead)
                .ok_or("a lead id is 64 hex digits")?,
            other => return Err(format!("unknown identifier kind {other:?}")),
        })
    }

    /// Its kind, for logs and receipts (never the value).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Email(_) => "email",
            Self::Phone(_) => "phone",
            Self::Uid(_) => "uid",
            Self::Visitor(_) => "visitor",
            Self::Lead(_) => "lead",
        }
    }
}

/// The rows of one person on `site`: their consent subjects (found through
/// the keyed lead indexes, or derived from a first-party id), the stable
/// visitor hash of each, and the subjects of decisions made under those.
///
/// # Errors
/// Storage errors.
pub fn resolve(
    store: &Store,
    keys: &Keys,
    site: &Site,
    who: &Identifier,
) -> Result<PersonKeys, StoreError> {
    let mut k = PersonKeys::default();
    let leads = store.leads(site.id)?;
    let unhex = |h: &str| {
        hex::decode(h)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
    };
    match who {
        Identifier::Email(e) => {
            let idx = lead_email_index(keys, &email_digest(e));
            k.subjects = store.subjects_by_lead(site.id, Some(&idx), None)?;
            k.leads.extend(unhex(&idx));
        }
        Identifier::Phone(p) => {
            let idx = lead_phone_index(keys, &phone_digest(p));
            k.subjects = store.subjects_by_lead(site.id, None, Some(&idx))?;
            k.leads.extend(
                leads
                    .iter()
                    .filter(|l| l.id == idx || l.phone_index.as_deref() == Some(idx.as_str()))
                    .filter_map(|l| unhex(&l.id)),
            );
        }
        Identifier::Uid(u) => k.subjects.push(consent_subject(keys, site.id, u)),
        Identifier::Visitor(v) => k.visitors.push(*v),
        Identifier::Lead(s) => {
            k.subjects.push(*s);
            k.leads.push(*s);
        }
    }
    // A lead brings its linked subjects; a subject brings the leads it is linked to.
    for l in &leads {
        let linked = l.subjects.iter().filter_map(|s| unhex(s));
        let mine = unhex(&l.id).is_some_and(|id| k.leads.contains(&id));
        if mine {
            k.subjects.extend(linked);
        } else if linked.clone().any(|s| k.subjects.contains(&s))
            && let Some(id) = unhex(&l.id)
        {
            k.leads.push(id);
        }
    }
    k.leads.sort_unstable();
    k.leads.dedup();
    for s in k.subjects.clone() {
        k.visitors.push(uid_visitor(keys, &s));
    }
    k.visitors.sort_unstable();
    k.visitors.dedup();
    for v in &k.visitors {
        k.subjects.push(visitor_subject(keys, site.id, *v));
    }
    k.subjects.sort_unstable();
    k.subjects.dedup();
    Ok(k)
}

/// Counts for the lookup page.
#[must_use]
pub fn summary(d: &PersonData) -> [(&'static str, usize); 7] {
    [
        ("visits", d.sessions.len()),
        (
            "events",
            d.sessions.iter().map(|(_, r)| r.events.len()).sum(),
        ),
        ("consent records", d.consents.len()),
        ("consents in force", d.consented.len()),
        ("lead identifiers", d.identities.len()),
        ("leads", d.leads.len()),
        ("conversions", d.conversions.len()),
    ]
}

const VISIT_FIELDS: [(&str, Dimension); 15] = [
    ("hostname", Dimension::Hostname),
    ("referrer", Dimension::Referrer),
    ("source", Dimension::Source),
    ("channel", Dimension::Channel),
    ("utm_source", Dimension::Utm(0)),
    ("utm_medium", Dimension::Utm(1)),
    ("utm_campaign", Dimension::Utm(2)),
    ("utm_term", Dimension::Utm(3)),
    ("utm_content", Dimension::Utm(4)),
    ("click_id", Dimension::ClickId),
    ("country", Dimension::Country),
    ("region", Dimension::Region),
    ("city", Dimension::City),
    ("device", Dimension::Device),
    ("browser", Dimension::Browser),
];

/// Everything held about the person as one JSON document (portability).
///
/// # Errors
/// Storage errors while resolving texts.
pub fn export(
    store: &Store,
    site: &Site,
    who: &Identifier,
    d: &PersonData,
    now_ms: u64,
) -> Result<Value, StoreError> {
    let view = store.read()?;
    let texts = Texts::new(&view);
    let mut visits = Vec::new();
    for (key, rec) in &d.sessions {
        let mut v = Map::new();
        v.insert("started".into(), json!(fmt_time(key.start_ms)));
        v.insert("visitor_id".into(), json!(format!("{:016x}", rec.visitor)));
        for (name, dim) in &VISIT_FIELDS {
            let t = texts.text(dim, visit_raw(dim, rec))?;
            if !t.is_empty() {
                v.insert((*name).into(), json!(t));
            }
        }
        for (name, id) in [
            ("browser_version", rec.browser_version),
            ("os", rec.os),
            ("os_version", rec.os_version),
        ] {
            v.insert(name.into(), json!(texts.string(id)?));
        }
        let mut events = Vec::new();
        for e in &rec.events {
            let mut o = Map::new();
            o.insert(
                "at".into(),
                json!(fmt_time(key.start_ms + u64::from(e.offset_ms))),
            );
            let name = if e.pageview {
                "pageview".to_owned()
            } else {
                texts.string(e.name)?
            };
            o.insert("name".into(), json!(name));
            o.insert("page".into(), json!(texts.string(e.path)?));
            if !e.props.is_empty() {
                let mut p = Map::new();
                for (k, val) in &e.props {
                    p.insert(texts.string(*k)?, json!(texts.string(*val)?));
                }
                o.insert("props".into(), Value::Object(p));
            }
            if let Some(r) = e.revenue {
                o.insert(
                    "revenue".into(),
                    json!({"amount_micros": r.amount_micros, "currency": String::from_utf8_lossy(&r.currency)}),
                );
            }
            if let Some(g) = e.engagement {
                o.insert("engaged_ms".into(), json!(g.engaged_ms));
                o.insert("scroll_depth".into(), json!(g.scroll));
            }
            events.push(Value::Object(o));
        }
        v.insert("events".into(), Value::Array(events));
        visits.push(Value::Object(v));
    }
    Ok(json!({
        "site": site.domain.as_str(),
        "generated_at": fmt_time(now_ms),
        "identified_by": who.kind(),
        "about": "Everything this Touchpoint instance holds about you on this site. \
                  Emails and phone numbers sent from your browser are kept only as keyed \
                  hashes (the lead identifiers below); an address or name the site itself \
                  gave (its server, its payment provider or its staff) is stored encrypted \
                  and shown here in full. IP addresses are never stored.",
        "visits": visits,
        "consent_records": d.consents,
        "consents_in_force": d.consented.iter()
            .map(|(s, p)| json!({"subject": s, "policy_version": p})).collect::<Vec<_>>(),
        "leads": d.leads.iter().map(|l| json!({
            "lead_id": l.id,
            "linked_subjects": l.subjects,
            "first_seen": fmt_time(l.first_ms),
            "last_seen": fmt_time(l.last_ms),
        })).collect::<Vec<_>>(),
        "conversions": d.conversions.iter().map(|c| json!({
            "kind": c.kind,
            "at": fmt_time(c.at_ms),
            "value_micros": c.value_micros,
            "currency": c.currency,
            "order_id": c.order_id,
            "source": c.source,
        })).collect::<Vec<_>>(),
        "lead_identifiers": d.identities.iter().map(|(s, id)| json!({
            "subject": s,
            "email_index": id.email,
            "phone_index": id.phone,
            "first_seen": fmt_time(id.first_ms),
            "last_seen": fmt_time(id.last_ms),
        })).collect::<Vec<_>>(),
    }))
}

/// Corrects the lead identifiers of everyone `who` resolves to: a new email
/// and/or phone (plain or digest) replaces what is kept. Returns the lead
/// identities changed.
///
/// # Errors
/// Storage errors.
pub fn rectify(
    store: &Store,
    keys: &Keys,
    site: &Site,
    who: &PersonKeys,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<u64, StoreError> {
    let email = email.map(|e| lead_email_index(keys, &email_digest(e)));
    let phone = phone.map(|p| lead_phone_index(keys, &phone_digest(p)));
    let mut n = 0;
    for s in &who.subjects {
        n += u64::from(store.rectify_lead(site.id, s, email.clone(), phone.clone())?);
    }
    let new_id = email
        .as_deref()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok());
    for l in &who.leads {
        store.rectify_lead_record(site.id, l, new_id.as_ref(), phone.clone())?;
    }
    Ok(n)
}
