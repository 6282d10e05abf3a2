//! Passkeys in real Chromium with a virtual authenticator (the W3C WebAuthn
//! WebDriver extension: a platform authenticator holding discoverable
//! credentials, its user always verified): adding one on the account page,
//! signing in with the password and the passkey, signing in with the passkey
//! alone, removing it (after which it no longer works), and an admin whose
//! required second factor is a passkey.

use fantoccini::{Client, Locator, wd::WebDriverCompatibleCommand};
use touchpoint::domain::Role;

use crate::{
    browser::Browser,
    helpers::{TestApp, spawn_app},
    passkeys::{acme_user, origin},
    ui_steps::{click, text_of, type_into, wait_for, wait_url},
    web::PASSWORD,
};

/// `POST /session/{id}/webauthn/authenticator`: a CTAP2 platform authenticator
/// that stores discoverable credentials and verifies its user.
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.expect("a WebDriver session");
        base_url.join(&format!("session/{session}/webauthn/authenticator"))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Chromium with a virtual authenticator.
async fn browser() -> Browser {
    let browser = Browser::start()
        .await
        .expect("chromium and chromedriver (apt-get install chromium chromium-driver)");
    browser
        .client
        .issue_cmd(AddVirtualAuthenticator)
        .await
        .expect("a virtual authenticator");
    browser
}

async fn goto(c: &Client, app: &TestApp, path: &str) {
    c.goto(&format!("{}{path}", origin(app))).await.unwrap();
}

/// Types the email and password on the login page and submits them.
async fn password(c: &Client, app: &TestApp, email: &str) {
    goto(c, app, "/login").await;
    type_into(c, "input[name=email]", email).await;
    type_into(c, "input[name=password]", PASSWORD).await;
    click(c, "main form button[type=submit]").await;
}

/// Clicks the passkey button of the page's passkey form.
async fn use_passkey(c: &Client) {
    wait_for(
        c,
        "a passkey form",
        "form[data-passkey] button[type=submit]",
    )
    .await;
    click(c, "form[data-passkey] button[type=submit]").await;
}

/// Names and adds a passkey with the page's add form.
async fn add_passkey(c: &Client, name: &str) {
    wait_for(
        c,
        "the add form",
        "form[data-passkey=create] input[name=name]",
    )
    .await;
    type_into(c, "form[data-passkey=create] input[name=name]", name).await;
    use_passkey(c).await;
}

/// Removes the account page's first passkey (password, then the confirm dialog).
async fn remove_first_passkey(c: &Client, app: &TestApp) {
    goto(c, app, "/account").await;
    type_into(c, "tr.passkey-row input[name=password]", PASSWORD).await;
    click(c, "tr.passkey-row button[type=submit]").await;
    c.accept_alert().await.expect("the confirm dialog");
}

async fn log_out(c: &Client, app: &TestApp) {
    click(c, "header.top form button[type=submit]").await;
    wait_url(c, "logged out", |u| u.path() == "/login").await;
    goto(c, app, "/login").await;
}

#[tokio::test]
async fn a_passkey_added_in_chromium_signs_in_with_or_without_the_password_until_removed() {
    let app = spawn_app().await;
    let user = acme_user(&app, "ana@example.com", Role::Analyst);
    let b = browser().await;
    let c = &b.client;

    password(c, &app, &user.email).await;
    wait_url(c, "logged in", |u| u.path() == "/sites").await;
    goto(c, &app, "/account").await;
    // A refused request's message is shown by the form (here: a blank name).
    let name = "form[data-passkey=create] input[name=name]";
    add_passkey(c, "   ").await;
    let problem = "form[data-passkey=create] .passkey-problem:not([hidden])";
    wait_for(c, "the refusal of a blank name", problem).await;
    assert!(text_of(c, problem).await.contains("name must be 1 to 60"));
    c.find(Locator::Css(name))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    add_passkey(c, "Chromium").await;
    // The first factor of the account: its recovery codes, shown once.
    wait_for(c, "the recovery codes", "#recovery-codes").await;
    assert_eq!(
        text_of(c, "#recovery-codes")
            .await
            .split_whitespace()
            .count(),
        10
    );
    click(c, "#recovery-actions a.continue").await;
    wait_for(c, "the new passkey", "#passkeys td.passkey-name").await;
    assert_eq!(text_of(c, "#passkeys td.passkey-name").await, "Chromium");
    b.screenshot("passkeys-1-listed").await.unwrap();
    log_out(c, &app).await;

    password(c, &app, &user.email).await;
    wait_url(c, "the second step", |u| u.path() == "/login/totp").await;
    wait_for(c, "the passkey button", "form[data-passkey] button").await;
    b.screenshot("passkeys-2-second-step").await.unwrap();
    use_passkey(c).await;
    wait_url(c, "password and passkey", |u| u.path() == "/sites").await;
    log_out(c, &app).await;

    use_passkey(c).await;
    wait_url(c, "passkey alone", |u| u.path() == "/sites").await;

    remove_first_passkey(c, &app).await;
    for _ in 0..200 {
        if c.find(Locator::Css("tr.passkey-row")).await.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(text_of(c, "#passkeys").await.contains("None yet."));
    log_out(c, &app).await;

    // The device still offers it; the server no longer takes it.
    use_passkey(c).await;
    wait_for(c, "the refusal", "main > p.error").await;
    assert_eq!(
        text_of(c, "main > p.error").await,
        "That passkey was not accepted."
    );
    b.screenshot("passkeys-3-refused").await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/login/passkey");
    password(c, &app, &user.email).await;
    wait_url(c, "password alone again", |u| u.path() == "/sites").await;
    b.close().await.unwrap();
}

#[tokio::test]
async fn an_admin_enrols_a_passkey_instead_of_totp_in_chromium() {
    let app = spawn_app().await;
    let admin = app.admin_without_totp("adm@example.com");
    let b = browser().await;
    let c = &b.client;

    password(c, &app, &admin.email).await;
    wait_url(c, "sent to enrol", |u| u.path() == "/account/totp").await;
    add_passkey(c, "Security key").await;
    wait_for(c, "the recovery codes", "#recovery-codes").await;
    click(c, "#recovery-actions a.continue").await;
    wait_url(c, "on to the dashboard", |u| u.path() == "/sites").await;
    goto(c, &app, "/sites/example.com").await;
    wait_url(c, "the site, not enrolment", |u| {
        u.path() == "/sites/example.com"
    })
    .await;
    log_out(c, &app).await;

    password(c, &app, &admin.email).await;
    wait_url(c, "the second step", |u| u.path() == "/login/totp").await;
    use_passkey(c).await;
    wait_url(c, "signed in with the passkey", |u| u.path() == "/sites").await;

    remove_first_passkey(c, &app).await;
    wait_url(c, "back to enrolment", |u| u.path() == "/account/totp").await;
    assert!(text_of(c, "main").await.contains("requires two-factor"));
    b.close().await.unwrap();
}
