//! Messages as sent: a report is multipart/alternative (text, then HTML
//! related to its chart as an inline PNG); an alert is text and HTML. Every
//! message carries the unsubscribe link in its body and as
//! `List-Unsubscribe` with one-click unsubscribing (RFC 8058).

use lettre::{
    Message,
    message::{
        Attachment, Mailbox, MultiPart, SinglePart,
        header::{ContentType, HeaderName, HeaderValue},
    },
};

use super::{MailError, render::CHART_CID};

/// The parts of one mail.
pub struct Parts<'a> {
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// The chart, when the HTML shows it (`cid:chart`).
    pub png: Option<Vec<u8>>,
    /// The unsubscribe link.
    pub unsubscribe: &'a str,
}

/// Builds the message from `from` to `to`.
///
/// # Errors
/// [`MailError::Address`] for an address lettre refuses;
/// [`MailError::Build`] when the message can't be put together.
pub fn message(from: &Mailbox, to: &str, parts: Parts<'_>) -> Result<Message, MailError> {
    let to: Mailbox = to.parse().map_err(|source| MailError::Address { source })?;
    let html = SinglePart::html(parts.html);
    let body = match parts.png {
        Some(png) => MultiPart::alternative()
            .singlepart(SinglePart::plain(parts.text))
            .multipart(
                MultiPart::related().singlepart(html).singlepart(
                    Attachment::new_inline_with_name(CHART_CID.to_owned(), "chart.png".to_owned())
                        .body(
                            png,
                            ContentType::parse("image/png").map_err(|_| MailError::Build(None))?,
                        ),
                ),
            ),
        None => MultiPart::alternative()
            .singlepart(SinglePart::plain(parts.text))
            .singlepart(html),
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(parts.subject)
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{}>", parts.unsubscribe),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_owned(),
        ))
        .multipart(body)
        .map_err(|e| MailError::Build(Some(e)))
}
