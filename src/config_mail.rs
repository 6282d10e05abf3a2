//! `[mail]`: the SMTP server that email reports and traffic alerts go
//! through. With no `smtp_host` (or no `from`) mail is off: reports and
//! alerts are not sent, and the places that would send one say so.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The environment variable holding the SMTP password (never a config key,
/// so it is never in a file or printed by `check-config`).
pub const SMTP_PASSWORD_ENV: &str = "TOUCHPOINT_SMTP_PASSWORD";

/// `[mail]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// SMTP server host name; empty = mail is off.
    pub smtp_host: String,
    /// SMTP port (587 for `starttls`, 465 for `tls`, often 25 for `none`).
    pub smtp_port: u16,
    /// Sender: `reports@example.com` or `Touchpoint <reports@example.com>`.
    pub from: String,
    /// How the connection is protected.
    pub tls: TlsMode,
    /// SMTP user; empty = no authentication.
    pub user: String,
    /// SMTP password, from [`SMTP_PASSWORD_ENV`] only.
    #[serde(skip)]
    pub password: String,
}

/// `mail.tls`
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain SMTP (only for a relay on the same machine or network).
    None,
    /// Plain connection upgraded with STARTTLS, which is required.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

impl MailSettings {
    /// Whether mail can be sent: a host and a sender are set.
    #[must_use]
    pub fn enabled(&self) -> bool {
        !self.smtp_host.trim().is_empty() && !self.from.trim().is_empty()
    }
}

/// Checks `[mail]` once loaded: a host without a sender (or the reverse) is a
/// mistake worth stopping for; a sender must parse as an address.
pub(super) fn check(m: &MailSettings) -> Result<(), ConfigError> {
    let (host, from) = (m.smtp_host.trim(), m.from.trim());
    if host.is_empty() != from.is_empty() {
        return Err(ConfigError::Invalid(
            "mail: set both mail.smtp_host and mail.from (or neither, to send no mail)".into(),
        ));
    }
    if !from.is_empty() && from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(ConfigError::Invalid(format!(
            "mail.from: {from:?} is not an address like reports@example.com or \"Touchpoint <reports@example.com>\""
        )));
    }
    if !host.is_empty() && m.smtp_port == 0 {
        return Err(ConfigError::Invalid("mail.smtp_port must not be 0".into()));
    }
    Ok(())
}
