//! A new owner's path through the workspace page (issue #12): invitation
//! links that work as handed out (absolute: the configured public URL, else
//! the address the owner used), pending invitations listed and revocable,
//! a new invitation link and a new API key each shown once by
//! post/redirect/get, the time-zone list on the setup wizard and the
//! add-site form, and a label for every control.

use reqwest::StatusCode;
use touchpoint::domain::Role;

use crate::{
    accounts::capture,
    helpers::{MIN, TestApp, spawn_app, spawn_app_with},
    web::{PASSWORD, WebClient},
};

const INVITE: &str = r"(https?://[^\s<]+/invite/[0-9a-f]{64})";

/// Invites `email` as a viewer of Acme; returns the workspace page the
/// POST redirects to (which shows the link once).
async fn invite(app: &TestApp, owner: &mut WebClient, email: &str) -> String {
    let ws = format!("/workspaces/{}", app.acme());
    owner.get(&ws).await;
    let (s, location, body) = owner
        .post(
            &format!("{ws}/members"),
            &[("email", email), ("role", "viewer")],
        )
        .await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, ws.as_str()),
        "{body}"
    );
    shown_after(owner, &ws).await
}

/// The page at `location` a members POST redirected to.
async fn shown_after(owner: &mut WebClient, location: &str) -> String {
    let (s, _, page) = owner.get(location).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page
}

/// POSTs an invitation of `email` as `owner` with these extra headers (a
/// proxy's), checks the 303, and returns the page it redirects to.
async fn invite_with_headers(
    app: &TestApp,
    owner: &mut WebClient,
    email: &str,
    headers: &[(&str, &str)],
) -> String {
    let ws = format!("/workspaces/{}", app.acme());
    owner.get(&ws).await;
    let token = owner.csrf.clone().unwrap();
    let mut request = owner.client.post(format!("{}{ws}/members", app.url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let r = request
        .form(&[("email", email), ("role", "viewer"), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], ws.as_str());
    shown_after(owner, &ws).await
}

#[tokio::test]
async fn an_invitation_link_starts_with_the_address_the_owner_used() {
    let app = spawn_app().await;
    let (mut owner, _) = app
        .member("boss@example.com", Role::Owner, app.acme())
        .await;
    let page = invite(&app, &mut owner, "new@example.com").await;
    let link = capture(INVITE, &page);
    assert!(
        link.starts_with(&format!("{}/invite/", app.url)),
        "{link} is on {}",
        app.url
    );
    // What the Copy button copies is the whole link.
    assert_eq!(
        capture(
            r#"<pre class="secret" id="one-time-invitation">([^<]*)</pre>"#,
            &page
        ),
        link
    );
    assert!(page.contains(r#"data-copy-target="one-time-invitation""#));
    let (s, _, form) = WebClient::new(&app)
        .get(link.strip_prefix(&app.url).unwrap())
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("new@example.com"));

    // Behind a trusted proxy (the tests' loopback is one), its forwarded
    // scheme and host are the address people use.
    let page = invite_with_headers(
        &app,
        &mut owner,
        "proxied@example.com",
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "analytics.example.com"),
        ],
    )
    .await;
    assert!(
        capture(INVITE, &page).starts_with("https://analytics.example.com/invite/"),
        "{page}"
    );
}

#[tokio::test]
async fn an_invitation_link_starts_with_the_configured_public_url() {
    let app = spawn_app_with(&[(
        "TOUCHPOINT__SERVER__PUBLIC_URL",
        "https://stats.example.org/",
    )])
    .await;
    let (mut owner, _) = app
        .member("boss@example.com", Role::Owner, app.acme())
        .await;
    let page = invite(&app, &mut owner, "new@example.com").await;
    let link = capture(INVITE, &page);
    assert!(
        link.starts_with("https://stats.example.org/invite/"),
        "{link}"
    );
}

#[tokio::test]
async fn forwarded_host_headers_from_an_untrusted_peer_are_ignored() {
    let app = spawn_app_with(&[("TOUCHPOINT__SERVER__TRUSTED_PROXIES", "")]).await;
    let (mut owner, _) = app
        .member("boss@example.com", Role::Owner, app.acme())
        .await;
    let page = invite_with_headers(
        &app,
        &mut owner,
        "new@example.com",
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "evil.example"),
        ],
    )
    .await;
    let link = capture(INVITE, &page);
    assert!(link.starts_with(&format!("{}/invite/", app.url)), "{link}");
}

