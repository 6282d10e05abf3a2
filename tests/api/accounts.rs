//! Accounts over HTTP: setup, login and logout, throttling, CSRF, API keys
//! and encrypted emails (two-factor and sessions are in `two_factor`).

use reqwest::StatusCode;
use touchpoint::{domain::Role, store::WorkspaceChoice};

use crate::{
    helpers::spawn_app,
    web::{PASSWORD, WebClient},
};

pub(crate) fn capture(re: &str, text: &str) -> String {
    regex::Regex::new(re)
        .unwrap()
        .captures(text)
        .unwrap_or_else(|| panic!("{re} not found in {text}"))[1]
        .to_owned()
}

#[tokio::test]
async fn first_run_setup_creates_the_owner_workspace_and_site_once() {
    let app = spawn_app().await;
    let mut c = WebClient::new(&app);
    let (s, _, body) = c.get("/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("setup link"), "{body}");
    let token = app
        .state
        .auth
        .setup_token()
        .expect("a setup token while there are no users");
    c.get(&format!("/setup?token={token}")).await;
    let fields = |t: &'static str| -> Vec<(&'static str, &'static str)> {
        vec![
            ("token", t),
            ("email", "Owner@Example.com"),
            ("password", PASSWORD),
            ("workspace", "Initech"),
            ("domain", "https://www.initech.example/"),
            ("timezone", "Europe/Berlin"),
        ]
    };
    let (s, _, body) = c.post("/setup", &fields("not-the-token")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let mut weak = fields("x");
    weak[2] = ("password", "short");
    let (s, _, body) = c.post("/setup", &weak).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("at least 10"), "{body}");
    assert!(
        app.state.auth.setup_token().is_some(),
        "a refused form doesn't use the token up"
    );

    let leaked: &'static str = Box::leak(token.into_boxed_str());
    let (s, location, _) = c.post("/setup", &fields(leaked)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(location, "/sites/initech.example");
    // The owner must enrol TOTP before anything else.
    let (s, location, _) = c.get("/sites/initech.example").await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/account/totp")
    );
    let site = app
        .state
        .store
        .read()
        .unwrap()
        .site_by_domain("initech.example")
        .unwrap()
        .unwrap();
    assert_eq!(site.timezone.to_string(), "Europe/Berlin");
    let ws = app.state.store.workspace(site.workspace).unwrap().unwrap();
    assert_eq!(ws.name, "Initech");
    let owner = app
        .state
        .auth
        .user_by_email(&"owner@example.com".parse_email())
        .unwrap()
        .unwrap();
    assert_eq!(
        app.state.store.members(ws.id).unwrap(),
        vec![(owner.id, Role::Owner)]
    );
    // One time only.
    assert!(app.state.auth.setup_token().is_none());
    let (s, _, _) = WebClient::new(&app)
        .get(&format!("/setup?token={leaked}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

trait ParseEmail {
    fn parse_email(&self) -> touchpoint::domain::Email;
}
impl ParseEmail for str {
    fn parse_email(&self) -> touchpoint::domain::Email {
        touchpoint::domain::Email::parse(self).unwrap()
    }
}

#[tokio::test]
async fn login_logout_and_wrong_passwords_say_the_same_thing_for_unknown_accounts() {
    let app = spawn_app().await;
    let user = app.user(
        "ana@example.com",
        Role::Analyst,
        WorkspaceChoice::Existing(app.acme()),
    );
    let mut c = WebClient::new(&app);
    let (s, location, _) = c.get("/sites").await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/login?next=%2Fsites")
    );
    let (s, _, wrong) = c.password_step("ana@example.com", "not the password").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, unknown) = c
        .password_step("nobody@example.com", "not the password")
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.contains("Wrong email or password") && unknown.contains("Wrong email or password")
    );
    c.login(&app, &user).await;
    let (s, _, body) = c.get("/sites").await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("example.com") && body.contains("Acme"));
    let (s, location, _) = c.post("/logout", &[]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/login"));
    let (s, _, _) = c.get("/sites").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_backoff_and_are_audited() {
    let app = spawn_app().await;
    let owner = app.user(
        "boss@example.com",
        Role::Owner,
        WorkspaceChoice::Existing(app.acme()),
    );
    let user = app.user(
        "ana@example.com",
        Role::Analyst,
        WorkspaceChoice::Existing(app.acme()),
    );
    let mut c = WebClient::new(&app);
    for i in 1..=5 {
        let (s, _, body) = c.password_step(&user.email, "wrong password!").await;
        let want = if i < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(s, want, "attempt {i}: {body}");
    }
    // The right password doesn't help while locked.
    let (s, _, body) = c.password_step(&user.email, PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("Try again in 60 seconds"), "{body}");
    app.clock.advance_ms(61_000);
    // One more failure after the lock doubles it.
    let (s, _, body) = c.password_step(&user.email, "wrong again!!").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("120 seconds"), "{body}");
    app.clock.advance_ms(121_000);
    let (s, _, _) = c.password_step(&user.email, PASSWORD).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let mut o = WebClient::new(&app);
    o.login(&app, &owner).await;
    let (s, _, log) = o.get(&format!("/workspaces/{}/audit", app.acme())).await;
    assert_eq!(s, StatusCode::OK);
    assert!(log.matches("login_failed").count() >= 6, "{log}");
    assert!(log.contains("locked for 60 s") && log.contains("ana@example.com"));
}

