//! Passkey forms. Each is a plain form that `passkeys.js` drives: on submit
//! it posts the form to `data-passkey-begin` for the browser's options, asks
//! the browser (`navigator.credentials.create` or `.get`, as
//! `data-passkey` says), puts the answer in the hidden `ceremony` and
//! `credential` fields and submits the form for real. The script is linked
//! from the pages that have such a form (the CSP allows no inline script).

use maud::{Markup, html};

use super::{fmt_time, layout::csrf_field};
use crate::{
    auth::{MAX_NAME_CHARS, PasskeyEntry},
    dashboard::assets,
};

/// The script tag of `passkeys.js`.
#[must_use]
pub fn script() -> Markup {
    html! { script src=(assets::url("passkeys.js")) defer {} }
}

/// The fields every passkey form carries: the CSRF token and, filled in by
/// the script, the ceremony's id and the browser's answer.
fn answer_fields(csrf: &str) -> Markup {
    html! {
        (csrf_field(csrf))
        input type="hidden" name="ceremony" value="";
        input type="hidden" name="credential" value="";
    }
}

/// Where the script says what went wrong (a cancelled prompt, no passkey).
fn problem() -> Markup {
    html! { p.error.passkey-problem role="alert" hidden {} }
}

/// "Sign in with a passkey" (the login page) or "Use a passkey" (the second
/// step): `action` finishes, `begin` starts.
#[must_use]
pub fn sign_in_form(csrf: &str, next: &str, action: &str, begin: &str, label: &str) -> Markup {
    html! {
        form.stack.passkey method="post" action=(action) data-passkey="get" data-passkey-begin=(begin) {
            (answer_fields(csrf))
            input type="hidden" name="next" value=(next);
            button.secondary type="submit" { (label) }
            (problem())
        }
        (script())
    }
}

/// Naming and adding a passkey.
#[must_use]
pub fn add_form(csrf: &str) -> Markup {
    html! {
        form.stack.passkey method="post" action="/account/passkeys" data-passkey="create" data-passkey-begin="/account/passkeys/begin" {
            (answer_fields(csrf))
            label { "Name of the new passkey"
                input type="text" name="name" required maxlength=(MAX_NAME_CHARS) placeholder="Work laptop" autocomplete="off";
            }
            button type="submit" { "Add a passkey" }
            (problem())
        }
        (script())
    }
}

/// The account page's passkeys: each with its dates and a way to remove it
/// (with the password), then the form to add one.
#[must_use]
pub fn section(csrf: &str, passkeys: &[PasskeyEntry]) -> Markup {
    html! {
        section.card id="passkeys" {
            h2 { "Passkeys" }
            p.muted { "A passkey signs you in with this device's screen lock or a security key: "
                "as the second step after your password, or instead of it. It counts as two-factor authentication." }
            @if passkeys.is_empty() {
                p { "None yet." }
            } @else {
                table.data {
                    thead { tr { th { "Name" } th { "Added" } th { "Last used" } th {} } }
                    tbody {
                        @for p in passkeys {
                            tr.passkey-row {
                                td.passkey-name { (p.name) }
                                td { (fmt_time(p.created_ms)) }
                                td { @match p.last_used_ms { Some(ms) => (fmt_time(ms)), None => "never" } }
                                td {
                                    form.inline method="post" action={ "/account/passkeys/" (p.id) "/remove" } data-confirm={ "Remove the passkey " (p.name) "?" } {
                                        (csrf_field(csrf))
                                        label { "Password " input type="password" name="password" required autocomplete="current-password"; }
                                        button.danger type="submit" { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (add_form(csrf))
        }
    }
}
