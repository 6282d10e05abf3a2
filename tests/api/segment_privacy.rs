//! A person identified through Segment's API is exported and erased by
//! email like any other: both of their ids' visits, their lead and purchase.

use serde_json::{Value, json};

use crate::{
    helpers::{CHROME, spawn_app},
    segment::{post, write_key},
};

#[tokio::test]
async fn a_person_identified_through_segment_is_exported_and_erased_by_email() {
    use touchpoint::domain::Role;
    let app = spawn_app().await;
    let key = write_key(&app, "example.com");
    let batch = json!({"batch": [
        {"type": "page", "anonymousId": "anon-ann", "properties": {"path": "/pricing"},
         "context": {"userAgent": CHROME}, "timestamp": "2024-03-15T08:00:00Z"},
        {"type": "identify", "anonymousId": "anon-ann", "userId": "u-42",
         "traits": {"email": "ann@example.com"}, "timestamp": "2024-03-15T08:01:00Z"},
        {"type": "track", "userId": "u-42", "event": "Order Completed",
         "properties": {"order_id": "A-9", "revenue": 10}, "timestamp": "2024-03-15T09:30:00Z"},
        {"type": "page", "anonymousId": "anon-bob", "properties": {"path": "/"}, "timestamp": "2024-03-15T09:00:00Z"}
    ]});
    let (s, b) = post(
        &app,
        "/v1/batch",
        Some(&key),
        batch.to_string().as_bytes(),
        false,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let day = json!(["2024-03-15", "2024-03-15"]);
    assert_eq!(
        app.aggregate(&["visits"], day.clone()).await,
        vec![json!(3)]
    );

    let (mut web, _) = app.member("owner@acme.test", Role::Owner, app.acme()).await;
    let who = [("kind", "email"), ("value", "Ann@Example.com")];
    let (status, _, body) = web.post("/sites/example.com/privacy/export", &who).await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        doc["visits"].as_array().unwrap().len(),
        2,
        "her anonymous visit and her order's: {doc}"
    );
    assert_eq!(
        doc["conversions"].as_array().unwrap().len(),
        2,
        "lead and purchase"
    );
    let sources: Vec<&str> = doc["conversions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, vec!["segment", "segment"], "what recorded them");
    let mut confirmed = who.to_vec();
    confirmed.push(("confirm", "erase"));
    let (status, _, page) = web
        .post("/sites/example.com/privacy/erase", &confirmed)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        app.aggregate(&["visits"], day).await,
        vec![json!(1)],
        "Bob's visit stays"
    );
    let (_, _, body) = web.post("/sites/example.com/privacy/export", &who).await;
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert!(
        doc["visits"].as_array().unwrap().is_empty()
            && doc["conversions"].as_array().unwrap().is_empty()
    );
}
