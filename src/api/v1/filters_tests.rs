use super::*;

/// A leaf as (property, operator, values, case sensitive).
type Leaf = (String, Op, Vec<String>, bool);

fn leaves(s: &str) -> Result<Vec<Leaf>, String> {
    Ok(parse(s)?
        .into_iter()
        .map(|f| match f {
            Filter::Leaf {
                op,
                dim,
                values,
                case_sensitive,
            } => (dim.to_string(), op, values, case_sensitive),
            other => panic!("not a leaf: {other:?}"),
        })
        .collect())
}

enum Want {
    Leaves(&'static [(&'static str, Op, &'static [&'static str])]),
    /// The error message contains this.
    Error(&'static str),
}
use Want::{Error, Leaves};

#[test]
fn the_v1_grammar_parses_as_documented() {
    let cases: &[(&str, &str, Want)] = &[
        (
            "the v1 docs' example: a list and an AND",
            "visit:country==US|DE;event:page!=/x;visit:source~goo",
            Leaves(&[
                ("visit:country", Op::Is, &["US", "DE"]),
                ("event:page", Op::IsNot, &["/x"]),
                ("visit:source", Op::Contains, &["goo"]),
            ]),
        ),
        (
            "an escaped pipe is part of the value",
            r"event:page==/a\|b",
            Leaves(&[("event:page", Op::Is, &["/a|b"])]),
        ),
        (
            "an unescaped pipe separates alternatives",
            "event:page==/a|b",
            Leaves(&[("event:page", Op::Is, &["/a", "b"])]),
        ),
        (
            "the campaign of issue #11, with spaces around the escaped pipe",
            r"visit:utm_campaign==NL - SH \| Smart Shopping",
            Leaves(&[("visit:utm_campaign", Op::Is, &["NL - SH | Smart Shopping"])]),
        ),
        (
            "an escaped backslash before a pipe: the pipe separates",
            r"event:page==a\\|b",
            Leaves(&[("event:page", Op::Is, &[r"a\", "b"])]),
        ),
        (
            "a backslash before anything else is literal",
            r"event:props:path==C:\dir\x",
            Leaves(&[("event:props:path", Op::Is, &[r"C:\dir\x"])]),
        ),
        (
            "a trailing backslash is literal",
            r"event:page==/a\",
            Leaves(&[("event:page", Op::Is, &[r"/a\"])]),
        ),
        (
            "`==` inside a value belongs to the value",
            "event:page==/a==b",
            Leaves(&[("event:page", Op::Is, &["/a==b"])]),
        ),
        (
            "`=` inside a value belongs to the value",
            "event:props:query==x=1",
            Leaves(&[("event:props:query", Op::Is, &["x=1"])]),
        ),
        (
            "`!=` and `~` after the operator belong to the value",
            "event:page==/a!=b~c",
            Leaves(&[("event:page", Op::Is, &["/a!=b~c"])]),
        ),
        (
            "the leftmost operator wins: `!=` then `==` in the value",
            "event:page!=/x==y",
            Leaves(&[("event:page", Op::IsNot, &["/x==y"])]),
        ),
        (
            "an escaped `;` stays in the value",
            r"event:page==/a\;b;visit:country==SE",
            Leaves(&[
                ("event:page", Op::Is, &["/a;b"]),
                ("visit:country", Op::Is, &["SE"]),
            ]),
        ),
        (
            "an escaped pipe does not end a filter either",
            r"visit:utm_campaign==a\|b;visit:source==x|y",
            Leaves(&[
                ("visit:utm_campaign", Op::Is, &["a|b"]),
                ("visit:source", Op::Is, &["x", "y"]),
            ]),
        ),
        (
            "empty filters (a trailing `;`) are skipped, spaces trimmed",
            " visit:country == SE ; ;",
            Leaves(&[("visit:country", Op::Is, &["SE"])]),
        ),
        (
            "values are trimmed around `|`",
            "visit:source==Github | Twitter",
            Leaves(&[("visit:source", Op::Is, &["Github", "Twitter"])]),
        ),
        (
            "not-contains, with a list",
            "visit:source!~goo|bing",
            Leaves(&[("visit:source", Op::ContainsNot, &["goo", "bing"])]),
        ),
        (
            "`*` is a wildcard spanning slashes, anchored",
            "event:page==/blog/*",
            Leaves(&[("event:page", Op::Matches, &["^/blog/.*$"])]),
        ),
        (
            "`**` is the same wildcard",
            "event:page==/p**",
            Leaves(&[("event:page", Op::Matches, &["^/p.*$"])]),
        ),
        (
            "negated wildcard; regex characters of the value are literal",
            "event:page!=/a.b(c)/*",
            Leaves(&[("event:page", Op::MatchesNot, &[r"^/a\.b\(c\)/.*$"])]),
        ),
        (
            "a list mixing wildcard and plain values matches either",
            "event:page==/blog/*|/",
            Leaves(&[("event:page", Op::Matches, &["^/blog/.*$", "^/$"])]),
        ),
        (
            "an escaped star is a literal star",
            r"event:page==/a\*b",
            Leaves(&[("event:page", Op::Is, &["/a*b"])]),
        ),
        (
            "a star in a contains value is literal",
            "event:page~a*b",
            Leaves(&[("event:page", Op::Contains, &["a*b"])]),
        ),
        (
            "goals are event names",
            "event:goal==Signup",
            Leaves(&[("event:name", Op::Is, &["Signup"])]),
        ),
        ("no filters at all", "", Leaves(&[])),
        (
            "an empty value is an error",
            "event:page==",
            Error("empty value"),
        ),
        (
            "a blank value is an error",
            "visit:country==  ;event:page==/",
            Error("empty value"),
        ),
        (
            "an empty alternative is an error",
            "visit:source==a||b",
            Error("empty value"),
        ),
        (
            "a trailing pipe is an error",
            "visit:source==a|",
            Error("empty value"),
        ),
        (
            "an unknown property is an error naming it",
            "visit:nope==1",
            Error("Invalid filter property \"visit:nope\""),
        ),
        (
            "a time property can't filter",
            "time:day==2024-01-01",
            Error("Invalid filter property \"time:day\""),
        ),
        (
            "a single `=` is no operator",
            "visit:country=US",
            Error("expected an operator"),
        ),
        (
            "no operator at all",
            "visit:country",
            Error("expected an operator"),
        ),
        (
            "an operator without a property",
            "==US",
            Error("missing property"),
        ),
        (
            "an error in a later filter fails the whole parameter",
            "visit:country==SE;event:page",
            Error("\"event:page\""),
        ),
    ];
    for (why, input, want) in cases {
        let got = leaves(input);
        match want {
            Leaves(want) => {
                let want: Vec<Leaf> = want
                    .iter()
                    .map(|(p, op, vs)| {
                        let cs = !matches!(op, Op::Contains | Op::ContainsNot);
                        (
                            (*p).to_owned(),
                            *op,
                            vs.iter().map(|v| (*v).to_owned()).collect(),
                            cs,
                        )
                    })
                    .collect();
                assert_eq!(got, Ok(want), "{why}: {input:?}");
            }
            Error(needle) => {
                let e = got.expect_err(&format!("{why}: {input:?} should fail"));
                assert!(e.contains(needle), "{why}: {input:?} gave {e:?}");
            }
        }
    }
}

#[test]
fn wildcard_regexes_match_as_plausible_does() {
    let re = |s: &str| {
        let Ok(v) = leaves(s) else { panic!("{s}") };
        regex::Regex::new(&v[0].2[0]).unwrap()
    };
    let r = re("event:page==/blog/*");
    assert!(r.is_match("/blog/a/b") && r.is_match("/blog/"));
    assert!(!r.is_match("/blogs") && !r.is_match("/x/blog/a"));
    let r = re("event:page==/p/*/edit");
    assert!(r.is_match("/p/1/edit") && r.is_match("/p/1/2/edit"));
    let r = re(r"event:page==/a\|b*");
    assert!(r.is_match("/a|b/c") && !r.is_match("/a"));
}

#[test]
fn errors_become_bad_requests() {
    assert!(matches!(
        parse_filters("visit:country"),
        Err(ApiError::BadRequest(m)) if m.contains("operator")
    ));
    assert!(matches!(parse_filters("visit:country==SE"), Ok(Filter::And(v)) if v.len() == 1));
}