#[tokio::test]
async fn pending_invitations_are_listed_to_owners_and_a_revoked_link_stops_working() {
    let app = spawn_app().await;
    let (mut owner, _) = app
        .member("boss@example.com", Role::Owner, app.acme())
        .await;
    let kept = capture(INVITE, &invite(&app, &mut owner, "kept@example.com").await);
    let revoked = capture(INVITE, &invite(&app, &mut owner, "gone@example.com").await);
    let ws = format!("/workspaces/{}", app.acme());
    let (_, _, page) = owner.get(&ws).await;
    assert!(page.contains("Invitations"), "{page}");
    for email in ["kept@example.com", "gone@example.com"] {
        assert!(page.contains(email), "{email} listed");
    }
    // Expiry: 7 days after the invitation (the tests' clock starts 2024-03-15).
    assert!(page.contains("2024-03-22"), "{page}");
    let hash = |link: &str| {
        let token = link.rsplit('/').next().unwrap();
        touchpoint::privacy::sha256_hex(token.as_bytes())
    };
    let revoke = format!("{ws}/invites/{}/revoke", hash(&revoked));
    assert!(page.contains(&revoke), "a revoke button per invitation");

    // Only owners see invitations or revoke them; another workspace's owner
    // doesn't find them.
    let (mut admin, _) = app.member("adm@example.com", Role::Admin, app.acme()).await;
    let (_, _, admin_page) = admin.get(&ws).await;
    assert!(!admin_page.contains("gone@example.com"));
    assert_eq!(admin.post(&revoke, &[]).await.0, StatusCode::FORBIDDEN);
    let other = app.state.store.create_workspace("Other", 0).unwrap();
    let (mut stranger, _) = app.member("them@example.com", Role::Owner, other.id).await;
    stranger.get(&format!("/workspaces/{}", other.id)).await;
    let elsewhere = format!("/workspaces/{}/invites/{}/revoke", other.id, hash(&revoked));
    assert_eq!(
        stranger.post(&elsewhere, &[]).await.0,
        StatusCode::NOT_FOUND
    );

    let (s, location, _) = owner.post(&revoke, &[]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, ws.as_str()));
    let path = |link: &str| link.strip_prefix(&app.url).unwrap().to_owned();
    let mut guest = WebClient::new(&app);
    assert_eq!(guest.get(&path(&revoked)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(guest.get(&path(&kept)).await.0, StatusCode::OK);
    let (s, _, _) = guest.post(&path(&revoked), &[("password", PASSWORD)]).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a revoked link makes no account");
    let (_, _, page) = owner.get(&ws).await;
    assert!(!page.contains("gone@example.com") && page.contains("kept@example.com"));
    assert_eq!(
        owner.post(&revoke, &[]).await.0,
        StatusCode::NOT_FOUND,
        "once"
    );
    let (_, _, log) = owner.get(&format!("{ws}/audit")).await;
    assert!(log.contains("invite_revoked") && log.contains("gone@example.com as viewer"));
}

#[tokio::test]
async fn a_new_invitation_link_is_shown_once_after_a_redirect_and_a_reload_makes_no_other() {
    let app = spawn_app().await;
    let (mut owner, _) = app
        .member("boss@example.com", Role::Owner, app.acme())
        .await;
    let ws = format!("/workspaces/{}", app.acme());
    owner.get(&ws).await;
    let count = || app.state.store.invites_of(app.acme()).unwrap().len();
    assert_eq!(count(), 0);
    let (s, location, body) = owner
        .post(
            &format!("{ws}/members"),
            &[("email", "new@example.com"), ("role", "analyst")],
        )
        .await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, ws.as_str()));
    assert!(
        !body.contains("/invite/"),
        "the link is not in the POST's answer"
    );
    assert!(!location.contains("/invite/"), "nor in the URL");
    assert_eq!(count(), 1);

    let (s, _, page) = owner.get(&ws).await;
    assert_eq!(s, StatusCode::OK);
    let link = capture(INVITE, &page);
    assert!(link.starts_with(&format!("{}/invite/", app.url)), "{link}");
    assert!(
        page.contains("Invitation link for new@example.com"),
        "{page}"
    );
    assert!(page.contains(r#"data-copy-target="one-time-invitation""#));

    let (s, _, again) = owner.get(&ws).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!again.contains(&link), "shown once");
    assert!(!again.contains(r#"id="one-time-invitation""#));
    assert!(again.contains("new@example.com"), "still listed as waiting");
    assert_eq!(count(), 1, "a reload makes no invitation");

    // The link shown is the invitation made: accepting it adds the member.
    let path = link.strip_prefix(&app.url).unwrap();
    let mut guest = WebClient::new(&app);
    assert_eq!(guest.get(path).await.0, StatusCode::OK);
    let (s, location, _) = guest.post(path, &[("password", PASSWORD)]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/sites"));
    let joined = app
        .state
        .auth
        .user_by_email(&touchpoint::domain::Email::parse("new@example.com").unwrap())
        .unwrap()
        .expect("an account was made");
    assert!(
        app.state
            .store
            .members(app.acme())
            .unwrap()
            .contains(&(joined.id, Role::Analyst)),
        "a member with the invited role"
    );
    assert_eq!(count(), 0, "used up");
}

#[tokio::test]
async fn a_new_api_key_is_shown_once_after_a_redirect_and_a_reload_makes_no_other() {
    let app = spawn_app().await;
    let (mut c, user) = app.member("adm@example.com", Role::Admin, app.acme()).await;
    let ws = format!("/workspaces/{}", app.acme());
    c.get(&ws).await;
    let before = app.state.store.api_keys(app.acme()).unwrap().len();
    let (s, location, body) = c
        .post(&format!("{ws}/keys"), &[("name", "reporting")])
        .await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, ws.as_str()));
    assert!(!body.contains("tp_"), "the key is not in the POST's answer");
    assert!(!location.contains("tp_"), "nor in the URL");
    let count = || app.state.store.api_keys(app.acme()).unwrap().len();
    assert_eq!(count(), before + 1);

    // Another session of the same user doesn't get it (logged in a minute
    // later: a TOTP code works once).
    app.clock.advance_ms(MIN);
    let mut other = WebClient::new(&app);
    other.login(&app, &user).await;
    let (_, _, page) = other.get(&ws).await;
    assert!(
        !regex::Regex::new(r"tp_[0-9a-f]{48}")
            .unwrap()
            .is_match(&page)
    );

    let (s, _, page) = c.get(&ws).await;
    assert_eq!(s, StatusCode::OK);
    let key = capture(r#"id="one-time">(tp_[0-9a-f]{48})<"#, &page);
    assert!(page.contains("reporting"));
    let (s, _, again) = c.get(&ws).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!again.contains(&key), "shown once");
    assert!(!again.contains(r#"id="one-time""#));
    assert_eq!(count(), before + 1, "a reload makes no key");
    let r = app
        .client
        .post(format!("{}/api/v2/query", app.url))
        .bearer_auth(&key)
        .json(&serde_json::json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the key shown is the key made");
}

#[tokio::test]
async fn the_setup_wizard_offers_the_zone_list_and_reads_a_city() {
    let app = spawn_app().await;
    let token = app.state.auth.setup_token().unwrap();
    let mut c = WebClient::new(&app);
    let (s, _, page) = c.get(&format!("/setup?token={token}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_zone_field(&page, "setup-timezone", "UTC", true);
    let fields = [
        ("token", token.as_str()),
        ("email", "owner@example.com"),
        ("password", PASSWORD),
        ("workspace", "Initech"),
        ("domain", "initech.example"),
        ("timezone", "Atlantis"),
    ];
    let (s, _, page) = c.post("/setup", &fields).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("choose one from the list"), "{page}");
    assert_zone_field(&page, "setup-timezone", "Atlantis", false);
    let mut fields = fields;
    fields[5] = ("timezone", "London");
    let (s, _, page) = c.post("/setup", &fields).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    let site = app
        .state
        .store
        .read()
        .unwrap()
        .site_by_domain("initech.example")
        .unwrap()
        .unwrap();
    assert_eq!(site.timezone.to_string(), "Europe/London");
}

#[tokio::test]
async fn the_add_site_form_offers_the_zone_list_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    let (mut c, _) = app.member("adm@example.com", Role::Admin, app.acme()).await;
    let ws = format!("/workspaces/{}", app.acme());
    let (_, _, page) = c.get(&ws).await;
    assert_zone_field(&page, "site-timezone", "UTC", true);
    let (s, _, page) = c
        .post(
            &format!("{ws}/sites"),
            &[("domain", "shop.example"), ("timezone", "Nowhere/Special")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_zone_field(&page, "site-timezone", "Nowhere/Special", false);
    assert!(
        page.contains(r#"value="shop.example""#),
        "the domain is kept"
    );
    let (s, location, _) = c
        .post(
            &format!("{ws}/sites"),
            &[("domain", "shop.example"), ("timezone", "new york")],
        )
        .await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/sites/shop.example/settings")
    );
    let site = app
        .state
        .store
        .read()
        .unwrap()
        .site_by_domain("shop.example")
        .unwrap()
        .unwrap();
    assert_eq!(site.timezone.to_string(), "America/New_York");
}

/// The page has the zone input `id` with `value`, tied to a datalist of
/// zone names, marked for the browser's zone only when `fresh`.
pub(crate) fn assert_zone_field(page: &str, id: &str, value: &str, fresh: bool) {
    let input = capture(&format!(r#"(<input id="{id}"[^>]*>)"#), page);
    assert!(input.contains(&format!(r#"value="{value}""#)), "{input}");
    assert!(input.contains(&format!(r#"list="{id}-zones""#)), "{input}");
    assert_eq!(input.contains("data-browser-zone"), fresh, "{input}");
    let list = capture(
        &format!(r#"(?s)(<datalist id="{id}-zones">.*?</datalist>)"#),
        page,
    );
    for zone in ["UTC", "Europe/London", "America/New_York", "Asia/Tokyo"] {
        assert!(
            list.contains(&format!(r#"<option value="{zone}">"#)),
            "{zone}"
        );
    }
    assert!(list.matches("<option").count() > 300, "the whole list");
}

/// Controls (inputs that aren't hidden, selects) not inside a `<label>` and
/// not named by a `<label for>`.
pub(crate) fn unlabelled(page: &str) -> Vec<String> {
    let control = regex::Regex::new(r#"<(input|select|textarea)\b[^>]*>"#).unwrap();
    let id = regex::Regex::new(r#"\bid="([^"]+)""#).unwrap();
    control
        .find_iter(page)
        .filter(|m| !m.as_str().contains(r#"type="hidden""#))
        .filter(|m| {
            let before = &page[..m.start()];
            let open = before.matches("<label").count() > before.matches("</label>").count();
            let named = id.captures(m.as_str()).is_some_and(|c| {
                regex::Regex::new(&format!(r#"<label [^>]*\bfor="{}""#, regex::escape(&c[1])))
                    .unwrap()
                    .is_match(page)
            });
            !open && !named
        })
        .map(|m| m.as_str().to_owned())
        .collect()
}

#[tokio::test]
async fn every_control_on_the_workspace_account_and_two_factor_pages_has_a_label() {
    let app = spawn_app().await;
    // The setup wizard first, while there is no user.
    let token = app.state.auth.setup_token().unwrap();
    let (_, _, setup) = WebClient::new(&app)
        .get(&format!("/setup?token={token}"))
        .await;
    assert!(setup.contains(r#"name="workspace""#));
    let (mut owner, _) = app
        .member("boss@example.com", Role::Owner, app.acme())
        .await;
    let ws = format!("/workspaces/{}", app.acme());
    invite(&app, &mut owner, "new@example.com").await;
    let (_, _, workspace) = owner.get(&ws).await;
    assert!(workspace.contains("<select"), "member roles are listed");
    let (_, _, sites) = owner.get("/sites").await;
    let (_, _, account) = owner.get("/account").await;
    let (mut viewer, _) = app.member("v@example.com", Role::Viewer, app.acme()).await;
    let (_, _, enrol) = viewer.get("/account/totp").await;
    assert!(enrol.contains(r#"name="code""#));
    for (name, page) in [
        ("workspace", &workspace),
        ("sites", &sites),
        ("account", &account),
        ("two-factor setup", &enrol),
        ("setup", &setup),
    ] {
        assert_eq!(unlabelled(page), Vec::<String>::new(), "{name}");
    }
    // The check itself finds a bare control.
    assert_eq!(unlabelled(r#"<form><input name="x"></form>"#).len(), 1);
}
