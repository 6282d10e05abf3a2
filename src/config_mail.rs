//! `[mail]`: the SMTP server that email reports and traffic alerts go
//! through. With no `smtp_host` (or no `from`) mail is off: reports and
//! alerts are not sent, and the places that would send one say so.

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The environment variable holding the SMTP password (never a config key,
/// so it is never in a file or printed by `check-config`).
pub const SMTP_PASSWORD_ENV: &str = "TOUCHPOINT_SMTP_PASSWORD";

/// `[mail]` (its `Debug` leaves the password out)
#[derive(Clone, Serialize, Deserialize, PartialEq)]
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

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("from", &self.from)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field(
                "password",
                &if self.password.is_empty() {
                    ""
                } else {
                    "(set)"
                },
            )
            .finish()
    }
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

/// Checks `[mail]` once loaded: a sender must parse as an address, a port
/// must not be 0. (A host without a sender, or the reverse, is mail off:
/// [`MailSettings::enabled`].)
pub(super) fn check(m: &MailSettings) -> Result<(), ConfigError> {
    let from = m.from.trim();
    if !from.is_empty() && from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(ConfigError::Invalid(format!(
            "mail.from: {from:?} is not an address like reports@example.com or \"Touchpoint <reports@example.com>\""
        )));
    }
    if m.smtp_port == 0 {
        return Err(ConfigError::Invalid("mail.smtp_port must not be 0".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::load(
            None,
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    #[test]
    fn mail_is_off_by_default_and_on_with_a_host_and_a_sender() {
        let s = load(&[]).unwrap();
        assert!(!s.mail.enabled());
        assert_eq!((s.mail.smtp_port, s.mail.tls), (587, TlsMode::Starttls));
        let s = load(&[
            ("TOUCHPOINT__MAIL__SMTP_HOST", "smtp.example.com"),
            ("TOUCHPOINT__MAIL__FROM", "Touchpoint <reports@example.com>"),
            ("TOUCHPOINT__MAIL__TLS", "tls"),
            (SMTP_PASSWORD_ENV, "hunter2"),
        ])
        .unwrap();
        assert!(s.mail.enabled());
        assert_eq!(
            (s.mail.tls, s.mail.password.as_str()),
            (TlsMode::Tls, "hunter2")
        );
        // The password is never printed with the settings.
        assert!(!toml::to_string(&s).unwrap().contains("hunter2"));
    }

    #[test]
    fn a_bad_sender_or_tls_mode_stops_loading_with_the_key_named() {
        let e = load(&[("TOUCHPOINT__MAIL__FROM", "not an address")]).unwrap_err();
        assert!(e.to_string().contains("mail.from"), "{e}");
        let e = load(&[("TOUCHPOINT__MAIL__TLS", "ssl")]).unwrap_err();
        assert!(e.to_string().contains("mail.tls"), "{e}");
    }
}
