//! `X-Forwarded-Proto` and `X-Forwarded-Host` count only from
//! `server.trusted_proxies`: from anyone else they neither mark cookies
//! `Secure`, nor change the host a form's `Origin` must name, nor the origin
//! of the tracking snippet. The test client connects from 127.0.0.1, which
//! the default test settings trust; "untrusted" apps trust 10.0.0.0/8 only.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use reqwest::{RequestBuilder, StatusCode};
use touchpoint::domain::Role;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::process::cmd;
use crate::web::{PASSWORD, WebClient};

const SPOOFED: &[(&str, &str)] = &[
    ("x-forwarded-proto", "https"),
    ("x-forwarded-host", "evil.example"),
];

async fn untrusted() -> TestApp {
    spawn_app_with(&[("TOUCHPOINT__SERVER__TRUSTED_PROXIES", "10.0.0.0/8")]).await
}

/// `host:port` the test client really connects to.
fn real_host(app: &TestApp) -> &str {
    app.url.trim_start_matches("http://")
}

fn with(mut req: RequestBuilder, headers: &[(&str, &str)]) -> RequestBuilder {
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req
}

/// Posts the login form of a new analyst (no second factor) with `headers`;
/// returns the status and the cookies set.
async fn log_in_with(app: &TestApp, email: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
    app.user(
        email,
        Role::Analyst,
        touchpoint::store::WorkspaceChoice::Existing(app.acme()),
    );
    let mut c = WebClient::new(app);
    c.get("/login").await;
    let token = c.csrf.clone().unwrap();
    let req = c.client.post(format!("{}/login", app.url)).form(&[
        ("email", email),
        ("password", PASSWORD),
        ("csrf", &token),
    ]);
    let r = with(req, headers).send().await.unwrap();
    let cookies = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    (r.status(), cookies)
}

/// The `Set-Cookie` of `GET /login` (the pre-login CSRF cookie) with `headers`.
async fn prelogin_cookie_with(app: &TestApp, headers: &[(&str, &str)]) -> String {
    let req = reqwest::Client::new().get(format!("{}/login", app.url));
    let r = with(req, headers).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.headers()["set-cookie"].to_str().unwrap().to_owned()
}

/// A logged-in admin of example.com.
async fn admin(app: &TestApp) -> WebClient {
    app.member("adam@acme.test", Role::Admin, app.acme())
        .await
        .0
}

/// A page fetched by `c` with `headers`.
async fn page_with(c: &WebClient, path: &str, headers: &[(&str, &str)]) -> String {
    let req = c.client.get(format!("{}{path}", c.base));
    let r = with(req, headers).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn an_untrusted_peers_forwarded_proto_does_not_make_cookies_secure() {
    let app = untrusted().await;
    let (status, cookies) = log_in_with(&app, "ana@acme.test", SPOOFED).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{cookies}");
    assert!(cookies.contains("tp_session="), "{cookies}");
    assert!(!cookies.contains("Secure"), "{cookies}");
    let prelogin = prelogin_cookie_with(&app, SPOOFED).await;
    assert!(
        prelogin.starts_with("tp_csrf=") && !prelogin.contains("Secure"),
        "{prelogin}"
    );
}

#[tokio::test]
async fn a_trusted_proxys_forwarded_proto_makes_cookies_secure() {
    let app = spawn_app().await;
    let (status, cookies) = log_in_with(&app, "ana@acme.test", SPOOFED).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{cookies}");
    assert!(
        cookies.contains("tp_session=") && cookies.contains("Secure"),
        "{cookies}"
    );
    let prelogin = prelogin_cookie_with(&app, SPOOFED).await;
    assert!(prelogin.contains("Secure"), "{prelogin}");
}

#[tokio::test]
async fn an_untrusted_peers_forwarded_host_does_not_pass_the_csrf_origin_check() {
    let app = untrusted().await;
    let forged = [SPOOFED, &[("origin", "https://evil.example")]].concat();
    let (status, _) = log_in_with(&app, "ana@acme.test", &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The same form from the page's real origin goes through.
    let real = format!("http://{}", real_host(&app));
    let honest = [SPOOFED, &[("origin", real.as_str())]].concat();
    let (status, _) = log_in_with(&app, "bo@acme.test", &honest).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_trusted_proxys_forwarded_host_is_the_host_the_origin_must_name() {
    let app = spawn_app().await;
    let proxied = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "analytics.example.com"),
    ];
    let browser = [&proxied[..], &[("origin", "https://analytics.example.com")]].concat();
    let (status, _) = log_in_with(&app, "ana@acme.test", &browser).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let other = [&proxied[..], &[("origin", "https://evil.example")]].concat();
    let (status, _) = log_in_with(&app, "bo@acme.test", &other).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_snippet_shows_the_real_host_not_one_an_untrusted_peer_forwarded() {
    let app = untrusted().await;
    let c = admin(&app).await;
    let want = format!("http://{}/js/tp.js", real_host(&app));
    let settings = page_with(&c, "/sites/example.com/settings", SPOOFED).await;
    assert!(settings.contains(&want), "{settings}");
    assert!(!settings.contains("evil.example"), "{settings}");
    // The overview of a site with no data yet shows the snippet too.
    let overview = page_with(&c, "/sites/example.com", SPOOFED).await;
    assert!(overview.contains(&want), "{overview}");
    assert!(!overview.contains("evil.example"), "{overview}");
}

#[tokio::test]
async fn the_snippet_shows_the_host_and_scheme_a_trusted_proxy_forwarded() {
    let app = spawn_app().await;
    let c = admin(&app).await;
    let proxied = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "analytics.example.com"),
    ];
    let settings = page_with(&c, "/sites/example.com/settings", &proxied).await;
    assert!(
        settings.contains("https://analytics.example.com/js/tp.js"),
        "{settings}"
    );
}

#[tokio::test]
async fn a_configured_public_url_is_the_snippets_origin_and_an_accepted_form_origin() {
    let app = spawn_app_with(&[
        ("TOUCHPOINT__SERVER__TRUSTED_PROXIES", "10.0.0.0/8"),
        (
            "TOUCHPOINT__SERVER__PUBLIC_URL",
            "https://stats.example.org",
        ),
    ])
    .await;
    let c = admin(&app).await;
    let settings = page_with(&c, "/sites/example.com/settings", SPOOFED).await;
    assert!(
        settings.contains("https://stats.example.org/js/tp.js"),
        "{settings}"
    );
    assert!(!settings.contains("evil.example"), "{settings}");
    let origin = [("origin", "https://stats.example.org")];
    let (status, _) = log_in_with(&app, "ana@acme.test", &origin).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn serve_prints_the_setup_link_on_the_configured_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = cmd(dir.path())
        .env(
            "TOUCHPOINT__SERVER__PUBLIC_URL",
            "https://stats.example.org/",
        )
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let setup = lines.next().unwrap().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        first.starts_with("listening on http://127.0.0.1:"),
        "{first}"
    );
    assert!(
        setup.contains(" at https://stats.example.org/setup?token="),
        "{first} / {setup}"
    );
}
