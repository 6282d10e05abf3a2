use proptest::prelude::*;

use super::*;

/// (what, input, expected).
type Case<'a> = (&'a str, &'a str, &'a str);

fn check(cases: &[Case<'_>], f: impl Fn(&str) -> String) {
    for (what, input, want) in cases {
        assert_eq!(f(input), *want, "{what}: {input:?}");
    }
}

#[test]
fn emails_are_redacted_wherever_they_appear() {
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("a bare address", "mary@example.org", "[email]"),
        ("in a path segment", "/users/paul@example.org/profile", "/users/[email]/profile"),
        ("percent-encoded @", "mary%40example.org", "[email]"),
        ("percent-encoded @, a longer domain", "x%40example.co.uk/y", "[email]/y"),
        ("double-encoded @", "mary%2540example.org", "[email]"),
        ("a query parameter keeps its name", "?to=lisa@example.org&x=1", "?to=[email]&x=1"),
        ("plus tags and dots", "first.last+news@mail.example.com", "[email]"),
        ("mailto", "mailto:ann@example.com", "mailto:[email]"),
        ("two in a row", "a@example.org, b@example.net", "[email], [email]"),
        ("unicode local part and domain", "jörg@müller.de", "[email]"),
        ("punycode top-level label", "x@example.xn--p1ai", "[email]"),
        ("upper case", "ANN@EXAMPLE.COM", "[email]"),
        ("no domain dot: kept", "user@localhost", "user@localhost"),
        ("a handle: kept", "@touchpoint", "@touchpoint"),
        ("a package version: kept", "pkg@1.2.3", "pkg@1.2.3"),
        ("a scoped package: kept", "@scope/pkg", "@scope/pkg"),
    ];
    check(cases, |s| redact(s).into_owned());
}

#[test]
fn card_numbers_are_redacted_and_look_alikes_kept() {
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("visa, plain", "4111111111111111", "[card]"),
        ("visa, spaced", "card 4111 1111 1111 1111 ok", "card [card] ok"),
        ("mastercard, dashed", "5555-5555-5555-4444", "[card]"),
        ("amex, 15 digits", "378282246310005", "[card]"),
        ("in a path", "/pay/4111111111111111/confirm", "/pay/[card]/confirm"),
        ("Luhn fails: kept", "4111111111111112", "4111111111111112"),
        ("a unix ms timestamp (starts with 1): kept", "1710496800000", "1710496800000"),
        ("glued to letters: kept", "id4111111111111111", "id4111111111111111"),
        ("a decimal's fraction: kept", "0.4111111111111111", "0.4111111111111111"),
        ("too long a run: kept", "41111111111111111111111", "41111111111111111111111"),
        ("12 digits: not a card", "411111111113", "411111111113"),
    ];
    check(cases, |s| redact(s).into_owned());
}

#[test]
fn phone_numbers_are_redacted() {
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("international, spaced", "+1 555 0100 1234", "[phone]"),
        ("international, plain", "+4915112345678", "[phone]"),
        ("international, dashed", "call +49-151-12345678 now", "call [phone] now"),
        ("international with (0)", "+44 (0)20 7946 0958", "[phone]"),
        ("encoded plus", "%2B4915112345678", "[phone]"),
        ("in a path", "/contact/+4915112345678/thanks", "/contact/[phone]/thanks"),
        ("national with trunk 0", "030 1234567", "[phone]"),
        ("national, area code in parentheses", "(030) 123 4567", "[phone]"),
        ("NANP dashed", "555-010-1234", "[phone]"),
        ("NANP dotted", "555.010.1234", "[phone]"),
        ("NANP with parentheses", "(555) 010-1234", "[phone]"),
        ("NANP with leading 1", "1-800-555-0199", "[phone]"),
        ("French", "01 23 45 67 89", "[phone]"),
        ("French, dotted", "01.23.45.67.89", "[phone]"),
        ("a query value", "tel=0151 12345678", "tel=[phone]"),
        ("tel: link", "tel:+12025550147", "tel:[phone]"),
    ];
    check(cases, |s| redact(s).into_owned());
}

