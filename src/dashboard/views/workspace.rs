//! The sites list (home) and a workspace's page: sites, members, API keys, audit log.

use maud::{Markup, html};

use super::{
    fmt_time,
    layout::{Chrome, UserBar, csrf_field, page},
    timezone::{ZoneField, zone_field},
};
use crate::{
    auth::flash::Flash,
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
                    label for="new-workspace-name" { "Name" }
                    input id="new-workspace-name" type="text" name="name" required placeholder="My company" maxlength="80";
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

/// One invitation not yet accepted.
pub struct InviteRow {
    /// SHA-256 of its token (hex): the revocation path's id.
    pub id: String,
    /// Invitee's email (opened; owners only see this page's members part).
    pub email: String,
    /// Role it grants.
    pub role: Role,
    /// Unix ms after which the link is void.
    pub expires_ms: u64,
    /// Already void.
    pub expired: bool,
}

/// What the add-site form shows: the values typed before an error.
#[derive(Default)]
pub struct SiteForm<'a> {
    /// Domain typed.
    pub domain: &'a str,
    /// Time zone typed; empty for a fresh form (UTC, or the browser's zone).
    pub timezone: &'a str,
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
    /// Pending and expired invitations (owners only).
    pub invites: Vec<InviteRow>,
    /// The add-site form's values.
    pub site_form: SiteForm<'a>,
    /// API keys with their hashes (admins).
    pub keys: Vec<(String, ApiKeyRecord)>,
    /// One-time values to show (a new API key, an invitation link), each
    /// with its label and a Copy button.
    pub flashes: &'a [Flash],
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
            @for f in m.flashes {
                @let id = f.kind.element_id();
                div.notice { p { (f.label) } pre.secret id=(id) { (f.value) } button.copy type="button" data-copy-target=(id) { "Copy" } }
            }
            section.card {
                h2 { "Sites" }
                @if m.sites.is_empty() { p.empty { "No sites yet." } }
                ul { @for s in &m.sites { li { a href={ "/sites/" (s.domain) } { (s.domain) } } } }
                @if m.role.can_manage() {
                    h3 { "Add a site" }
                    form.inline method="post" action={ (base) "/sites" } {
                        (csrf_field(csrf))
                        label for="site-domain" { "Domain" }
                        input id="site-domain" type="text" name="domain" value=(m.site_form.domain) required placeholder="example.com";
                        (zone_field(&ZoneField {
                            label: "Time zone",
                            name: "timezone",
                            id: "site-timezone",
                            value: if m.site_form.timezone.is_empty() { "UTC" } else { m.site_form.timezone },
                            fresh: m.site_form.timezone.is_empty(),
                        }))
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
                                        label.visually-hidden for={ "role-" (u.id) } { "Role of " (u.email) }
                                        select id={ "role-" (u.id) } name="role" data-autosubmit {
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
                    h2 { "Invitations" }
                    @if m.invites.is_empty() {
                        p.empty { "No invitations waiting." }
                    } @else {
                        table.data {
                            thead { tr { th { "Email" } th { "Role" } th { "Expires" } th {} } }
                            tbody { @for i in &m.invites {
                                tr {
                                    td { (i.email) }
                                    td { (i.role) }
                                    td { @if i.expired { "expired " } (fmt_time(i.expires_ms)) }
                                    td {
                                        form.inline method="post" action={ (base) "/invites/" (i.id) "/revoke" } data-confirm="Revoke this invitation? Its link stops working." {
                                            (csrf_field(csrf))
                                            button.danger type="submit" { @if i.expired { "Delete" } @else { "Revoke" } }
                                        }
                                    }
                                }
                            } }
                        }
                    }
                    h2 { "Add a member" }
                    form.inline method="post" action={ (base) "/members" } {
                        (csrf_field(csrf))
                        label for="member-email" { "Email" }
                        input id="member-email" type="email" name="email" required placeholder="name@example.com";
                        label for="member-role" { "Role" }
                        select id="member-role" name="role" { @for r in Role::ALL { option value=(r) selected[r == Role::Viewer] { (r) } } }
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
                                td { code { (k.prefix) "…" } @if k.conversions { " " span.badge { "conversions" } } @if k.sites { " " span.badge { "sites" } } }
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
                        label for="key-name" { "Key name" }
                        input id="key-name" type="text" name="name" required placeholder="spreadsheet" maxlength="100";
                        label { input type="checkbox" name="conversions" value="1"; " may also record conversions" }
                        label { input type="checkbox" name="sites" value="1"; " may also manage sites (Sites API)" }
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
