use super::*;

const T: u64 = 1_710_496_800_000; // 2024-03-15T10:00:00Z

fn one(json: &str) -> Result<Message, MessageError> {
    parse(json.as_bytes(), None, T).map(|mut b| b.messages.remove(0))
}

#[test]
fn the_official_libraries_batches_parse_with_their_times_and_ids() {
    for file in ["python_capture", "node_capture"] {
        let path = format!(
            "{}/tests/fixtures/segment/{file}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let captured: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let body = serde_json::to_vec(&captured[0]["body"]).unwrap();
        let b = parse(&body, None, T).unwrap();
        assert_eq!(b.write_key.as_deref(), Some("wk_test_5f2c"), "{file}");
        let first = &b.messages[0];
        assert_eq!(first.kind, Kind::Page);
        assert_eq!(first.anonymous_id.as_deref(), Some("anon-7f3a"));
        assert_eq!(first.user_id, None, "{file}: Python's null is no id");
        assert_eq!(first.message_id.as_deref(), Some("tp-fixture-page-1"));
        assert_eq!(first.ts_ms, T - 120_000, "{file}");
        assert_eq!(first.ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(first.campaign.source.as_deref(), Some("news"));
        assert_eq!(first.page.path.as_deref(), Some("/pricing"));
        // 09:59:30.250+01:00 is 08:59:30.250Z.
        assert_eq!(b.messages[1].ts_ms, T - 3_600_000 - 29_750, "{file}");
        let kinds: Vec<Kind> = b.messages.iter().map(|m| m.kind).collect();
        for k in [
            Kind::Track,
            Kind::Identify,
            Kind::Alias,
            Kind::Group,
            Kind::Screen,
        ] {
            assert!(kinds.contains(&k), "{file}: {k:?}");
        }
    }
}

#[test]
fn an_id_is_required_and_numbers_are_ids() {
    assert_eq!(
        one(r#"{"batch":[{"type":"track","event":"x"}]}"#),
        Err(MessageError::Invalid(
            "batch[0]: userId or anonymousId is required".into()
        ))
    );
    let m = one(r#"{"batch":[{"type":"track","event":"x","userId":42}]}"#).unwrap();
    assert_eq!(m.user_id.as_deref(), Some("42"));
    assert!(matches!(
        one(r#"{"batch":[{"type":"track","userId":"u"}]}"#),
        Err(MessageError::Invalid(m)) if m == "batch[0]: track needs event"
    ));
    assert!(matches!(
        one(r#"{"batch":[{"type":"alias","userId":"u"}]}"#),
        Err(MessageError::Invalid(m)) if m.contains("previousId")
    ));
    assert!(matches!(
        one(r#"{"batch":[{"type":"purchase","userId":"u"}]}"#),
        Err(MessageError::Invalid(m)) if m.contains("not one of")
    ));
}

#[test]
fn size_limits_are_segments() {
    let big = "x".repeat(MAX_MESSAGE_BYTES);
    let body = format!(
        r#"{{"batch":[{{"type":"track","event":"e","userId":"u","properties":{{"p":"{big}"}}}}]}}"#
    );
    assert!(
        matches!(parse(body.as_bytes(), None, T), Err(MessageError::TooLarge(m)) if m.contains("batch[0]"))
    );
    let single = format!(r#"{{"event":"e","userId":"u","properties":{{"p":"{big}"}}}}"#);
    assert!(matches!(
        parse(single.as_bytes(), Some(Kind::Track), T),
        Err(MessageError::TooLarge(_))
    ));
    let huge = vec![b' '; MAX_BATCH_BYTES + 1];
    assert!(matches!(
        parse(&huge, None, T),
        Err(MessageError::TooLarge(_))
    ));
    assert!(matches!(
        parse(b"{not json", None, T),
        Err(MessageError::Invalid(_))
    ));
}

#[test]
fn times_follow_segments_rules() {
    // An explicit timestamp wins.
    let m = one(r#"{"batch":[{"type":"page","userId":"u","timestamp":"2024-03-15T09:00:00Z","originalTimestamp":"2024-03-15T08:00:00Z"}]}"#).unwrap();
    assert_eq!(m.ts_ms, T - 3_600_000);
    // originalTimestamp is corrected by the device's skew: sent 10:05 on a
    // clock 5 minutes fast, received 10:00, it happened at 09:55 − 5 min.
    let m = one(r#"{"sentAt":"2024-03-15T10:05:00Z","batch":[{"type":"page","userId":"u","originalTimestamp":"2024-03-15T10:00:00Z"}]}"#).unwrap();
    assert_eq!(m.ts_ms, T - 300_000);
    // Neither: the time received.
    let m = one(r#"{"batch":[{"type":"page","userId":"u"}]}"#).unwrap();
    assert_eq!(m.ts_ms, T);
    assert!(one(r#"{"batch":[{"type":"page","userId":"u","timestamp":"yesterday"}]}"#).is_err());
}

#[test]
fn a_single_call_takes_its_kind_from_the_path_and_page_fields_from_properties() {
    let b = parse(
        br#"{"writeKey":"k","anonymousId":"a","properties":{"url":"https://x.example/a?b=1","referrer":"https://r.example/"},"context":{"page":{"url":"https://x.example/ctx"}}}"#,
        Some(Kind::Page),
        T,
    )
    .unwrap();
    let m = &b.messages[0];
    assert_eq!(m.kind, Kind::Page);
    assert_eq!(m.page.url.as_deref(), Some("https://x.example/a?b=1"));
    assert_eq!(m.page.referrer.as_deref(), Some("https://r.example/"));
    assert_eq!(b.write_key.as_deref(), Some("k"));
}
