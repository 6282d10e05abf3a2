//! The tracker script in real headless Chromium on a test site: pageviews on
//! load and SPA navigation, a paid landing, queued, API and declarative
//! events, a purchase, and one retry after a 503. A small proxy in front of
//! `/api/event` records every request body and can answer 503; the numbers
//! are then checked in the Stats API.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use actix_web::{App, HttpResponse, HttpServer, web};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::{browser::Browser, helpers::spawn_app};

/// The test site: pages that load the tracker, and a recording proxy.
pub(crate) struct Site {
    pub url: String,
    pub bodies: Arc<Mutex<Vec<String>>>,
    pub fail_next: Arc<AtomicUsize>,
    /// Bodies Touchpoint answered with a 4xx (none should be).
    pub rejected: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone)]
struct SiteState {
    app: String,
    /// Script file and extra attributes of the tracker tag, and extra HTML for the head and body.
    script: (String, String, String, String),
    me: Arc<Mutex<String>>,
    bodies: Arc<Mutex<Vec<String>>>,
    fail_next: Arc<AtomicUsize>,
    rejected: Arc<Mutex<Vec<String>>>,
}

async fn page(s: web::Data<SiteState>) -> HttpResponse {
    let me = s.me.lock().unwrap().clone();
    let (file, attrs, head, body) = &s.script;
    let html = format!(
        r#"<!doctype html><html><head><title>Shop</title>{head}
<script>window.tp=window.tp||function(){{(tp.q=tp.q||[]).push(arguments)}};tp('event','Queued',{{k:'v'}});</script>
<script defer data-domain="example.com" data-api="{me}/api/event"{attrs} src="{app}/js/{file}"></script>
</head><body><h1>Shop</h1>
<button id="signup" data-tp-event="Signup" data-tp-prop-plan="pro"><span>Sign up</span></button>{body}
</body></html>"#,
        app = s.app
    );
    HttpResponse::Ok().content_type("text/html").body(html)
}

async fn proxy(s: web::Data<SiteState>, body: String) -> HttpResponse {
    s.bodies.lock().unwrap().push(body.clone());
    if s.fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .finish();
    }
    let r = reqwest::Client::new()
        .post(format!("{}/api/event", s.app))
        .header("user-agent", crate::helpers::CHROME)
        .header("x-forwarded-for", "203.0.113.50")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    if r.status().is_client_error() {
        s.rejected
            .lock()
            .unwrap()
            .push(format!("{}: {body}", r.status()));
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(r.status().as_u16()).unwrap())
        .finish()
}

/// A test site whose pages load `/js/{file}` with `attrs`, plus `head` and `body` HTML.
pub(crate) async fn site_with(
    app_url: &str,
    file: &str,
    attrs: &str,
    head: &str,
    body: &str,
) -> Site {
    let state = SiteState {
        app: app_url.to_owned(),
        script: (file.into(), attrs.into(), head.into(), body.into()),
        me: Arc::new(Mutex::new(String::new())),
        bodies: Arc::new(Mutex::new(Vec::new())),
        fail_next: Arc::new(AtomicUsize::new(0)),
        rejected: Arc::new(Mutex::new(Vec::new())),
    };
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/api/event", web::post().to(proxy))
            .default_service(web::get().to(page))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}", server.addrs()[0]);
    *state.me.lock().unwrap() = url.clone();
    tokio::spawn(server.run());
    Site {
        url,
        bodies: state.bodies,
        fail_next: state.fail_next,
        rejected: state.rejected,
    }
}

async fn site(app_url: &str) -> Site {
    site_with(app_url, "tp.js", "", "", "").await
}

impl Site {
    /// All recorded bodies, parsed.
    pub fn all(&self) -> Vec<Value> {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .map(|b| serde_json::from_str(b).unwrap())
            .collect()
    }

