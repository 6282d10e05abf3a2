//! The events a site's webhook endpoints subscribe to (names as CRMs see
//! them in each payload's `type`).

use serde::{Deserialize, Serialize};

/// One kind of webhook event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WebhookEvent {
    /// A person became a lead (first identified by email or phone).
    #[serde(rename = "lead.created")]
    LeadCreated,
    /// A known lead gained an email or phone it didn't have.
    #[serde(rename = "lead.identified")]
    LeadIdentified,
    /// A lead's score first reached the site's threshold.
    #[serde(rename = "lead.qualified")]
    LeadQualified,
    /// A purchase or custom conversion was recorded (new leads are
    /// `lead.created`).
    #[serde(rename = "conversion.created")]
    ConversionCreated,
    /// More of an order was refunded.
    #[serde(rename = "conversion.refunded")]
    ConversionRefunded,
    /// A person's data was erased (so the CRM can erase them too).
    #[serde(rename = "person.erased")]
    PersonErased,
}

impl WebhookEvent {
    /// Every event, in documentation order.
    pub const ALL: [Self; 6] = [
        Self::LeadCreated,
        Self::LeadIdentified,
        Self::LeadQualified,
        Self::ConversionCreated,
        Self::ConversionRefunded,
        Self::PersonErased,
    ];

    /// The event's name (`lead.created`...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LeadCreated => "lead.created",
            Self::LeadIdentified => "lead.identified",
            Self::LeadQualified => "lead.qualified",
            Self::ConversionCreated => "conversion.created",
            Self::ConversionRefunded => "conversion.refunded",
            Self::PersonErased => "person.erased",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s.trim())
    }

    /// Parses a comma-separated list (`lead.created,conversion.created`).
    ///
    /// # Errors
    /// The first unknown name, with the known ones.
    pub fn parse_list(s: &str) -> Result<Vec<Self>, String> {
        let mut out = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let e = Self::parse(name).ok_or_else(|| {
                let known: Vec<_> = Self::ALL.iter().map(|e| e.as_str()).collect();
                format!("unknown event {name:?} (known: {})", known.join(", "))
            })?;
            if !out.contains(&e) {
                out.push(e);
            }
        }
        if out.is_empty() {
            return Err("name at least one event".into());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_lists_refuse_unknown_names() {
        for e in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::parse(e.as_str()), Some(e));
            assert_eq!(
                serde_json::to_string(&e).unwrap(),
                format!("\"{}\"", e.as_str())
            );
        }
        assert_eq!(
            WebhookEvent::parse_list("lead.created, conversion.created,lead.created").unwrap(),
            vec![WebhookEvent::LeadCreated, WebhookEvent::ConversionCreated]
        );
        assert!(
            WebhookEvent::parse_list("lead.made")
                .unwrap_err()
                .contains("lead.made")
        );
        assert!(WebhookEvent::parse_list(" , ").is_err());
    }
}