#[test]
fn phone_look_alikes_are_kept() {
    #[rustfmt::skip]
    let kept: &[(&str, &str)] = &[
        ("an order id", "A-1001"),
        ("an order id with numbered parts", "ORD-2024-0001-5678"),
        ("an ISO date", "2024-03-15"),
        ("an ISO timestamp", "2024-03-15T10:00:00Z"),
        ("a date and time with a space", "2024-03-15 10:00:00"),
        ("a European date", "15.03.2024"),
        ("a US date", "03/15/2024"),
        ("a day-first date with time", "15.03.2024 10:30"),
        ("a version", "1.2.3"),
        ("a Windows build", "10.0.19045.3803"),
        ("a numbered page", "/docs/page-3"),
        ("a number in a path", "/orders/123456789"),
        ("a bare digit run", "015112345678"),
        ("a UUID", "123e4567-e89b-12d3-a456-426614174000"),
        ("a hex id", "5f3c2a1b9d8e7f6a5b4c3d2e"),
        ("an IPv4 address", "192.168.100.200"),
        ("thousands, spaced", "1 234 567"),
        ("thousands, dotted", "12.345.678"),
        ("an ISBN", "978-3-16-148410-0"),
        ("two plain groups", "1234 5678"),
        ("coordinates", "52.5200 13.4050"),
        ("a short number", "+12345"),
        ("a price", "EUR 1 299.00"),
        ("a year range", "2019-2024"),
    ];
    for (what, s) in kept {
        assert_eq!(redact(s), *s, "{what} must not be redacted");
    }
}

#[test]
fn paths_are_decoded_like_plausible_decodes_them() {
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("an umlaut, encoded", "/de/zehn-jahre-%C3%BCberdauern", "/de/zehn-jahre-überdauern"),
        ("an umlaut, as sent", "/de/zehn-jahre-überdauern", "/de/zehn-jahre-überdauern"),
        ("lower-case hex", "/caf%c3%a9", "/café"),
        ("a space", "/a%20b", "/a b"),
        ("plus stays plus in a path", "/c++/a+b", "/c++/a+b"),
        ("an encoded slash is a slash", "/a%2Fb", "/a/b"),
        ("encoded ? and # become part of the path", "/a%3Fb%23c", "/a?b#c"),
        ("a literal percent", "/100%25", "/100%"),
        ("a stray percent stays", "/50%off", "/50%off"),
        ("a truncated escape stays", "/x%2", "/x%2"),
        ("invalid UTF-8 keeps its escapes", "/%FF%FE", "/%FF%FE"),
        ("invalid bytes next to valid ones", "/%C3%BC%FF", "/ü%FF"),
        ("a lone lead byte before a raw char", "/%E2ü", "/%E2ü"),
        ("invalid escapes are upper-cased", "/%ff", "/%FF"),
        ("trailing slash kept", "/blog/", "/blog/"),
        ("trailing whitespace trimmed", "/blog%20%20", "/blog"),
        ("a control character becomes a space", "/a%00b%0Ac", "/a b c"),
        ("case kept", "/About/Team", "/About/Team"),
        ("an encoded email is redacted after decoding", "/u/mary%40example.org", "/u/[email]"),
        ("a double-encoded email too", "/u/mary%2540example.org", "/u/[email]"),
    ];
    check(cases, |s| normalise(Field::Path, s));
}

#[test]
fn every_field_has_its_rule() {
    #[rustfmt::skip]
    let cases: &[(Field, &str, &str, &str)] = &[
        (Field::Query, "plus is a space in a query value", "summer+sale", "summer sale"),
        (Field::Query, "encoded plus is a plus", "a%2Bb", "a+b"),
        (Field::Query, "invalid UTF-8 keeps its escapes", "%FF%FE", "%FF%FE"),
        (Field::Query, "case kept", "NewsLetter", "NewsLetter"),
        (Field::Query, "trimmed", "%20news%20", "news"),
        (Field::Query, "blank is empty", "+%20+", ""),
        (Field::Query, "an email", "mary%40example.org", "[email]"),
        (Field::Hostname, "lower case, no www", "WWW.Example.COM", "example.com"),
        (Field::Hostname, "no trailing dot", "example.com.", "example.com"),
        (Field::Referrer, "decoded", "news.example/d%C3%A9j%C3%A0", "news.example/déjà"),
        (Field::Name, "not decoded", "Signup%20Form", "Signup%20Form"),
        (Field::Name, "trimmed, controls spaced", " Sign\tup\n", "Sign up"),
        (Field::PropValue, "not decoded, redacted", "lisa@example.org", "[email]"),
        (Field::PropValue, "a phone", "+1 555 0100 1234", "[phone]"),
        (Field::PropKey, "a key that is an email", "paul@example.org", "[email]"),
        (Field::OrderId, "an ordinary order id", "A-1001", "A-1001"),
        (Field::OrderId, "an order id that is an email", "mary@example.org", "[email]"),
    ];
    for (field, what, input, want) in cases {
        assert_eq!(normalise(*field, input), *want, "{what}: {input:?}");
    }
}

