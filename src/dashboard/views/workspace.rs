//! The sites list (home) and a workspace's page: sites, members, API keys, audit log.

use maud::{Markup, html};

use super::{
    fmt_time,
    layout::{Chrome, UserBar, csrf_field, page},
};
use crate::{
    domain::Role,
    store::{ApiKeyRecord, AuditEntry, Site, Workspace},
};

/// `/sites`: every workspace of the user with its sites.
#[must_use]
pub fn home(bar: UserBar<'_>, groups: &[(Workspace, Role, Vec<Site>)]) -> Markup {
    let csrf = bar.csrf;
    page(
        &Chrome {
            title: "Sites",
            user: Some(bar),
        },
        &html! {
            h1 { "Sites" }
            @if groups.is_empty() { p.empty { "You are not a member of any workspace yet." } }
            @for (ws, role, sites) in groups {
                section.card {
                    h2 { a href={ "/workspaces/" (ws.id) } { (ws.name) } " " span.badge { (role) } }
                    @if sites.is_empty() { p.empty { "No sites yet." } }
                    ul { @for s in sites { li { a href={ "/sites/" (s.domain) } { (s.domain) } } } }
                }
            }
            section.card {
                h2 { "New workspace" }
                form.inline method="post" action="/workspaces" {
                    (csrf_field(csrf))
                    input type="text" name="name" required placeholder="Workspace name" maxlength="80";
                    button type="submit" { "Create" }
                }
            }
        },
    )
}

/// One member row.
pub struct MemberRow {
    /// User id.
    pub id: u32,
    /// Email.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Has TOTP.
    pub mfa: bool,
}

/// The workspace page's model.
pub struct WorkspacePage<'a> {
    /// The workspace.
    pub ws: &'a Workspace,
    /// Caller's role.
    pub role: Role,
    /// Sites.
    pub sites: Vec<Site>,
    /// Members (owners only see them).
    pub members: Vec<MemberRow>,
    /// API keys with their hashes (admins).
    pub keys: Vec<(String, ApiKeyRecord)>,
    /// A one-time value to show (new API key, invitation link) with a label.
    pub secret: Option<(&'a str, String)>,
    /// Error of the last action.
    pub error: Option<&'a str>,
}

/// `/workspaces/{id}`
#[must_use]
pub fn workspace(bar: UserBar<'_>, m: &WorkspacePage<'_>) -> Markup {
    let csrf = bar.csrf;
    let base = format!("/workspaces/{}", m.ws.id);
    page(
        &Chrome {
            title: &m.ws.name,
            user: Some(bar),
        },
        &html! {
            h1 { (m.ws.name) " " span.badge { (m.role) } }
            @if let Some(e) = m.error { p.error role="alert" { (e) } }
            @if let Some((label, value)) = &m.secret {
                div.notice { p { (label) } pre.secret id="one-time" { (value) } button.copy type="button" data-copy-target="one-time" { "Copy" } }
            }
            section.card {
                h2 { "Sites" }
                @if m.sites.is_empty() { p.empty { "No sites yet." } }
                ul { @for s in &m.sites { li { a href={ "/sites/" (s.domain) } { (s.domain) } } } }
                @if m.role.can_manage() {
                    form.inline method="post" action={ (base) "/sites" } {
                        (csrf_field(csrf))
                        input type="text" name="domain" required placeholder="example.com";
                        input type="text" name="timezone" value="UTC" required;
                        button type="submit" { "Add site" }
                    }
                }
            }
            @if m.role.is_owner() {
                section.card {
                    h2 { "Members" }
                    table.data {
                        thead { tr { th { "Email" } th { "Role" } th { "2FA" } th {} } }
                        tbody { @for u in &m.members {
                            tr {
                                td { (u.email) }
                                td {
                                    form.inline method="post" action={ (base) "/members/" (u.id) "/role" } {
                                        (csrf_field(csrf))
                                        select name="role" data-autosubmit {
                                            @for r in Role::ALL { option value=(r) selected[r == u.role] { (r) } }
                                        }
                                        noscript { button.secondary type="submit" { "Save" } }
                                    }
                                }
                                td { @if u.mfa { "on" } @else { "off" } }
                                td {
                                    form.inline method="post" action={ (base) "/members/" (u.id) "/remove" } data-confirm="Remove this member?" {
                                        (csrf_field(csrf))
                                        button.danger type="submit" { "Remove" }
                                    }
                                }
                            }
                        } }
                    }
                    h2 { "Add a member" }
                    form.inline method="post" action={ (base) "/members" } {
                        (csrf_field(csrf))
                        input type="email" name="email" required placeholder="name@example.com";
                        select name="role" { @for r in Role::ALL { option value=(r) selected[r == Role::Viewer] { (r) } } }
                        button type="submit" { "Add" }
                    }
                    p.muted { "Existing users are added at once; others get a one-time invitation link (valid 7 days) to pass on." }
                    p { a href={ (base) "/audit" } { "Audit log" } }
                }
            }
            @if m.role.can_manage() {
                section.card {
                    h2 { "Stats API keys" }
                    table.data {
                        thead { tr { th { "Name" } th { "Key" } th { "Created" } th {} } }
                        tbody { @for (hash, k) in &m.keys {
                            tr {
                                td { (k.name) }
                                td { code { (k.prefix) "…" } @if k.conversions { " " span.badge { "conversions" } } }
                                td { (fmt_time(k.created_ms)) }
                                td {
                                    form.inline method="post" action={ (base) "/keys/" (hash) "/revoke" } data-confirm="Revoke this key? Apps using it stop working." {
                                        (csrf_field(csrf))
                                        button.danger type="submit" { "Revoke" }
                                    }
                                }
                            }
                        } }
                    }
                    form.inline method="post" action={ (base) "/keys" } {
                        (csrf_field(csrf))
                        input type="text" name="name" required placeholder="Key name" maxlength="100";
                        label { input type="checkbox" name="conversions" value="1"; " may also record conversions" }
                        button type="submit" { "Create key" }
                    }
                }
            }
            @if m.role.is_owner() {
                section.card.danger {
                    h2 { "Delete workspace" }
                    p { "Its sites stop counting and its members and API keys lose access at once. Everything in it is deleted for good 30 days later; until then the instance's administrator can restore it (" code { "touchpoint workspace restore" } ")." }
                    form.inline method="post" action={ (base) "/delete" } {
                        (csrf_field(csrf))
                        label { "Type " strong { (m.ws.name) } " to confirm " input type="text" name="confirm" required autocomplete="off"; }
                        button.danger type="submit" { "Delete workspace" }
                    }
                }
            }
        },
    )
}

/// `/workspaces/{id}/audit`
#[must_use]
pub fn audit(bar: UserBar<'_>, ws: &Workspace, entries: &[(AuditEntry, String)]) -> Markup {
    page(
        &Chrome {
            title: "Audit log",
            user: Some(bar),
        },
        &html! {
            h1 { "Audit log — " (ws.name) }
            table.data {
                thead { tr { th { "When" } th { "Who" } th { "Action" } th { "Details" } } }
                tbody { @for (e, who) in entries {
                    tr { td { (fmt_time(e.at_ms)) } td { (who) } td { code { (e.action) } } td { (e.detail) } }
                } }
            }
            @if entries.is_empty() { p.empty { "Nothing recorded yet." } }
        },
    )
}
