//! The public opt-out page: it records a decline (mechanism `optout`) in the
//! site's consent log, withdraws identifiers kept under the browser's
//! first-party id, and honours Global Privacy Control on sight, once.

use serde_json::json;
use touchpoint::{
    domain::{ConsentMode, SiteId},
    ingest::identity::{Decision, Mechanism},
    privacy::ids,
};

use crate::{
    helpers::{CHROME, spawn_app},
    web::WebClient,
};

const UID: &str = "optout-uid-0001-abcdef";

#[tokio::test]
async fn a_visitor_opts_out_and_their_identifiers_are_withdrawn() {
    let app = spawn_app().await;
    app.edit_site(|s| s.consent_mode = ConsentMode::CookielessUntilConsent);
    let send = |body: serde_json::Value| {
        let app = &app;
        async move {
            app.post_raw(
                &body.to_string(),
                CHROME,
                &[("x-forwarded-for", "198.51.100.9")],
            )
            .await
        }
    };
    let base =
        |n: &str| json!({"n": n, "u": "https://example.com/", "d": "example.com", "uid": UID});
    let mut accept = base("consent");
    accept["c"] = json!({"d": "accept", "v": "1", "m": "banner"});
    let r = send(accept).await;
    assert_eq!(r.status().as_u16(), 202, "{:?}", r.text().await);
    let r = send(base("pageview")).await;
    assert!(
        r.headers().get("x-touchpoint-refused").is_none(),
        "accepted: the id is kept"
    );
    let subject = ids::consent_subject(&app.state.auth.keys, SiteId(1), UID);
    assert!(
        app.state
            .store
            .has_consent(SiteId(1), &subject, "1")
            .unwrap()
    );

    // The page, as served from the site's domain: the browser has its id cookie.
    let mut web = WebClient::new(&app);
    let (status, _, page) = web.get("/optout/nope.example").await;
    assert_eq!(status, 404, "{page}");
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(&format!("_tp_uid={UID}"), &app.url.parse().unwrap());
    let browser = reqwest::Client::builder()
        .cookie_provider(jar)
        .build()
        .unwrap();
    let page = browser
        .get(format!("{}/optout/example.com", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Do Not Sell or Share") && page.contains(">Opt out</button>"),
        "{page}"
    );
    let csrf = crate::web::csrf_of(&page).unwrap();
    let res = browser
        .post(format!("{}/optout/example.com", app.url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let set: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(set.iter().any(|c| c.starts_with("_tp_optout=1")), "{set:?}");
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("this browser is opted out")
    );

    let log = app.state.store.consent_log(SiteId(1)).unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.decision, last.mechanism),
        (Decision::Decline, Mechanism::OptOut)
    );
    assert_eq!(last.subject, hex::encode(subject));
    assert!(
        !app.state
            .store
            .has_consent(SiteId(1), &subject, "1")
            .unwrap()
    );
    let r = send(base("pageview")).await;
    assert_eq!(
        r.headers().get("x-touchpoint-refused").unwrap(),
        "uid",
        "after the opt-out the id is refused"
    );

    // Without the form's token nothing is recorded.
    let before = app.state.store.consent_log(SiteId(1)).unwrap().len();
    let mut other = WebClient::new(&app);
    let (status, _, _) = other.post("/optout/example.com", &[("csrf", "0")]).await;
    assert_eq!(status, 403);
    assert_eq!(
        app.state.store.consent_log(SiteId(1)).unwrap().len(),
        before
    );
}

#[tokio::test]
async fn a_get_records_nothing_even_with_global_privacy_control() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    for _ in 0..3 {
        let page = client
            .get(format!("{}/optout/example.com", app.url))
            .header("sec-gpc", "1")
            .header("user-agent", CHROME)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("Global Privacy Control") && page.contains(">Opt out</button>"),
            "{page}"
        );
    }
    assert!(
        app.state.store.consent_log(SiteId(1)).unwrap().is_empty(),
        "no write on GET"
    );
}