#[test]
fn order_ids_with_personal_data_are_no_order_ids() {
    #[rustfmt::skip]
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("an order number", " A-1001 ", Some("A-1001")),
        ("a Stripe invoice", "in_1MtHbELkdIwHu7ixl4OzzPMv", Some("in_1MtHbELkdIwHu7ixl4OzzPMv")),
        ("a date-stamped order", "2024-03-15-0042", Some("2024-03-15-0042")),
        ("an email", "mary@example.org", None),
        ("an order with an email", "A-1/mary@example.org", None),
        ("a card number", "4111 1111 1111 1111", None),
        ("a phone number", "+4915112345678", None),
        ("blank", "\u{0} ", None),
    ];
    for (what, raw, want) in cases {
        assert_eq!(order_id(raw).as_deref(), *want, "{what}");
    }
}

#[test]
fn filters_mean_what_stored_texts_mean() {
    #[rustfmt::skip]
    let cases: &[(Field, &str, &str, &str)] = &[
        (Field::Path, "decoded value as typed", "/de/zehn-jahre-überdauern", "/de/zehn-jahre-überdauern"),
        (Field::Path, "encoded value decoded", "/de/zehn-jahre-%C3%BCberdauern", "/de/zehn-jahre-überdauern"),
        (Field::Path, "trimmed", " /blog ", "/blog"),
        (Field::Query, "a plus typed is a plus", "a+b", "a+b"),
        (Field::Query, "kept escapes match kept escapes", "%FF%FE", "%FF%FE"),
        (Field::Hostname, "lower case", "Example.COM", "example.com"),
        (Field::PropValue, "an email matches the stored marker", "lisa@example.org", "[email]"),
    ];
    for (field, what, input, want) in cases {
        assert_eq!(filter_value(*field, input), *want, "{what}: {input:?}");
    }
}

#[test]
fn query_params_are_found_decoded() {
    let q = "utm_source=news%20letter&utm_medium=&utm_content=mary%40example.org&ut%6D_id=7";
    assert_eq!(query_param(q, "utm_source").as_deref(), Some("news letter"));
    assert_eq!(query_param(q, "utm_medium"), None, "empty is absent");
    assert_eq!(query_param(q, "utm_content").as_deref(), Some("[email]"));
    assert_eq!(
        query_param(q, "utm_id").as_deref(),
        Some("7"),
        "keys decoded"
    );
    assert_eq!(query_param(q, "utm_term"), None);
    assert_eq!(query_param("utm_source", "utm_source"), None, "no value");
    assert_eq!(
        query_param("utm_source=&utm_source=b", "utm_source").as_deref(),
        Some("b"),
        "the first non-empty value"
    );
}

#[test]
fn length_is_bounded_and_a_cut_is_redacted_again() {
    let long = "a".repeat(3000);
    assert_eq!(normalise(Field::PropValue, &long).len(), MAX_TEXT_BYTES);
    let multibyte = "ü".repeat(1500);
    let n = normalise(Field::PropValue, &multibyte);
    assert!(n.len() <= MAX_TEXT_BYTES && n.chars().all(|c| c == 'ü'));
    // A 20-digit run is no card; cut to 16 digits at the limit it would be.
    let mut s = "x ".repeat((MAX_TEXT_BYTES - 16) / 2);
    s.push_str("41111111111111110000");
    let n = normalise(Field::PropValue, &s);
    assert!(n.ends_with(CARD), "{}", &n[n.len() - 20..]);
    assert!(n.len() <= MAX_TEXT_BYTES);
    assert_eq!(MAX_TEXT_BYTES, crate::ingest::session::MAX_STRING_BYTES);
}

