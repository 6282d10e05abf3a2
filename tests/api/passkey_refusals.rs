//! Passkey answers the server refuses: a replayed one, one given after its
//! challenge expired, one finished by another browser, another account's
//! passkey at the second step or presenting another account's user handle,
//! and forms without their CSRF token; failed passwordless sign-ins are
//! throttled like passwords.

use reqwest::StatusCode;
use touchpoint::{auth::CEREMONY_MS, domain::Role};

use crate::{
    helpers::{TestApp, spawn_app, spawn_app_with},
    passkeys::{
        acme_user, answer, assert_signed_in, begin, client, enrol, origin, passkey_ids, sign_in,
    },
    soft_passkey::SoftPasskey,
    web::{PASSWORD, TestUser, WebClient},
};

/// An analyst with one passkey, logged out; their client and key.
async fn analyst_with_a_passkey(app: &TestApp, email: &str) -> (WebClient, TestUser, SoftPasskey) {
    let user = acme_user(app, email, Role::Analyst);
    let mut c = client(app, &user).await;
    let mut key = SoftPasskey::new();
    enrol(app, &mut c, &mut key, "Laptop").await;
    c.post("/logout", &[]).await;
    (c, user, key)
}

#[tokio::test]
async fn a_replayed_passkey_answer_is_refused() {
    let app = spawn_app().await;
    let (mut c, _, key) = analyst_with_a_passkey(&app, "ana@example.com").await;
    let (started, given, response) = sign_in(&app, &mut c, &key).await;
    assert_signed_in(&mut c, response).await;
    c.post("/logout", &[]).await;
    assert_eq!(c.get("/sites").await.0, StatusCode::SEE_OTHER, "logged out");

    c.get("/login").await;
    let (s, _, body) = answer(&mut c, "/login/passkey", &started, &given).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the same ceremony again: {body}"
    );
    assert!(body.contains("That passkey was not accepted."));
    let fresh = begin(&mut c, "/login/passkey/begin", &[]).await;
    let (s, _, _) = answer(&mut c, "/login/passkey", &fresh, &given).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "an old answer to a new challenge"
    );
    assert_eq!(
        c.get("/sites").await.0,
        StatusCode::SEE_OTHER,
        "not logged in"
    );
}

#[tokio::test]
async fn a_passkey_answer_after_its_challenge_expired_is_refused() {
    let app = spawn_app().await;
    let (mut c, _, key) = analyst_with_a_passkey(&app, "ana@example.com").await;
    c.get("/login").await;
    let started = begin(&mut c, "/login/passkey/begin", &[]).await;
    app.clock.advance_ms(CEREMONY_MS);
    let given = key.get(&started, &origin(&app));
    let (s, _, _) = answer(&mut c, "/login/passkey", &started, &given).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "sign-in after {CEREMONY_MS} ms"
    );

    let started = begin(&mut c, "/login/passkey/begin", &[]).await;
    app.clock.advance_ms(CEREMONY_MS - 1000);
    let given = key.get(&started, &origin(&app));
    let (s, location, _) = answer(&mut c, "/login/passkey", &started, &given).await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/sites"),
        "in time"
    );

    // Adding a passkey expires the same way.
    c.get("/account").await;
    let started = begin(&mut c, "/account/passkeys/begin", &[("name", "Late")]).await;
    app.clock.advance_ms(CEREMONY_MS);
    let made = SoftPasskey::new().create(&started, &origin(&app));
    let (s, _, body) = answer(&mut c, "/account/passkeys", &started, &made).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("expired"), "{body}");
    assert_eq!(
        passkey_ids(&body).len(),
        1,
        "only the first passkey: {body}"
    );
}

