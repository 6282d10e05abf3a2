//! Two-factor authentication and login sessions over HTTP: TOTP enrolment
//! (one pending key per account until confirmed) and login, recovery codes,
//! required enrolment for admins, session lists, revocation and idle expiry.

use reqwest::StatusCode;
use touchpoint::{auth::totp, domain::Role, store::WorkspaceChoice};

use crate::{
    accounts::capture,
    helpers::{MIN, spawn_app},
    web::{PASSWORD, WebClient},
};

#[tokio::test]
async fn totp_enrolment_then_login_needs_a_code_and_recovery_codes_work_once() {
    let app = spawn_app().await;
    let (mut c, user) = app
        .member("ana@example.com", Role::Analyst, app.acme())
        .await;
    let (s, _, page) = c.get("/account/totp").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<svg"), "QR code shown");
    let secret_b32 = capture(r#"name="secret" value="([A-Z2-7]+)""#, &page);
    let secret = totp::secret_from_base32(&secret_b32).unwrap();
    let (s, _, _) = c
        .post(
            "/account/totp",
            &[("secret", &secret_b32), ("code", "000000")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let code = totp::code_at(&secret, app.clock.now_ms());
    let (s, _, page) = c
        .post("/account/totp", &[("secret", &secret_b32), ("code", &code)])
        .await;
    assert_eq!(s, StatusCode::OK);
    let recovery: Vec<String> = regex::Regex::new(r"\b[0-9a-f]{5}-[0-9a-f]{5}\b")
        .unwrap()
        .find_iter(&page)
        .map(|m| m.as_str().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10, "{page}");
    c.post("/logout", &[]).await;

    let (s, location, _) = c.password_step(&user.email, PASSWORD).await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/login/totp?next=%2Fsites")
    );
    let (s, _, _) = c.get("/sites").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "half-logged-in is not logged in");
    c.get("/login/totp").await;
    let (s, _, _) = c.post("/login/totp", &[("code", "123456")]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.clock.advance_ms(MIN);
    let code = totp::code_at(&secret, app.clock.now_ms());
    let (s, location, _) = c.post("/login/totp", &[("code", &code)]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/sites"));
    assert_eq!(c.get("/sites").await.0, StatusCode::OK);
    c.post("/logout", &[]).await;

    // The same code can't be used twice, even within its window.
    c.password_step(&user.email, PASSWORD).await;
    c.get("/login/totp").await;
    let (s, _, _) = c.post("/login/totp", &[("code", &code)]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "replayed code");
    c.post("/logout", &[]).await;

    for (attempt, want) in [(0, StatusCode::SEE_OTHER), (1, StatusCode::UNAUTHORIZED)] {
        c.password_step(&user.email, PASSWORD).await;
        c.get("/login/totp").await;
        let (s, _, _) = c.post("/login/totp", &[("code", &recovery[0])]).await;
        assert_eq!(s, want, "use {attempt} of a recovery code");
        c.post("/logout", &[]).await;
    }
}

#[tokio::test]
async fn admins_must_enrol_before_using_the_dashboard() {
    let app = spawn_app().await;
    let admin = app.admin_without_totp("adm@example.com");
    let mut c = WebClient::new(&app);
    let (s, _, _) = c.password_step(&admin.email, PASSWORD).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    for path in [
        "/sites",
        "/sites/example.com",
        &format!("/workspaces/{}", app.acme()),
    ] {
        let (s, location, _) = c.get(path).await;
        assert_eq!(
            (s, location.as_str()),
            (StatusCode::SEE_OTHER, "/account/totp"),
            "{path}"
        );
    }
    let (s, _, page) = c.get("/account/totp").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("requires two-factor"));
    let secret_b32 = capture(r#"name="secret" value="([A-Z2-7]+)""#, &page);
    let code = totp::code_at(
        &totp::secret_from_base32(&secret_b32).unwrap(),
        app.clock.now_ms(),
    );
    assert_eq!(
        c.post("/account/totp", &[("secret", &secret_b32), ("code", &code)])
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(c.get("/sites").await.0, StatusCode::OK);
    // And can't turn it off again.
    let (s, _, body) = c
        .post("/account/totp/disable", &[("password", PASSWORD)])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("requires two-factor"));
}

#[tokio::test]
async fn sessions_are_listed_revocable_and_expire_when_idle() {
    let app = spawn_app().await;
    let user = app.user(
        "ana@example.com",
        Role::Analyst,
        WorkspaceChoice::Existing(app.acme()),
    );
    let mut a = WebClient::new(&app);
    a.login(&app, &user).await;
    let mut b = WebClient::new(&app);
    b.login(&app, &user).await;
    let (_, _, page) = a.get("/account").await;
    let ids: Vec<String> = regex::Regex::new(r"/account/sessions/([0-9a-f]{16})/revoke")
        .unwrap()
        .captures_iter(&page)
        .map(|c| c[1].to_owned())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "the other session can be revoked, this one is marked: {page}"
    );
    assert!(page.contains("this session"));
    let (s, _, _) = a
        .post(&format!("/account/sessions/{}/revoke", ids[0]), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/sites").await.0, StatusCode::SEE_OTHER, "revoked");
    assert_eq!(a.get("/sites").await.0, StatusCode::OK);

    b.login(&app, &user).await;
    let (s, location, _) = a.post("/account/logout-everywhere", &[]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/login"));
    assert_eq!(a.get("/sites").await.0, StatusCode::SEE_OTHER);
    assert_eq!(b.get("/sites").await.0, StatusCode::SEE_OTHER);

    a.login(&app, &user).await;
    app.clock.advance_ms(719 * MIN);
    assert_eq!(
        a.get("/sites").await.0,
        StatusCode::OK,
        "used within the idle window"
    );
    app.clock.advance_ms(721 * MIN);
    assert_eq!(
        a.get("/sites").await.0,
        StatusCode::SEE_OTHER,
        "idle for longer than session_idle_minutes"
    );
}

#[tokio::test]
async fn the_two_factor_setup_page_keeps_its_key_across_reloads_until_a_new_one_is_asked_for() {
    let app = spawn_app().await;
    let (mut c, user) = app
        .member("ana@example.com", Role::Analyst, app.acme())
        .await;
    let secret_of = |page: &str| capture(r#"id="totp-secret">([A-Z2-7]+)<"#, page);
    let (_, _, first) = c.get("/account/totp").await;
    let (_, _, second) = c.get("/account/totp").await;
    let scanned = secret_of(&first);
    assert_eq!(secret_of(&second), scanned, "a reload shows the same key");
    assert!(
        second.contains(&capture(r#"(?s)(<svg.*?</svg>)"#, &first)),
        "and the same QR code"
    );
    // Kept sealed: its bytes are nowhere in the store file.
    let raw = totp::secret_from_base32(&scanned).unwrap();
    let rec = app.state.store.user(user.id).unwrap().unwrap();
    assert!(rec.totp_pending_sealed.is_some() && rec.totp_sealed.is_none());
    app.state.store.probe_write().unwrap();
    let file = std::fs::read(app.data_dir.path().join(touchpoint::store::FILE_NAME)).unwrap();
    assert!(!file.windows(raw.len()).any(|w| w == raw.as_slice()));
    assert!(!file.windows(scanned.len()).any(|w| w == scanned.as_bytes()));

    // Asking for a new key replaces it; the old one's codes stop working.
    let (s, location, _) = c.post("/account/totp/new", &[]).await;
    assert_eq!(
        (s, location.as_str()),
        (StatusCode::SEE_OTHER, "/account/totp")
    );
    let (_, _, page) = c.get("/account/totp").await;
    let renewed = secret_of(&page);
    assert_ne!(renewed, scanned);
    let old_code = totp::code_at(&raw, app.clock.now_ms());
    let (s, _, page) = c
        .post(
            "/account/totp",
            &[("secret", &scanned), ("code", &old_code)],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("replaced"), "the stale page says why: {page}");
    assert_eq!(secret_of(&page), renewed, "and shows the current key");
    let (s, _, _) = c.post("/account/totp", &[("code", &old_code)]).await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "the old key's code doesn't confirm"
    );

    let new_raw = totp::secret_from_base32(&renewed).unwrap();
    let code = totp::code_at(&new_raw, app.clock.now_ms());
    let (s, _, page) = c
        .post("/account/totp", &[("secret", &renewed), ("code", &code)])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Two-factor authentication is on"));
    let rec = app.state.store.user(user.id).unwrap().unwrap();
    assert_eq!(app.state.auth.totp_secret(&rec), Some(new_raw));
    assert!(rec.totp_pending_sealed.is_none(), "no pending key is left");
    assert_eq!(
        c.get("/account/totp").await.1,
        "/account",
        "nothing left to set up"
    );
    assert_eq!(c.post("/account/totp/new", &[]).await.1, "/account");
    assert!(
        app.state
            .store
            .user(user.id)
            .unwrap()
            .unwrap()
            .totp_pending_sealed
            .is_none()
    );
}

#[tokio::test]
async fn a_pending_two_factor_key_is_resealed_by_a_rekey() {
    let app = spawn_app().await;
    let (mut c, user) = app
        .member("ana@example.com", Role::Analyst, app.acme())
        .await;
    c.get("/account/totp").await;
    let want = touchpoint::privacy::aad::user_totp_pending(user.id.0);
    let mut seen = Vec::new();
    app.state
        .store
        .reseal(
            touchpoint::store::SealedTable::Users,
            &mut |aads, _| {
                seen.extend(aads.iter().cloned());
                Ok(None)
            },
            &mut || {},
        )
        .unwrap();
    assert!(seen.contains(&want), "the registry lists the pending key");
}