#[tokio::test]
async fn state_changing_forms_without_the_right_csrf_token_are_refused() {
    let app = spawn_app().await;
    let (mut a, _) = app
        .member("admin@example.com", Role::Admin, app.acme())
        .await;
    let (b, _) = app
        .member("admin2@example.com", Role::Admin, app.acme())
        .await;
    let path = format!("/workspaces/{}/keys", app.acme());
    let keys_before = app.state.store.api_keys(app.acme()).unwrap().len();
    let other_token = b.csrf.clone().unwrap();
    for (case, fields) in [
        ("no token", vec![("name", "k")]),
        (
            "wrong token",
            vec![
                ("name", "k"),
                (
                    "csrf",
                    "0000000000000000000000000000000000000000000000000000000000000000",
                ),
            ],
        ),
        (
            "another session's token",
            vec![("name", "k"), ("csrf", other_token.as_str())],
        ),
    ] {
        let (s, _, body) = a.post_raw(&path, &fields).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{case}: {body}");
    }
    let token = a.csrf.clone().unwrap();
    let r = a
        .client
        .post(format!("{}{path}", a.base))
        .header("origin", "https://evil.example")
        .form(&[("name", "k"), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "cross-origin post");
    assert_eq!(
        app.state.store.api_keys(app.acme()).unwrap().len(),
        keys_before,
        "no refused form changed anything"
    );
    // A login form posted without its cookie (a cross-site login attempt) is refused too.
    let (s, _, _) = WebClient::new(&app)
        .post_raw(
            "/login",
            &[
                ("email", "x@example.com"),
                ("password", "y"),
                ("csrf", token.as_str()),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = a.post(&path, &[("name", "k")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        app.state.store.api_keys(app.acme()).unwrap().len(),
        keys_before + 1,
        "the right token works"
    );
}

#[tokio::test]
async fn api_keys_are_shown_once_scoped_to_their_workspace_and_revocable() {
    let app = spawn_app().await;
    let (mut c, _) = app.member("adm@example.com", Role::Admin, app.acme()).await;
    let ws_path = format!("/workspaces/{}", app.acme());
    let (s, location, _) = c
        .post(&format!("{ws_path}/keys"), &[("name", "reporting")])
        .await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, ws_path.as_str())
    );
    let (_, _, page) = c.get(&location).await;
    let key = capture(r"(tp_[0-9a-f]{48})", &page);
    let q =
        serde_json::json!({"site_id": "example.com", "metrics": ["visitors"], "date_range": "day"});
    let ask = |key: String, q: serde_json::Value| {
        let url = format!("{}/api/v2/query", app.url);
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(key)
                .json(&q)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(ask(key.clone(), q.clone()).await, StatusCode::OK);
    let (_, _, listed) = c.get(&ws_path).await;
    assert!(listed.contains("reporting") && listed.contains(&key[..9]));
    assert!(!listed.contains(&key), "the key is shown only once");
    // Another workspace's key can't read this workspace's site.
    let other = app.state.store.create_workspace("Other", 0).unwrap();
    let (other_key, _) = app
        .state
        .auth
        .create_api_key(
            other.id,
            "theirs",
            touchpoint::store::KeyScopes::default(),
            0,
        )
        .unwrap();
    assert_eq!(ask(other_key, q.clone()).await, StatusCode::NOT_FOUND);
    let hash = touchpoint::privacy::sha256_hex(key.as_bytes());
    let (s, _, _) = c.post(&format!("{ws_path}/keys/{hash}/revoke"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(ask(key, q).await, StatusCode::UNAUTHORIZED);
    let (_, _, listed) = c.get(&ws_path).await;
    assert!(!listed.contains("reporting"));
}

#[tokio::test]
async fn account_emails_are_encrypted_at_rest() {
    let app = spawn_app().await;
    app.user(
        "findme.person@example.com",
        Role::Viewer,
        WorkspaceChoice::Existing(app.acme()),
    );
    app.state.store.probe_write().unwrap();
    let bytes = std::fs::read(app.data_dir.path().join(touchpoint::store::FILE_NAME)).unwrap();
    for needle in ["findme.person@example.com", "findme.person"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} found in the store"
        );
    }
    let key = std::fs::read_to_string(app.data_dir.path().join("touchpoint.key")).unwrap();
    assert_eq!(key.trim().len(), 64);
}
