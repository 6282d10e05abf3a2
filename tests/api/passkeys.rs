//! Passkeys over HTTP with a software passkey: adding one on the account
//! page (listed with its dates, its name sealed at rest), signing in with it
//! after the password or without it, removing it (with the password; then
//! it no longer works), and an admin for whom a passkey is the required
//! second factor. Refusals are in `passkey_refusals`.

use reqwest::StatusCode;
use serde_json::Value;
use touchpoint::{domain::Role, store::WorkspaceChoice};

use crate::{
    helpers::{MIN, TestApp, all_bytes, spawn_app},
    soft_passkey::SoftPasskey,
    web::{PASSWORD, TestUser, WebClient},
};

/// The address tests use for passkeys: a host name (WebAuthn binds to one,
/// never to an IP address), on the app's port.
pub(crate) fn origin(app: &TestApp) -> String {
    app.url.replace("127.0.0.1", "localhost")
}

/// A user of the test workspace with `role` (owners and admins with TOTP).
pub(crate) fn acme_user(app: &TestApp, email: &str, role: Role) -> TestUser {
    app.user(email, role, WorkspaceChoice::Existing(app.acme()))
}

/// A client of the app at [`origin`], logged in as `user` (with TOTP when
/// they have it).
pub(crate) async fn client(app: &TestApp, user: &TestUser) -> WebClient {
    let mut c = WebClient::at(&origin(app));
    c.login(app, user).await;
    c
}

