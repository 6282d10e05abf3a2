//! Parsing Segment's Tracking API messages (pure). Follows Segment's HTTP
//! Tracking API spec: <https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/>
//! and its Common Fields and Timestamps pages.
//!
//! - A message is at most [`MAX_MESSAGE_BYTES`] (32 KB), a batch at most
//!   [`MAX_BATCH_BYTES`] (500 KB).
//! - `userId` or `anonymousId` is required (a string, or a number taken as
//!   its text); `track` needs `event`, `alias` needs `previousId`.
//! - The time is `timestamp`; else `originalTimestamp` corrected for the
//!   sender's clock skew as Segment does: `receivedAt − (sentAt −
//!   originalTimestamp)`; else the time it was received.

use serde_json::{Map, Value, value::RawValue};

/// Largest message, bytes.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;
/// Largest batch body, bytes.
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// Most messages one batch may hold.
pub const MAX_BATCH_MESSAGES: usize = 2500;

/// The call a message makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A page view.
    Page,
    /// A mobile app's screen view (counted as a pageview).
    Screen,
    /// A custom event.
    Track,
    /// Who the user is (traits).
    Identify,
    /// The user's company or account (accepted, not used).
    Group,
    /// Links a previous id to a user id.
    Alias,
}

impl Kind {
    /// The kind of a `type` value or a path's last segment (long or short).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "page" | "p" => Self::Page,
            "screen" | "s" => Self::Screen,
            "track" | "t" => Self::Track,
            "identify" | "i" => Self::Identify,
            "group" | "g" => Self::Group,
            "alias" | "a" => Self::Alias,
            _ => return None,
        })
    }
}

/// The page a message was sent from (`context.page`, with `properties`
/// taking precedence for a `page` call, as Segment's own libraries fill it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// Full URL.
    pub url: Option<String>,
    /// Path.
    pub path: Option<String>,
    /// Query string, with its `?`.
    pub search: Option<String>,
    /// Referrer URL.
    pub referrer: Option<String>,
}

/// `context.campaign`: Segment's names for the `utm_*` parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Campaign {
    /// `utm_source`.
    pub source: Option<String>,
    /// `utm_medium`.
    pub medium: Option<String>,
    /// `utm_campaign` (Segment's `name`).
    pub name: Option<String>,
    /// `utm_term`.
    pub term: Option<String>,
    /// `utm_content`.
    pub content: Option<String>,
}

/// One valid message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Its call.
    pub kind: Kind,
    /// The sender's id of the message.
    pub message_id: Option<String>,
    /// The user's id in the sender's system.
    pub user_id: Option<String>,
    /// The anonymous (device or cookie) id.
    pub anonymous_id: Option<String>,
    /// `alias`: the id being linked to `user_id`.
    pub previous_id: Option<String>,
    /// `track`: the event's name; `page`/`screen`: the page's name.
    pub name: Option<String>,
    /// `properties` (track, page, screen).
    pub properties: Map<String, Value>,
    /// `traits` (identify, group), else `context.traits`.
    pub traits: Map<String, Value>,
    /// `context.ip`.
    pub ip: Option<String>,
    /// `context.userAgent`.
    pub user_agent: Option<String>,
    /// The page.
    pub page: Page,
    /// The campaign.
    pub campaign: Campaign,
    /// When it happened, unix ms.
    pub ts_ms: u64,
}

/// Why a request is refused (the text is the answer's `error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Not JSON, or not the expected shape.
    #[error("{0}")]
    Invalid(String),
    /// Over a size limit.
    #[error("{0}")]
    TooLarge(String),
}

fn invalid(m: impl Into<String>) -> MessageError {
    MessageError::Invalid(m.into())
}

/// A request body: its messages and the write key it carries, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// The messages, in the order sent.
    pub messages: Vec<Message>,
    /// `writeKey` from the body.
    pub write_key: Option<String>,
}

/// Parses a batch (`kind` `None`: `{"batch": [...]}`) or a single message of
/// `kind` (its path), received at `received_ms`.
///
/// # Errors
/// The first problem found, naming the message (`batch[3]`) it is in.
pub fn parse(body: &[u8], kind: Option<Kind>, received_ms: u64) -> Result<Body, MessageError> {
    if body.len() > MAX_BATCH_BYTES {
        return Err(MessageError::TooLarge(format!(
            "the body is larger than {} KB",
            MAX_BATCH_BYTES / 1024
        )));
    }
    if kind.is_some() && body.len() > MAX_MESSAGE_BYTES {
        return Err(message_too_large("the message"));
    }
    let top: Map<String, Value> = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("the body is not a JSON object: {e}")))?;
    let write_key = top
        .get("writeKey")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let sent_at = top.get("sentAt").and_then(Value::as_str).map(str::to_owned);
    let messages = match kind {
        Some(kind) => vec![message(&top, Some(kind), sent_at.as_deref(), received_ms)?],
        None => {
            #[derive(serde::Deserialize)]
            struct Batch<'a> {
                #[serde(borrow)]
                batch: Vec<&'a RawValue>,
            }
            let b: Batch = serde_json::from_slice(body)
                .map_err(|e| invalid(format!("batch must be an array of messages: {e}")))?;
            if b.batch.len() > MAX_BATCH_MESSAGES {
                return Err(MessageError::TooLarge(format!(
                    "a batch holds at most {MAX_BATCH_MESSAGES} messages"
                )));
            }
            let mut out = Vec::with_capacity(b.batch.len());
            for (i, raw) in b.batch.iter().enumerate() {
                let at = || format!("batch[{i}]");
                if raw.get().len() > MAX_MESSAGE_BYTES {
                    return Err(message_too_large(&at()));
                }
                let obj: Map<String, Value> = serde_json::from_str(raw.get())
                    .map_err(|_| invalid(format!("{}: a message must be an object", at())))?;
                let m =
                    message(&obj, None, sent_at.as_deref(), received_ms).map_err(|e| match e {
                        MessageError::Invalid(m) => invalid(format!("{}: {m}", at())),
                        e @ MessageError::TooLarge(_) => e,
                    })?;
                out.push(m);
            }
            out
        }
    };
    Ok(Body {
        messages,
        write_key,
    })
}

