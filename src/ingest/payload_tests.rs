use super::*;

fn ok(body: &str) -> RawEvent {
    parse(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e:?}"))
}

#[test]
fn long_and_short_field_names_mean_the_same() {
    let long = ok(
        r#"{"name":"pageview","url":"https://example.com/a?x=1","domain":"example.com","referrer":"https://google.com/","props":{"plan":"pro","n":3}}"#,
    );
    let short = ok(
        r#"{"n":"pageview","u":"https://example.com/a?x=1","d":"example.com","r":"https://google.com/","p":"{\"plan\":\"pro\",\"n\":3}"}"#,
    );
    assert_eq!(long, short);
    assert_eq!(
        long.props,
        vec![("n".into(), "3".into()), ("plan".into(), "pro".into())]
    );
    assert_eq!(long.path(), "/a");
    assert!(long.is_pageview() && long.interactive);
}

#[test]
fn meta_alias_revenue_and_interactive_are_read() {
    let e = ok(
        r#"{"n":"Purchase","u":"https://shop.example/x","d":"shop.example","m":{"a":true},"$":{"amount":"19.99","currency":"eur"},"i":false}"#,
    );
    assert_eq!(e.props, vec![("a".into(), "true".into())]);
    assert_eq!(e.revenue, Some(("19.99".into(), "EUR".into())));
    assert!(!e.interactive);
}

#[test]
fn domain_lists_and_missing_domain_fall_back_sensibly() {
    let e = ok(r#"{"n":"pageview","u":"https://a.example/","d":"a.example, rollup.example"}"#);
    assert_eq!(e.domains.len(), 2);
    let e = ok(r#"{"n":"pageview","u":"https://www.a.example/"}"#);
    assert_eq!(e.domains[0].as_str(), "a.example");
}

#[test]
fn hash_mode_keeps_the_fragment_in_the_path() {
    let e = ok(r##"{"n":"pageview","u":"https://a.example/app#/settings","d":"a.example","h":1}"##);
    assert_eq!(e.path(), "/app#/settings");
}

#[test]
fn invalid_inputs_are_rejected_with_a_message_per_field() {
    let many_props: String = (0..31)
        .map(|i| format!("\"k{i}\":\"v\""))
        .collect::<Vec<_>>()
        .join(",");
    let cases: Vec<(&str, String, &str)> = vec![
        ("not json", "nope".into(), "request"),
        ("json array", "[]".into(), "request"),
        ("missing url", r#"{"n":"pageview","d":"a.example"}"#.into(), "url"),
        ("missing name", r#"{"u":"https://a.example/","d":"a.example"}"#.into(), "name"),
        ("blank name", r#"{"n":" ","u":"https://a.example/","d":"a.example"}"#.into(), "name"),
        ("relative url", r#"{"n":"pageview","u":"/about","d":"a.example"}"#.into(), "url"),
        ("data url", r#"{"n":"pageview","u":"data:text/html,hi","d":"a.example"}"#.into(), "url"),
        ("ftp url", r#"{"n":"pageview","u":"ftp://a.example/x","d":"a.example"}"#.into(), "url"),
        ("long name", format!(r#"{{"n":"{}","u":"https://a.example/","d":"a.example"}}"#, "x".repeat(121)), "name"),
        ("31 props", format!(r#"{{"n":"e","u":"https://a.example/","d":"a.example","p":{{{many_props}}}}}"#), "props"),
        ("nested prop", r#"{"n":"e","u":"https://a.example/","d":"a.example","p":{"a":{"b":1}}}"#.into(), "props"),
        ("props not object", r#"{"n":"e","u":"https://a.example/","d":"a.example","p":"[1]"}"#.into(), "props"),
        ("bad domain", r#"{"n":"e","u":"https://a.example/","d":"not a domain"}"#.into(), "domain"),
        ("bad revenue", r#"{"n":"e","u":"https://a.example/","d":"a.example","$":{"amount":"ten","currency":"EUR"}}"#.into(), "revenue"),
        ("bad currency", r#"{"n":"e","u":"https://a.example/","d":"a.example","$":{"amount":1,"currency":"EURO"}}"#.into(), "revenue"),
        ("name not string", r#"{"n":5,"u":"https://a.example/","d":"a.example"}"#.into(), "name"),
        ("interactive not bool", r#"{"n":"e","u":"https://a.example/","d":"a.example","i":"no"}"#.into(), "interactive"),
    ];
    for (why, body, field) in cases {
        let errs = parse(body.as_bytes()).expect_err(why);
        assert!(
            errs.contains_key(field),
            "{why}: expected an error on {field}, got {errs:?}"
        );
        assert!(!errs[field].is_empty(), "{why}: empty message");
    }
}

#[test]
fn decimal_amounts_are_exact() {
    for (s, want) in [
        ("19.99", Some(19_990_000)),
        ("0.1", Some(100_000)),
        ("-2", Some(-2_000_000)),
        ("3.1234567", Some(3_123_456)),
        (".5", Some(500_000)),
        ("1e3", None),
        ("", None),
        ("abc", None),
    ] {
        assert_eq!(parse_decimal_micros(s), want, "{s}");
    }
}

#[test]
fn payloads_of_plausibles_trackers_are_accepted_as_sent() {
    // The legacy script.js: screen width, hash flag 0, null referrer.
    let e = ok(
        r#"{"n":"pageview","u":"https://example.com/a#x","d":"example.com","r":null,"w":1280,"h":0}"#,
    );
    assert_eq!((e.path(), e.referrer), ("/a".to_owned(), None));
    // The npm tracker: version field, props as an object, interactive flag.
    let e = ok(
        r#"{"n":"Outbound Link: Click","v":25,"u":"https://example.com/","d":"example.com","r":"https://duckduckgo.com/","p":{"url":"https://other.example/"},"i":true}"#,
    );
    assert_eq!(
        e.props,
        vec![("url".into(), "https://other.example/".into())]
    );
    assert!(!e.is_pageview());
    // Engagement pings carry scroll depth and visible time.
    let e =
        ok(r#"{"n":"engagement","u":"https://example.com/","d":"example.com","sd":40,"e":1200}"#);
    assert!(e.is_engagement());
    assert_eq!(
        e.engagement,
        Some(Engagement {
            engaged_ms: 1200,
            scroll: Some(40)
        })
    );
    let e = ok(r#"{"n":"engagement","u":"https://example.com/","sd":-1}"#);
    assert_eq!(e.engagement, Some(Engagement::default()));
    assert_eq!(
        ok(r#"{"n":"pageview","u":"https://example.com/","sd":40}"#).engagement,
        None
    );
}

#[test]
fn bad_engagement_fields_are_named() {
    for (body, field) in [
        (
            r#"{"n":"engagement","u":"https://example.com/","sd":101}"#,
            "sd",
        ),
        (
            r#"{"n":"engagement","u":"https://example.com/","sd":"40"}"#,
            "sd",
        ),
        (
            r#"{"n":"engagement","u":"https://example.com/","sd":4.5}"#,
            "sd",
        ),
        (
            r#"{"n":"engagement","u":"https://example.com/","e":-5}"#,
            "e",
        ),
        (
            r#"{"n":"engagement","u":"https://example.com/","e":86400001}"#,
            "e",
        ),
    ] {
        let errors = parse(body.as_bytes()).unwrap_err();
        assert!(errors.contains_key(field), "{body}: {errors:?}");
    }
}