/// POSTs a `…/begin` form; the ceremony's JSON.
pub(crate) async fn begin(c: &mut WebClient, path: &str, fields: &[(&str, &str)]) -> Value {
    let (s, _, body) = c.post(path, fields).await;
    assert_eq!(s, StatusCode::OK, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// POSTs the answer to a ceremony; status, Location and body.
pub(crate) async fn answer(
    c: &mut WebClient,
    path: &str,
    started: &Value,
    credential: &Value,
) -> (StatusCode, String, String) {
    let ceremony = started["ceremony"].as_str().expect("a ceremony id");
    c.post(
        path,
        &[
            ("ceremony", ceremony),
            ("credential", &credential.to_string()),
        ],
    )
    .await
}

/// Adds `key` to the logged-in account of `c` as `name`; where it led (for
/// a first factor, the recovery codes page's Continue link).
pub(crate) async fn enrol(
    app: &TestApp,
    c: &mut WebClient,
    key: &mut SoftPasskey,
    name: &str,
) -> String {
    enrol_with_codes(app, c, key, name).await.0
}

/// [`enrol`], also with the recovery codes shown, if any were.
pub(crate) async fn enrol_with_codes(
    app: &TestApp,
    c: &mut WebClient,
    key: &mut SoftPasskey,
    name: &str,
) -> (String, Vec<String>) {
    c.get("/account").await;
    let started = begin(c, "/account/passkeys/begin", &[("name", name)]).await;
    let made = key.create(&started, &origin(app));
    let (s, location, body) = answer(c, "/account/passkeys", &started, &made).await;
    if s == StatusCode::OK {
        let codes = recovery_codes(&body);
        assert_eq!(codes.len(), 10, "{body}");
        let next = regex::Regex::new(r#"<a class="continue" href="([^"]+)""#)
            .unwrap()
            .captures(&body)
            .unwrap_or_else(|| panic!("a Continue link: {body}"))[1]
            .to_owned();
        return (next, codes);
    }
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    (location, Vec::new())
}

/// The recovery codes a page shows.
pub(crate) fn recovery_codes(page: &str) -> Vec<String> {
    regex::Regex::new(r#"<pre class="secret" id="recovery-codes">([^<]*)</pre>"#)
        .unwrap()
        .captures(page)
        .map(|c| c[1].split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A passwordless sign-in with `key` from the login page: the ceremony, the
/// answer, and the response to it.
pub(crate) async fn sign_in(
    app: &TestApp,
    c: &mut WebClient,
    key: &SoftPasskey,
) -> (Value, Value, (StatusCode, String, String)) {
    c.get("/login").await;
    let started = begin(c, "/login/passkey/begin", &[]).await;
    let given = key.get(&started, &origin(app));
    let outcome = answer(c, "/login/passkey", &started, &given).await;
    (started, given, outcome)
}

/// The password step, then the passkey as the second step; the response.
pub(crate) async fn second_step(
    app: &TestApp,
    c: &mut WebClient,
    email: &str,
    key: &SoftPasskey,
) -> (StatusCode, String, String) {
    let (s, location, _) = c.password_step(email, PASSWORD).await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/login/totp?next=%2Fsites")
    );
    let (_, _, page) = c.get(&location).await;
    assert!(page.contains(r#"action="/login/totp/passkey""#), "{page}");
    let started = begin(c, "/login/totp/passkey/begin", &[]).await;
    let given = key.get(&started, &origin(app));
    answer(c, "/login/totp/passkey", &started, &given).await
}

/// Checks that a sign-in led to the sites list, and that it opens.
pub(crate) async fn assert_signed_in(c: &mut WebClient, response: (StatusCode, String, String)) {
    let (s, location, body) = response;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/sites"),
        "{body}"
    );
    assert_eq!(c.get("/sites").await.0, StatusCode::OK);
}

/// Logs out, then signs in again with the password: the second step's page.
async fn again_to_second_step(c: &mut WebClient, email: &str) -> String {
    c.post("/logout", &[]).await;
    c.password_step(email, PASSWORD).await;
    c.get("/login/totp").await.2
}

/// The ids of the account page's passkeys.
pub(crate) fn passkey_ids(page: &str) -> Vec<String> {
    regex::Regex::new(r"/account/passkeys/([0-9a-f]{64})/remove")
        .unwrap()
        .captures_iter(page)
        .map(|c| c[1].to_owned())
        .collect()
}

#[tokio::test]
async fn a_passkey_is_added_listed_used_with_or_without_the_password_and_removed() {
    let app = spawn_app().await;
    let user = acme_user(&app, "ana@example.com", Role::Analyst);
    let mut c = client(&app, &user).await;
    let mut key = SoftPasskey::new();
    let (next, codes) = enrol_with_codes(&app, &mut c, &mut key, "Ana's laptop").await;
    assert_eq!(next, "/account");
    assert_eq!(codes.len(), 10, "a first factor comes with recovery codes");
    let (_, _, page) = c.get("/account").await;
    assert!(
        page.contains("Ana&#39;s laptop") || page.contains("Ana's laptop"),
        "{page}"
    );
    assert_eq!(passkey_ids(&page).len(), 1);
    assert!(page.contains("never"), "not used yet: {page}");
    assert!(
        !String::from_utf8_lossy(&all_bytes(app.data_dir.path())).contains("Ana's laptop"),
        "the passkey's name is sealed at rest"
    );
    c.post("/logout", &[]).await;

    // The password, then the passkey.
    app.clock.advance_ms(MIN);
    let response = second_step(&app, &mut c, &user.email, &key).await;
    assert_signed_in(&mut c, response).await;
    let (_, _, page) = c.get("/account").await;
    assert!(!page.contains("never"), "last use shown: {page}");
    c.post("/logout", &[]).await;

    // No password at all.
    let (_, _, response) = sign_in(&app, &mut c, &key).await;
    assert_signed_in(&mut c, response).await;

    // Removing asks for the password.
    let (_, _, page) = c.get("/account").await;
    let remove = format!("/account/passkeys/{}/remove", passkey_ids(&page)[0]);
    let (s, _, body) = c.post(&remove, &[("password", "wrong password!")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("password is wrong"));
    let (s, location, _) = c.post(&remove, &[("password", PASSWORD)]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/account"));
    let (_, _, page) = c.get("/account").await;
    assert!(passkey_ids(&page).is_empty(), "{page}");
    assert_eq!(
        c.post(&remove, &[("password", PASSWORD)]).await.0,
        StatusCode::NOT_FOUND
    );
    c.post("/logout", &[]).await;

    // A removed passkey no longer signs in, and the password alone does again.
    let (_, _, (s, _, body)) = sign_in(&app, &mut c, &key).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body.contains("That passkey was not accepted."), "{body}");
    let (s, location, _) = c.password_step(&user.email, PASSWORD).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/sites"));
}

#[tokio::test]
async fn an_admin_with_only_a_passkey_satisfies_the_requirement_until_it_is_removed() {
    let app = spawn_app().await;
    let admin = app.admin_without_totp("adm@example.com");

    let mut c = WebClient::at(&origin(&app));
    c.password_step(&admin.email, PASSWORD).await;
    let (s, location, _) = c.get("/sites").await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/account/totp")
    );
    let (_, _, page) = c.get("/account/totp").await;
    assert!(page.contains("or add a passkey"), "{page}");
    let mut key = SoftPasskey::new();
    let (next, codes) = enrol_with_codes(&app, &mut c, &mut key, "Key").await;
    assert_eq!(next, "/sites", "on to the dashboard, after the codes");
    assert_eq!(codes.len(), 10);
    assert_eq!(c.get("/sites").await.0, StatusCode::OK, "no TOTP needed");
    c.post("/logout", &[]).await;

    // The second step offers the passkey, and a recovery code for whoever
    // lost it (the app's 6-digit code isn't mentioned: there is no app).
    let (s, location, body) = second_step(&app, &mut c, &admin.email, &key).await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/sites"),
        "{body}"
    );
    let page = again_to_second_step(&mut c, &admin.email).await;
    assert!(page.contains(r#"name="code""#), "{page}");
    assert!(page.contains("if you lost them, enter one of your recovery codes"));
    assert!(!page.contains("authenticator app"), "{page}");

    // The passkey lost: a recovery code signs in, once.
    let (s, location, body) = c.post("/login/totp", &[("code", &codes[3])]).await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/sites"),
        "{body}"
    );
    again_to_second_step(&mut c, &admin.email).await;
    let (s, _, _) = c.post("/login/totp", &[("code", &codes[3])]).await;
    assert_ne!(s, StatusCode::SEE_OTHER, "a used recovery code");
    let (s, location, _) = c.post("/login/totp", &[("code", &codes[4])]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/sites"));
    // A second passkey comes without new codes.
    let (_, more) = enrol_with_codes(&app, &mut c, &mut SoftPasskey::new(), "Spare").await;
    assert!(more.is_empty());
    let (_, _, page) = c.get("/account").await;
    let spare = format!("/account/passkeys/{}/remove", passkey_ids(&page)[1]);
    let (s, _, _) = c.post(&spare, &[("password", PASSWORD)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    // Removing the last factor sends the admin back to enrolment, and its
    // recovery codes go with it.
    let (_, _, page) = c.get("/account").await;
    let ids = passkey_ids(&page);
    assert_eq!(ids.len(), 1, "{page}");
    let remove = format!("/account/passkeys/{}/remove", ids[0]);
    let (s, location, _) = c.post(&remove, &[("password", PASSWORD)]).await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/account/totp")
    );
    let (s, location, _) = c.get("/sites").await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/account/totp")
    );
    c.post("/logout", &[]).await;
    let (s, location, _) = c.password_step(&admin.email, PASSWORD).await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/sites"),
        "no second step without a factor"
    );
}

#[tokio::test]
async fn with_a_passkey_left_an_admin_may_turn_totp_off() {
    let app = spawn_app().await;
    let admin = acme_user(&app, "adm@example.com", Role::Admin);
    let mut c = client(&app, &admin).await;
    let (s, _, body) = c
        .post("/account/totp/disable", &[("password", PASSWORD)])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "the only factor stays");
    assert!(body.contains("requires two-factor"));
    enrol(&app, &mut c, &mut SoftPasskey::new(), "Phone").await;
    c.get("/account").await;
    let (s, location, _) = c
        .post("/account/totp/disable", &[("password", PASSWORD)])
        .await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/account"));
    assert_eq!(c.get("/sites").await.0, StatusCode::OK);
    // The recovery codes stay: they stand in for the passkey now.
    let page = again_to_second_step(&mut c, &admin.email).await;
    assert!(page.contains(r#"name="code""#), "{page}");
    assert!(page.contains("enter one of your recovery codes"), "{page}");
}