fn message_too_large(what: &str) -> MessageError {
    MessageError::TooLarge(format!(
        "{what} is larger than {} KB",
        MAX_MESSAGE_BYTES / 1024
    ))
}

/// An id field: a non-empty string (trimmed) or a number's text.
fn id(o: &Map<String, Value>, k: &str) -> Result<Option<String>, MessageError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.len() > 1024 => {
            Err(invalid(format!("{k} is longer than 1024 characters")))
        }
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(invalid(format!("{k} must be a string"))),
    }
}

fn text(o: &Map<String, Value>, k: &str) -> Option<String> {
    o.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn object<'a>(
    o: &'a Map<String, Value>,
    k: &str,
) -> Result<Option<&'a Map<String, Value>>, MessageError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(invalid(format!("{k} must be an object"))),
    }
}

/// An ISO 8601 / RFC 3339 time as unix ms.
fn time(o: &Map<String, Value>, k: &str) -> Result<Option<i64>, MessageError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s.trim())
            .map(|d| Some(d.timestamp_millis()))
            .map_err(|_| invalid(format!("{k} must be an ISO 8601 time with its offset"))),
        Some(_) => Err(invalid(format!("{k} must be an ISO 8601 time"))),
    }
}

fn message(
    o: &Map<String, Value>,
    path_kind: Option<Kind>,
    batch_sent_at: Option<&str>,
    received_ms: u64,
) -> Result<Message, MessageError> {
    let kind = match path_kind {
        Some(k) => k,
        None => {
            let t = o
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("type is required"))?;
            Kind::parse(t).filter(|_| t.len() > 1).ok_or_else(|| {
                invalid(format!(
                    "type {t:?} is not one of page, screen, track, identify, group, alias"
                ))
            })?
        }
    };
    let user_id = id(o, "userId")?;
    let anonymous_id = id(o, "anonymousId")?;
    if user_id.is_none() && anonymous_id.is_none() {
        return Err(invalid("userId or anonymousId is required"));
    }
    let previous_id = id(o, "previousId")?;
    if kind == Kind::Alias && (previous_id.is_none() || user_id.is_none()) {
        return Err(invalid("alias needs previousId and userId"));
    }
    let name = match kind {
        Kind::Track => Some(text(o, "event").ok_or_else(|| invalid("track needs event"))?),
        Kind::Page | Kind::Screen => text(o, "name"),
        _ => None,
    };
    let properties = object(o, "properties")?.cloned().unwrap_or_default();
    let context = object(o, "context")?.cloned().unwrap_or_default();
    let traits = match object(o, "traits")? {
        Some(t) => t.clone(),
        None => object(&context, "traits")?.cloned().unwrap_or_default(),
    };
    let ctx_page = object(&context, "page")?.cloned().unwrap_or_default();
    let from = |k: &str| {
        if matches!(kind, Kind::Page | Kind::Screen) {
            text(&properties, k).or_else(|| text(&ctx_page, k))
        } else {
            text(&ctx_page, k)
        }
    };
    let page = Page {
        url: from("url"),
        path: from("path"),
        search: from("search"),
        referrer: from("referrer"),
    };
    let c = object(&context, "campaign")?.cloned().unwrap_or_default();
    let campaign = Campaign {
        source: text(&c, "source"),
        medium: text(&c, "medium"),
        name: text(&c, "name"),
        term: text(&c, "term"),
        content: text(&c, "content"),
    };
    // Segment's rule: `timestamp` as given; else the device's
    // `originalTimestamp` shifted by the device's clock skew, measured by
    // `sentAt` against the time received; else the time received.
    let received = i64::try_from(received_ms).unwrap_or(i64::MAX);
    let sent_at = match time(o, "sentAt")? {
        Some(t) => Some(t),
        None => batch_sent_at
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s.trim()).ok())
            .map(|d| d.timestamp_millis()),
    };
    let ts = match (time(o, "timestamp")?, time(o, "originalTimestamp")?) {
        (Some(t), _) => t,
        (None, Some(orig)) => match sent_at {
            Some(sent) => received - (sent - orig),
            None => orig,
        },
        (None, None) => received,
    };
    let ts_ms = u64::try_from(ts).map_err(|_| invalid("timestamp is before 1970"))?;
    Ok(Message {
        kind,
        message_id: id(o, "messageId")?,
        user_id,
        anonymous_id,
        previous_id,
        name,
        properties,
        traits,
        ip: text(&context, "ip"),
        user_agent: text(&context, "userAgent"),
        page,
        campaign,
        ts_ms,
    })
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
