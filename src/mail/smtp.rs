//! The SMTP connection of `[mail]`, with lettre's client.

use std::time::Duration;

use lettre::{
    Message, SmtpTransport, Transport,
    message::Mailbox,
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
};

use super::MailError;
use crate::config::{MailSettings, TlsMode};

/// Longest wait for the SMTP server at each step.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Sends mail through the configured SMTP server.
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    server: String,
}

impl Mailer {
    /// A mailer for `[mail]`. Nothing is connected until a mail is sent.
    ///
    /// # Errors
    /// [`MailError::NotConfigured`] without a host and sender;
    /// [`MailError::Smtp`] when TLS can't be set up for the host.
    pub fn new(m: &MailSettings) -> Result<Self, MailError> {
        if !m.enabled() {
            return Err(MailError::NotConfigured);
        }
        let host = m.smtp_host.trim();
        let server = format!("{host}:{}", m.smtp_port);
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|source| MailError::Smtp {
                server: server.clone(),
                source,
            })
        };
        let tls = match m.tls {
            TlsMode::None => Tls::None,
            TlsMode::Starttls => Tls::Required(tls(host)?),
            TlsMode::Tls => Tls::Wrapper(tls(host)?),
        };
        let mut builder = SmtpTransport::builder_dangerous(host)
            .port(m.smtp_port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        if !m.user.is_empty() {
            builder = builder.credentials(Credentials::new(m.user.clone(), m.password.clone()));
        }
        let from = m
            .from
            .trim()
            .parse()
            .map_err(|source| MailError::Address { source })?;
        Ok(Self {
            transport: builder.build(),
            from,
            server,
        })
    }

    /// The sender of every mail.
    #[must_use]
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Sends one message; returns once the server accepted it.
    ///
    /// # Errors
    /// [`MailError::Smtp`]: the server can't be reached or refused the message.
    pub fn send(&self, message: &Message) -> Result<(), MailError> {
        self.transport
            .send(message)
            .map(drop)
            .map_err(|source| MailError::Smtp {
                server: self.server.clone(),
                source,
            })
    }
}
