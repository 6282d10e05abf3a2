//! The account page and two-factor enrolment (an authenticator app, or a
//! passkey for whom enrolment is required).

use maud::{Markup, PreEscaped, html};

use super::{
    fmt_time,
    layout::{Chrome, UserBar, csrf_field, page},
    passkeys,
    words::count,
};
use crate::auth::PasskeyEntry;

/// One login session in the list.
pub struct SessionRow {
    /// Public id (for revocation).
    pub id: String,
    /// "Firefox on Linux".
    pub agent: String,
    /// Unix ms.
    pub created_ms: u64,
    /// Unix ms.
    pub last_seen_ms: u64,
    /// The session making this request.
    pub current: bool,
}

/// The account page's model.
pub struct AccountPage<'a> {
    /// Email.
    pub email: &'a str,
    /// CSRF token.
    pub csrf: &'a str,
    /// TOTP on?
    pub totp: bool,
    /// Recovery codes left.
    pub recovery_left: usize,
    /// Passkeys, oldest first.
    pub passkeys: Vec<PasskeyEntry>,
    /// Sessions.
    pub sessions: Vec<SessionRow>,
    /// A notice to show (after an action).
    pub notice: Option<&'a str>,
    /// An error to show.
    pub error: Option<&'a str>,
}

/// `/account`
#[must_use]
pub fn account(m: &AccountPage<'_>) -> Markup {
    page(
        &Chrome {
            title: "Account",
            user: Some(UserBar {
                email: m.email,
                csrf: m.csrf,
            }),
        },
        &html! {
            h1 { "Account" }
            @if let Some(n) = m.notice { p.notice { (n) } }
            @if let Some(e) = m.error { p.error role="alert" { (e) } }
            section.card {
                h2 { "Two-factor authentication" }
                @if m.totp || !m.passkeys.is_empty() {
                    p { "On: your password is followed by "
                        @match (m.totp, m.passkeys.is_empty()) {
                            (true, false) => "a code from your authenticator app or a passkey.",
                            (true, true) => "a code from your authenticator app.",
                            _ => "a passkey.",
                        }
                    }
                }
                @if m.totp {
                    p { "Authenticator app: on. " (count(m.recovery_left, "recovery code", "recovery codes")) " left." }
                    form.inline method="post" action="/account/totp/disable" data-confirm="Turn off two-factor authentication?" {
                        (csrf_field(m.csrf))
                        label { "Password " input type="password" name="password" required autocomplete="current-password"; }
                        button.danger type="submit" { "Turn off" }
                    }
                } @else {
                    p { "Authenticator app: off. " a href="/account/totp" { "Set up an authenticator app" } }
                }
            }
            (passkeys::section(m.csrf, &m.passkeys))
            section.card {
                h2 { "Password" }
                form.stack method="post" action="/account/password" {
                    (csrf_field(m.csrf))
                    label { "Current password" input type="password" name="current" required autocomplete="current-password"; }
                    label { "New password (at least 10 characters)" input type="password" name="new" required minlength="10" autocomplete="new-password"; }
                    button type="submit" { "Change password" }
                }
            }
            section.card {
                h2 { "Sessions" }
                table.data {
                    thead { tr { th { "Device" } th { "Logged in" } th { "Last active" } th {} } }
                    tbody {
                        @for s in &m.sessions {
                            tr {
                                td { (s.agent) @if s.current { " " span.badge { "this session" } } }
                                td { (fmt_time(s.created_ms)) }
                                td { (fmt_time(s.last_seen_ms)) }
                                td {
                                    @if !s.current {
                                        form.inline method="post" action={ "/account/sessions/" (s.id) "/revoke" } {
                                            (csrf_field(m.csrf))
                                            button.secondary type="submit" { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form.inline method="post" action="/account/logout-everywhere" data-confirm="Log out of every session, including this one?" {
                    (csrf_field(m.csrf))
                    button.danger type="submit" { "Log out everywhere" }
                }
            }
        },
    )
}

/// The enrolment page: QR code, secret, confirmation code.
pub struct EnrolPage<'a> {
    /// Email.
    pub email: &'a str,
    /// CSRF token.
    pub csrf: &'a str,
    /// Base32 secret.
    pub secret: &'a str,
    /// SVG of the otpauth URL (made by the QR encoder, not from user input).
    pub qr_svg: &'a str,
    /// Whether enrolment is required before anything else.
    pub required: bool,
    /// Error after a wrong code.
    pub error: Option<&'a str>,
}

/// `/account/totp`
#[must_use]
pub fn enrol(m: &EnrolPage<'_>) -> Markup {
    page(
        &Chrome {
            title: "Set up two-factor authentication",
            user: Some(UserBar {
                email: m.email,
                csrf: m.csrf,
            }),
        },
        &html! {
            h1 { "Set up two-factor authentication" }
            @if m.required { p.notice { "Your role requires two-factor authentication. Set up an authenticator app or add a passkey to continue." } }
            @if let Some(e) = m.error { p.error role="alert" { (e) } }
            p { "Scan this code with an authenticator app, or type the key by hand." }
            div.qr { (PreEscaped(m.qr_svg)) }
            p { "Key: " code id="totp-secret" { (m.secret) } " " button.copy type="button" data-copy-target="totp-secret" { "Copy" } }
            p.muted { "This key stays the same until two-factor is on: reloading this page doesn't change it." }
            form.stack method="post" action="/account/totp" {
                (csrf_field(m.csrf))
                input type="hidden" name="secret" value=(m.secret);
                label { "6-digit code from the app" input type="text" name="code" required autocomplete="one-time-code" inputmode="numeric" pattern="[0-9 ]{6,7}" maxlength="7"; }
                button type="submit" { "Turn on" }
            }
            form.inline method="post" action="/account/totp/new" data-confirm="Make a new key? A code from the key shown now will no longer work." {
                (csrf_field(m.csrf))
                button.secondary type="submit" { "Use a new key instead" }
            }
            @if m.required {
                section.card {
                    h2 { "Or add a passkey" }
                    p.muted { "A passkey uses this device's screen lock or a security key instead of codes." }
                    (passkeys::add_form(m.csrf))
                }
            }
        },
    )
}

/// Shown once after enrolment; Continue goes to `next` (the owner's one
/// site, else the sites list).
#[must_use]
pub fn recovery_codes(email: &str, csrf: &str, codes: &[String], next: &str) -> Markup {
    page(
        &Chrome {
            title: "Recovery codes",
            user: Some(UserBar { email, csrf }),
        },
        &html! {
            h1 { "Two-factor authentication is on" }
            p { "Save these recovery codes somewhere safe. Each works once if you lose your authenticator app or your passkeys. They are shown only now." }
            pre.secret id="recovery-codes" { @for c in codes { (c) "\n" } }
            div.actions id="recovery-actions" {
                button.copy type="button" data-copy-target="recovery-codes" { "Copy" }
                a.continue href=(next) { "Continue" }
            }
        },
    )
}