    /// Waits until `n` recorded bodies satisfy `pred`; returns all bodies.
    pub async fn wait_for(
        &self,
        what: &str,
        n: usize,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        for _ in 0..100 {
            let all: Vec<Value> = self
                .bodies
                .lock()
                .unwrap()
                .iter()
                .map(|b| serde_json::from_str(b).unwrap())
                .collect();
            if all.iter().filter(|b| pred(b)).count() >= n {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{what}: got {:?}", self.bodies.lock().unwrap());
    }
}

pub(crate) async fn js(c: &Client, code: &str) {
    c.execute(code, vec![]).await.unwrap();
}

#[tokio::test]
async fn the_tracker_counts_pageviews_spa_navigation_events_and_purchases_and_retries_once() {
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    let site = site(&app.url).await;
    let c = &browser.client;
    let landing = "/landing?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=abc";
    c.goto(&format!("{}{landing}", site.url)).await.unwrap();
    let is = |name: &'static str| move |b: &Value| b["n"] == name;
    let all = site.wait_for("pageview on load", 1, is("pageview")).await;
    let pv = all.iter().find(|b| b["n"] == "pageview").unwrap();
    assert_eq!(pv["u"], format!("{}{landing}", site.url));
    assert_eq!(pv["d"], "example.com");
    site.wait_for("the call queued before load", 1, is("Queued"))
        .await;

    // SPA navigation: pushState is a pageview, replaceState to the same URL is not.
    js(
        c,
        "history.pushState({}, '', '/spa/next'); history.replaceState({}, '', '/spa/next')",
    )
    .await;
    let all = site
        .wait_for("pageview on pushState", 2, is("pageview"))
        .await;
    assert!(
        all.iter()
            .any(|b| b["u"].as_str().unwrap().ends_with("/spa/next"))
    );

    c.find(Locator::Css("#signup span"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let all = site.wait_for("declarative event", 1, is("Signup")).await;
    let signup = all.iter().find(|b| b["n"] == "Signup").unwrap();
    assert_eq!(signup["p"], json!({"plan": "pro"}));

    js(
        c,
        "tp('purchase', {value: 9.99, currency: 'EUR', order_id: 'A-1'})",
    )
    .await;
    let all = site.wait_for("purchase", 1, is("Purchase")).await;
    let purchase = all.iter().find(|b| b["n"] == "Purchase").unwrap();
    assert_eq!(purchase["$"], json!({"amount": 9.99, "currency": "EUR"}));
    assert_eq!(purchase["p"], json!({"order_id": "A-1"}));

    // A 503 is retried once, after Retry-After.
    site.fail_next.store(1, Ordering::SeqCst);
    js(c, "tp('event', 'Retried')").await;
    site.wait_for("the retry", 2, is("Retried")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent = site
        .bodies
        .lock()
        .unwrap()
        .iter()
        .filter(|b| b.contains("Retried"))
        .count();
    assert_eq!(sent, 2, "one attempt and one retry, no more");
    browser.screenshot("tracker-shop").await.unwrap();
    assert!(
        site.rejected.lock().unwrap().is_empty(),
        "{:?}",
        site.rejected
    );
    browser.close().await.unwrap();

    // The numbers, through the Stats API.
    let q = |dims: Value| json!({"site_id": "example.com", "metrics": ["visitors", "events"], "date_range": "day", "dimensions": dims});
    let rows = |r: Vec<Value>| -> Vec<(String, u64)> {
        r.iter()
            .map(|x| {
                (
                    x["dimensions"][0].as_str().unwrap().to_owned(),
                    x["metrics"][1].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let mut names = rows(app.results(q(json!(["event:name"]))).await);
    names.sort();
    let want: Vec<(String, u64)> = [
        ("Purchase", 1),
        ("Queued", 1),
        ("Retried", 1),
        ("Signup", 1),
        ("pageview", 2),
    ]
    .iter()
    .map(|(n, c)| ((*n).to_owned(), *c))
    .collect();
    assert_eq!(names, want);
    assert_eq!(
        rows(app.results(q(json!(["visit:channel"]))).await),
        [("Paid Search".to_owned(), 6)]
    );
    assert_eq!(
        rows(app.results(q(json!(["visit:utm_campaign"]))).await),
        [("spring".to_owned(), 6)]
    );
    let revenue = app
        .results(
            json!({"site_id": "example.com", "metrics": ["total_revenue"], "date_range": "day",
            "filters": [["is", "event:name", ["Purchase"]]]}),
        )
        .await;
    assert_eq!(
        revenue[0]["metrics"],
        json!([{"value": 9.99, "currency": "EUR"}])
    );
    let plan = rows(app.results(q(json!(["event:props:plan"]))).await);
    assert_eq!(plan, [("pro".to_owned(), 1)]);
}

#[tokio::test]
async fn extras_count_outbound_links_and_file_downloads_only() {
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    let head = format!(
        r#"<script defer src="{}/js/tp-extras.js" data-outbound data-downloads=""></script>"#,
        app.url
    );
    let links = r#"<a id="out" href="https://example.org/pricing">Partner</a>
<a id="dl" href="/files/report.PDF">Report</a> <a id="in" href="/about">About</a>
<script>document.querySelectorAll('a').forEach(function (a) { a.onclick = function (e) { e.preventDefault(); }; });</script>"#;
    let site = site_with(&app.url, "tp.js", "", &head, links).await;
    let c = &browser.client;
    c.goto(&site.url).await.unwrap();
    site.wait_for("pageview", 1, |b| b["n"] == "pageview").await;
    for id in ["in", "out", "dl"] {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    site.wait_for("outbound", 1, |b| b["n"] == "Outbound Link: Click")
        .await;
    let all = site
        .wait_for("download", 1, |b| b["n"] == "File Download")
        .await;
    let props = |n: &str| all.iter().find(|b| b["n"] == n).unwrap()["p"]["url"].clone();
    assert_eq!(props("Outbound Link: Click"), "https://example.org/pricing");
    assert_eq!(
        props("File Download"),
        format!("{}/files/report.PDF", site.url)
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let names: Vec<String> = site
        .all()
        .iter()
        .map(|b| b["n"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names.iter().filter(|n| n.as_str() != "Queued").count(),
        3,
        "{names:?}: the internal link is not an event"
    );
    assert!(site.rejected.lock().unwrap().is_empty());
    browser.close().await.unwrap();
}

#[tokio::test]
async fn hash_routed_apps_count_fragment_changes_when_asked() {
    let browser = Browser::start()
        .await
        .expect("browser starts (needs chromium and chromium-driver: .ci/run installs them)");
    let app = spawn_app().await;
    let site = site_with(&app.url, "tp.js", " data-hash", "", "").await;
    let c = &browser.client;
    c.goto(&format!("{}/app", site.url)).await.unwrap();
    site.wait_for("pageview", 1, |b| b["n"] == "pageview").await;
    js(c, "location.hash = '#/settings'").await;
    let all = site
        .wait_for("hash pageview", 2, |b| b["n"] == "pageview")
        .await;
    assert!(all.iter().all(|b| b["h"] == 1));
    browser.close().await.unwrap();
    let pages = app
        .results(json!({"site_id": "example.com", "metrics": ["pageviews"], "date_range": "day", "dimensions": ["event:page"]}))
        .await;
    let mut got: Vec<String> = pages
        .iter()
        .map(|r| r["dimensions"][0].as_str().unwrap().to_owned())
        .collect();
    got.sort();
    assert_eq!(got, ["/app", "/app#/settings"]);
}
