//! A browser-like HTTP client for the dashboard (cookies kept, redirects not
//! followed, CSRF tokens read from the last page) and ways to make users.

use std::sync::OnceLock;

use reqwest::{StatusCode, redirect::Policy};
use touchpoint::{
    auth::totp,
    domain::{Email, Role, UserId, WorkspaceId},
    store::WorkspaceChoice,
};

use crate::helpers::TestApp;

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A test user: id, email and (if enrolled) TOTP secret.
#[derive(Clone)]
pub struct TestUser {
    pub id: UserId,
    pub email: String,
    pub totp: Option<Vec<u8>>,
}

/// The value of the first `name="csrf"` field in a page.
pub fn csrf_of(html: &str) -> Option<String> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r#"name="csrf" value="([0-9a-f]{64})""#).unwrap());
    re.captures(html).map(|c| c[1].to_owned())
}

/// A client with its own cookie jar.
pub struct WebClient {
    pub client: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
}

impl WebClient {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.url)
    }

    /// A client for the server at `url`.
    pub fn at(url: &str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .pool_idle_timeout(std::time::Duration::from_secs(2))
                .build()
                .unwrap(),
            base: url.to_owned(),
            csrf: None,
        }
    }

    /// Status, Location and body of a response, remembering the page's CSRF token.
    async fn read(&mut self, r: reqwest::Response) -> (StatusCode, String, String) {
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = r.text().await.unwrap();
        if let Some(t) = csrf_of(&body) {
            self.csrf = Some(t);
        }
        (status, location, body)
    }

    /// GETs a page, remembering its CSRF token; returns status, Location and body.
    pub async fn get(&mut self, path: &str) -> (StatusCode, String, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        self.read(r).await
    }

    /// POSTs a form with the remembered CSRF token; returns status, Location and body.
    pub async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf.clone().unwrap_or_default();
        form.push(("csrf", &token));
        self.post_raw(path, &form).await
    }

    /// POSTs exactly these fields (no CSRF token added).
    pub async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap();
        self.read(r).await
    }

    /// Password step only; returns the response to it.
    pub async fn password_step(
        &mut self,
        email: &str,
        password: &str,
    ) -> (StatusCode, String, String) {
        self.get("/login").await;
        self.post("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Logs in fully (with a TOTP code when the user has one), then loads
    /// `/account` so the session's CSRF token is known.
    pub async fn login(&mut self, app: &TestApp, user: &TestUser) {
        let (status, location, body) = self.password_step(&user.email, PASSWORD).await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "login of {}: {body}",
            user.email
        );
        if location.starts_with("/login/totp") {
            let secret = user.totp.as_ref().expect("user has TOTP");
            self.get(&location).await;
            let code = totp::code_at(secret, app.clock.now_ms());
            let (s, _, b) = self.post("/login/totp", &[("code", &code)]).await;
            assert_eq!(s, StatusCode::SEE_OTHER, "TOTP step of {}: {b}", user.email);
        }
        let (s, _, _) = self.get("/account").await;
        assert_eq!(s, StatusCode::OK);
    }
}

impl TestApp {
    /// example.com as stored.
    pub fn example_site(&self) -> touchpoint::store::Site {
        self.state
            .store
            .read()
            .unwrap()
            .site_by_domain("example.com")
            .unwrap()
            .unwrap()
    }

    /// Changes example.com's settings in the store and the ingest map.
    pub fn edit_site(&self, change: impl FnOnce(&mut touchpoint::store::Site)) {
        let mut site = self.example_site();
        change(&mut site);
        self.state.store.update_site(&site).unwrap();
        self.state.reload_sites().unwrap();
    }

    /// The id of the test workspace that owns example.com and other.example.
    pub fn acme(&self) -> WorkspaceId {
        self.state.store.workspaces().unwrap()[0].id
    }

    /// Makes a user in `ws` with `role`; owners and admins get TOTP enrolled
    /// (the instance requires it of them).
    pub fn user(&self, email: &str, role: Role, ws: WorkspaceChoice) -> TestUser {
        let auth = &self.state.auth;
        let (mut rec, _) = auth
            .create_user(
                &Email::parse(email).unwrap(),
                PASSWORD,
                ws,
                role,
                self.clock.now_ms(),
            )
            .unwrap();
        let mut secret = None;
        if role >= Role::Admin {
            let s = totp::new_secret();
            rec.totp_sealed = Some(auth.seal_totp(rec.id, &s));
            self.state.store.put_user(&rec).unwrap();
            secret = Some(s);
        }
        TestUser {
            id: rec.id,
            email: email.to_owned(),
            totp: secret,
        }
    }

    /// An admin of the test workspace without TOTP, as if they predate the
    /// requirement: they must enrol a second factor before anything else.
    pub fn admin_without_totp(&self, email: &str) -> TestUser {
        let admin = self.user(email, Role::Admin, WorkspaceChoice::Existing(self.acme()));
        let mut rec = self.state.store.user(admin.id).unwrap().unwrap();
        rec.totp_sealed = None;
        self.state.store.put_user(&rec).unwrap();
        TestUser {
            totp: None,
            ..admin
        }
    }

    /// A logged-in client for a new user of `ws` with `role`.
    pub async fn member(&self, email: &str, role: Role, ws: WorkspaceId) -> (WebClient, TestUser) {
        let user = self.user(email, role, WorkspaceChoice::Existing(ws));
        let mut c = WebClient::new(self);
        c.login(self, &user).await;
        (c, user)
    }
}
