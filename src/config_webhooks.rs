//! `[webhooks]`: delivery of signed webhooks (see `crate::webhooks`).

use serde::{Deserialize, Serialize};

/// `[webhooks]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Allow destinations on loopback, private, link-local and other
    /// non-public addresses (refused by default: a webhook must not reach
    /// into the network Touchpoint runs in).
    pub allow_private_destinations: bool,
    /// Longest wait for an endpoint's answer, in seconds.
    pub timeout_seconds: u64,
    /// An endpoint whose every attempt has failed for this long is
    /// disabled, in hours.
    pub disable_after_hours: u64,
    /// Delivered and failed messages are kept this long in the delivery
    /// log, in days.
    pub retention_days: u64,
}