#[tokio::test]
async fn another_accounts_passkey_or_browser_is_refused() {
    let app = spawn_app().await;
    let (_, _, mut ana_key) = analyst_with_a_passkey(&app, "ana@example.com").await;
    let (mut c, bob, bob_key) = analyst_with_a_passkey(&app, "bob@example.com").await;

    // At Bob's second step, Ana's passkey doesn't count.
    c.password_step(&bob.email, PASSWORD).await;
    c.get("/login/totp").await;
    let started = begin(&mut c, "/login/totp/passkey/begin", &[]).await;
    let given = ana_key.get(&started, &origin(&app));
    let (s, _, body) = answer(&mut c, "/login/totp/passkey", &started, &given).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("That passkey was not accepted."));
    let (s, location, _) = c.get("/sites").await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/login/totp")
    );
    let started = begin(&mut c, "/login/totp/passkey/begin", &[]).await;
    let given = bob_key.get(&started, &origin(&app));
    let (s, location, _) = answer(&mut c, "/login/totp/passkey", &started, &given).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/sites"));
    assert_eq!(c.get("/sites").await.0, StatusCode::OK);
    c.post("/logout", &[]).await;
    assert_eq!(c.get("/sites").await.0, StatusCode::SEE_OTHER, "logged out");

    // Ana's passkey presenting Bob's user handle.
    ana_key.user_handle = bob_key.user_handle.clone();
    let (_, _, (s, _, _)) = sign_in(&app, &mut c, &ana_key).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // A ceremony another browser started.
    let mut other = WebClient::at(&origin(&app));
    other.get("/login").await;
    let started = begin(&mut other, "/login/passkey/begin", &[]).await;
    let given = bob_key.get(&started, &origin(&app));
    c.get("/login").await;
    let (s, _, _) = answer(&mut c, "/login/passkey", &started, &given).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// A form post: which client, the path, its fields and what it does.
type Case<'a> = (usize, &'a str, &'a [(&'a str, &'a str)], &'a str);

#[tokio::test]
async fn passkey_forms_without_a_csrf_token_are_refused() {
    let app = spawn_app().await;
    let (mut logged_in, user, key) = analyst_with_a_passkey(&app, "ana@example.com").await;
    sign_in(&app, &mut logged_in, &key).await;
    let (_, _, page) = logged_in.get("/account").await;
    let remove = format!("/account/passkeys/{}/remove", passkey_ids(&page)[0]);
    let mut fresh = WebClient::at(&origin(&app));
    fresh.get("/login").await;
    let mut pending = WebClient::at(&origin(&app));
    pending.password_step(&user.email, PASSWORD).await;
    let mut clients = [logged_in, fresh, pending];
    let answer = [("ceremony", "0"), ("credential", "{}")];
    let cases: [Case<'_>; 7] = [
        (
            0,
            "/account/passkeys/begin",
            &[("name", "X")],
            "starting to add one",
        ),
        (0, "/account/passkeys", &answer, "adding one"),
        (0, &remove, &[("password", PASSWORD)], "removing one"),
        (1, "/login/passkey/begin", &[], "starting a sign-in"),
        (1, "/login/passkey", &answer, "signing in"),
        (
            2,
            "/login/totp/passkey/begin",
            &[],
            "starting the second step",
        ),
        (2, "/login/totp/passkey", &answer, "the second step"),
    ];
    let token = "0".repeat(64);
    for (who, path, fields, what) in cases {
        let (s, _, _) = clients[who].post_raw(path, fields).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{what} without a token");
        let mut wrong = fields.to_vec();
        wrong.push(("csrf", &token));
        let (s, _, _) = clients[who].post_raw(path, &wrong).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{what} with a wrong token");
    }
    let (_, _, page) = clients[0].get("/account").await;
    assert_eq!(passkey_ids(&page).len(), 1, "still there");
}

#[tokio::test]
async fn failed_passkey_sign_ins_are_throttled_like_passwords() {
    let app = spawn_app_with(&[("TOUCHPOINT__AUTH__MAX_FAILURES_PER_IP", "2")]).await;
    let mut c = WebClient::at(&origin(&app));
    let stranger = SoftPasskey::new();
    let (_, _, (s, _, _)) = sign_in(&app, &mut c, &stranger).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "an unknown passkey");
    let (_, _, (s, _, body)) = sign_in(&app, &mut c, &stranger).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body.contains("Too many failed attempts"));
    let (s, _, _) = c.post("/login/passkey/begin", &[]).await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "no new request while locked"
    );
}