#[test]
fn a_number_uncovered_by_redacting_its_neighbour_is_redacted_too() {
    // Found by fuzzing (stats_v1_filters): the second number follows a digit
    // of the first, so one pass left it, and a second pass took it.
    let key = "222 2222 +2222221 2+22222222:pro";
    let once = redact(key);
    assert_eq!(once, "222 2222 [phone][phone]:pro");
    assert_eq!(redact(&once), once);
    let key = "event:props:\0\u{0}222\u{1c}2222\u{1}+2222221\u{1}2+22222222:pro";
    let parsed = crate::stats::query::Dimension::parse(key).expect("a property");
    assert_eq!(
        crate::stats::query::Dimension::parse(&parsed.to_string()),
        Some(parsed),
        "a property filter prints as it parses"
    );
}

#[test]
fn a_text_cut_at_the_limit_ends_in_no_white_space() {
    // Found with the stats_v1_filters target: a property key cut before a
    // space kept it, and printed and parsed again it was another key.
    let key = format!("{} b", "a".repeat(MAX_TEXT_BYTES - 1));
    let cut = normalise(Field::PropKey, &key);
    assert_eq!(cut, "a".repeat(MAX_TEXT_BYTES - 1));
    assert_eq!(normalise(Field::PropKey, &cut), cut);
}

#[test]
fn redaction_is_idempotent_on_its_own_markers() {
    for s in ["[email] [phone] [card]", "/users/[email]/profile"] {
        assert_eq!(redact(s), s);
    }
}

/// An `@` (or `%40`, `%2540`) with a local-part character before it and a
/// domain with a top-level label of two letters after it: what nobody should
/// find in a stored text. Written independently of the scrubber's pattern.
fn has_address(s: &str) -> bool {
    let local = |c: char| c.is_alphanumeric() || "._%+!#$'*^`{|}~-".contains(c);
    let label = |c: char| c.is_alphanumeric();
    let chars: Vec<char> = s.chars().collect();
    for i in 1..chars.len() {
        let at_len = ["@", "%40", "%2540"]
            .iter()
            .find(|at| chars[i..].iter().collect::<String>().starts_with(*at))
            .map(|at| at.chars().count());
        let Some(at_len) = at_len else { continue };
        if !local(chars[i - 1]) {
            continue;
        }
        // Domain: label(.label)+ where the last label starts with two letters.
        let rest = &chars[i + at_len..];
        let mut j = 0;
        let mut dots = 0;
        loop {
            let start = j;
            while j < rest.len() && (label(rest[j]) || (rest[j] == '-' && j > start)) {
                j += 1;
            }
            if j == start {
                break;
            }
            let lbl = &rest[start..j];
            if dots > 0 && lbl.len() >= 2 && lbl[0].is_alphabetic() && lbl[1].is_alphabetic() {
                return true;
            }
            if j < rest.len() && rest[j] == '.' {
                dots += 1;
                j += 1;
            } else {
                break;
            }
        }
    }
    false
}

#[test]
fn the_address_checker_finds_addresses() {
    assert!(has_address("x mary@example.org y"));
    assert!(has_address("mary%40example.org"));
    assert!(!has_address("[email]@example.org"));
    assert!(!has_address("pkg@1.2.3"));
}

fn text_with_addresses() -> impl Strategy<Value = String> {
    let local = "[a-zA-Z0-9._%+!#$'*^`{|}~-]{1,12}";
    let domain = "[a-zA-Z0-9-]{1,10}(\\.[a-zA-Z0-9-]{1,8}){0,2}\\.[a-zA-Z]{2,6}";
    let at = prop_oneof![Just("@"), Just("%40"), Just("%2540"), Just("%40%40")];
    let address = (local, at, domain).prop_map(|(l, a, d)| format!("{l}{a}{d}"));
    let filler = prop_oneof![
        "[ /?=&:;,.+@%()\\[\\]<>\"'0-9a-zA-Z-]{0,12}",
        "\\PC{0,8}",
        Just("@".to_owned()),
        Just(".".to_owned()),
    ];
    proptest::collection::vec(prop_oneof![address, filler], 1..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_output_contains_an_address(s in text_with_addresses()) {
        let out = redact(&s);
        prop_assert!(!has_address(&out), "{s:?} → {out:?}");
        for field in [Field::Path, Field::Query, Field::PropValue, Field::Hostname] {
            let n = normalise(field, &s);
            prop_assert!(!has_address(&n), "{field:?}: {s:?} → {n:?}");
        }
    }

    #[test]
    fn normalising_twice_changes_nothing_more(s in "\\PC{0,40}") {
        for field in [Field::Name, Field::PropValue] {
            let once = normalise(field, &s);
            prop_assert_eq!(normalise(field, &once), once.clone());
        }
    }
}
