//! The owner's shop for the Chromium test of a first-time owner's path
//! (`owner_journey_ui`): a test site serving whatever snippets the owner
//! pasted into its head, with a sign-up form and a purchase button; and the
//! numbers read back through the Stats and attribution APIs with a key of
//! the owner's new workspace.

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use touchpoint::{domain::WorkspaceId, privacy, store::ApiKeyRecord};

use crate::helpers::TestApp;

pub(crate) const DOMAIN: &str = "bakery.example";
/// The customer's browser (the owner's says `helpers::CHROME`): another person.
pub(crate) const MAC_CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
/// The shop's page: a sign-up form marked for the tracker, a Signup event
/// when it is sent, and a purchase button.
const SHOP: &str = r#"<h1>Corner Bakery</h1>
<form id="signup" data-tp-form><label>Email <input type="email" name="email" id="email"></label>
<button id="join">Sign up</button></form>
<p><button id="buy" type="button">Buy the bread box (49 €)</button></p>
<p id="thanks"></p>
<script>
document.getElementById('signup').addEventListener('submit', function (e) {
  e.preventDefault(); tp('event', 'Signup'); document.getElementById('thanks').textContent = 'Welcome!';
});
document.getElementById('buy').addEventListener('click', function () {
  tp('purchase', {value: 49, currency: 'EUR', order_id: 'O-1'}); document.getElementById('thanks').textContent = 'Thank you for your order!';
});
</script>"#;

/// The owner's shop: every path serves `head` (the snippets pasted into it)
/// and [`SHOP`].
pub(crate) async fn shop(head: Arc<Mutex<String>>) -> String {
    let server = HttpServer::new(move || {
        let head = head.clone();
        App::new().default_service(web::get().to(move || {
            let head = head.lock().unwrap().clone();
            async move {
                HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
                    "<!doctype html><html lang=\"en\"><head><title>Corner Bakery</title>\n\
                     <script>window.tp = window.tp || function () {{ (tp.q = tp.q || []).push(arguments) }};</script>\n\
                     {head}\n</head><body>{SHOP}</body></html>"
                ))
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    url
}

/// A Stats API key of the new workspace (the owner would make one on the
/// workspace page; the test only reads numbers with it).
pub(crate) fn api_key(app: &TestApp, ws: WorkspaceId) -> String {
    let key = format!("tp_journey_{}", hex::encode(privacy::random_bytes::<8>()));
    let rec = ApiKeyRecord {
        name: "journey".into(),
        prefix: "tp_journey".into(),
        created_ms: app.clock.now_ms(),
        workspace: ws,
        conversions: false,
        sites: false,
    };
    app.state
        .store
        .add_api_key(&privacy::sha256_hex(key.as_bytes()), &rec)
        .unwrap();
    key
}

/// POSTs `body` to an API `path` with `key`; the answer must be 200.
async fn api(app: &TestApp, key: &str, path: &str, body: Value) -> Value {
    let r = app
        .client
        .post(format!("{}{path}", app.url))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// One aggregate metric of the site today, optionally filtered.
pub(crate) async fn today(app: &TestApp, key: &str, metric: &str, filters: Value) -> u64 {
    let body = api(
        app,
        key,
        "/api/v2/query",
        json!({"site_id": DOMAIN, "metrics": [metric],
        "date_range": "day", "filters": filters}),
    )
    .await;
    body["results"][0]["metrics"][0].as_u64().unwrap_or(0)
}

/// The attribution API's report of today by `dimension` for `conversion`.
pub(crate) async fn credits(app: &TestApp, key: &str, dimension: &str, conversion: &str) -> Value {
    api(
        app,
        key,
        "/api/v1/attribution",
        json!({"site_id": DOMAIN, "date_range": "day",
        "dimension": dimension, "conversion": conversion}),
    )
    .await
}
