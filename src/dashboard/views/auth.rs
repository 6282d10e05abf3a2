//! Forms before login: setup, login, the second step (a TOTP code, a
//! recovery code or a passkey), accepting an invitation.

use maud::{Markup, html};

use super::{
    layout::{Chrome, csrf_field, page},
    passkeys::sign_in_form,
    timezone::{ZoneField, zone_field},
};

/// Values echoed back into a form after an error.
#[derive(Default)]
pub struct SetupForm<'a> {
    /// Setup token.
    pub token: &'a str,
    /// Email typed.
    pub email: &'a str,
    /// Workspace name typed.
    pub workspace: &'a str,
    /// Site domain typed.
    pub domain: &'a str,
    /// Time zone typed; empty for a fresh form (UTC, or the browser's zone).
    pub timezone: &'a str,
}

fn error_box(error: Option<&str>) -> Markup {
    html! { @if let Some(e) = error { p.error role="alert" { (e) } } }
}

/// The first-run page: owner account, workspace and first site.
#[must_use]
pub fn setup(csrf: &str, f: &SetupForm<'_>, error: Option<&str>) -> Markup {
    page(
        &Chrome {
            title: "Set up Touchpoint",
            user: None,
        },
        &html! {
            h1 { "Set up Touchpoint" }
            p.muted { "Create the owner account, a workspace and the first site to track." }
            (error_box(error))
            form.stack method="post" action="/setup" {
                (csrf_field(csrf))
                input type="hidden" name="token" value=(f.token);
                label { "Your email" input type="email" name="email" value=(f.email) required autocomplete="username"; }
                label { "Password (at least 10 characters)" input type="password" name="password" required minlength="10" autocomplete="new-password"; }
                label { "Workspace name" input type="text" name="workspace" value=(f.workspace) required placeholder="Acme Inc"; }
                label { "Site domain" input type="text" name="domain" value=(f.domain) required placeholder="example.com"; }
                (zone_field(&ZoneField {
                    label: "Site time zone (its reports' days start at midnight there)",
                    name: "timezone",
                    id: "setup-timezone",
                    value: if f.timezone.is_empty() { "UTC" } else { f.timezone },
                    fresh: f.timezone.is_empty(),
                }))
                button type="submit" { "Create account" }
            }
        },
    )
}

/// The login form, then the passwordless way in.
#[must_use]
pub fn login(csrf: &str, email: &str, next: &str, error: Option<&str>) -> Markup {
    page(
        &Chrome {
            title: "Log in",
            user: None,
        },
        &html! {
            h1 { "Log in" }
            (error_box(error))
            form.stack method="post" action="/login" {
                (csrf_field(csrf))
                input type="hidden" name="next" value=(next);
                label { "Email" input type="email" name="email" value=(email) required autocomplete="username"; }
                label { "Password" input type="password" name="password" required autocomplete="current-password"; }
                button type="submit" { "Log in" }
            }
            h2 { "Or without the password" }
            (sign_in_form(csrf, next, "/login/passkey", "/login/passkey/begin", "Sign in with a passkey"))
        },
    )
}

/// The second login step's page.
pub struct SecondStep<'a> {
    /// CSRF token (the half-finished login's).
    pub csrf: &'a str,
    /// Where to go after.
    pub next: &'a str,
    /// Whether a code is asked for (TOTP on, or recovery codes left).
    pub code: bool,
    /// Whether TOTP is on (else the code can only be a recovery code).
    pub totp: bool,
    /// Whether the account has passkeys.
    pub passkey: bool,
    /// An error after a failed try.
    pub error: Option<&'a str>,
}

/// The second login step: the code form first, then the passkey button.
#[must_use]
pub fn second_step(m: &SecondStep<'_>) -> Markup {
    page(
        &Chrome {
            title: "Two-factor authentication",
            user: None,
        },
        &html! {
            h1 { "Two-factor authentication" }
            @match (m.code, m.passkey) {
                (true, true) if m.totp => p { "Use one of your passkeys, or enter the 6-digit code from your authenticator app or one of your recovery codes." },
                (true, true) => p { "Use one of your passkeys, or, if you lost them, enter one of your recovery codes." },
                (false, true) => p { "Use one of your passkeys." },
                _ => p { "Enter the 6-digit code from your authenticator app, or one of your recovery codes." },
            }
            (error_box(m.error))
            @if m.code || !m.passkey {
                form.stack method="post" action="/login/totp" {
                    (csrf_field(m.csrf))
                    input type="hidden" name="next" value=(m.next);
                    label { "Code" input type="text" name="code" required autocomplete="one-time-code" inputmode="numeric"; }
                    button type="submit" { "Verify" }
                }
            }
            @if m.passkey {
                (sign_in_form(m.csrf, m.next, "/login/totp/passkey", "/login/totp/passkey/begin", "Use a passkey"))
            }
        },
    )
}

/// Accepting an invitation: choose a password.
#[must_use]
pub fn invite(
    csrf: &str,
    token: &str,
    email: &str,
    workspace: &str,
    role: &str,
    error: Option<&str>,
) -> Markup {
    page(
        &Chrome {
            title: "Join a workspace",
            user: None,
        },
        &html! {
            h1 { "Join " (workspace) }
            p { "You were invited as " span.badge { (role) } " with the email " strong { (email) } "." }
            (error_box(error))
            form.stack method="post" action={ "/invite/" (token) } {
                (csrf_field(csrf))
                label { "Choose a password (at least 10 characters)" input type="password" name="password" required minlength="10" autocomplete="new-password"; }
                button type="submit" { "Create my account" }
            }
        },
    )
}

/// Shown at `/` while the instance has no users.
#[must_use]
pub fn awaiting_setup() -> Markup {
    page(
        &Chrome {
            title: "Setup needed",
            user: None,
        },
        &html! {
            h1 { "Welcome to Touchpoint" }
            p { "No account exists yet. Open the one-time setup link printed in the server log "
                "(it looks like " code { "/setup?token=…" } "), or create an owner from the command line:" }
            pre.snippet { "touchpoint user add you@example.com --role owner --workspace \"My company\"" }
        },
    )
}
