use super::sources::DB;
use super::*;
use crate::domain::text::MAX_TEXT_BYTES;

fn run(page: &str, referrer: Option<&str>) -> Acquisition {
    let url = Url::parse(page).unwrap_or_else(|e| panic!("test url {page}: {e}"));
    classify(&url, referrer)
}

/// (what, page, referrer, channel, source).
type Case<'a> = (&'a str, String, Option<&'a str>, Channel, Option<&'a str>);
/// (what, source, medium, campaign, click, has referrer, channel).
type ForCase<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<ClickKind>,
    bool,
    Channel,
);

const P: &str = "https://example.com/landing";

#[test]
fn classify_table() {
    use Channel as C;
    let q = |query: &str| format!("{P}?{query}");
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("no referrer, no tags", P.into(), None, C::Direct, None),
        ("empty referrer", P.into(), Some(""), C::Direct, None),
        ("self-referral", P.into(), Some("https://example.com/other"), C::Direct, None),
        ("self-referral, www on page", "https://www.example.com/".into(), Some("https://example.com/a"), C::Direct, None),
        ("self-referral, www and case on referrer", P.into(), Some("http://WWW.Example.com/a"), C::Direct, None),
        ("invalid referrer", P.into(), Some("not a url"), C::Direct, None),
        ("non-http referrer", P.into(), Some("ftp://files.example.org/x"), C::Direct, None),
        ("localhost referrer", P.into(), Some("http://localhost:3000/"), C::Direct, None),
        ("google", P.into(), Some("https://www.google.com/"), C::OrganicSearch, Some("Google")),
        ("google ccTLD", P.into(), Some("https://www.google.co.uk/search?q=x"), C::OrganicSearch, Some("Google")),
        ("bing", P.into(), Some("https://www.bing.com/"), C::OrganicSearch, Some("Bing")),
        ("duckduckgo", P.into(), Some("https://duckduckgo.com/"), C::OrganicSearch, Some("DuckDuckGo")),
        ("host not in db but a search brand", P.into(), Some("https://www.startpage.com/do/search"), C::OrganicSearch, Some("startpage.com")),
        ("hacker news", P.into(), Some("https://news.ycombinator.com/item?id=1"), C::OrganicSocial, Some("Hacker News")),
        ("mobile facebook via parent domain", P.into(), Some("https://m.facebook.com/"), C::OrganicSocial, Some("Facebook")),
        ("t.co", P.into(), Some("https://t.co/abc"), C::OrganicSocial, Some("Twitter")),
        ("tiktok, not in db", P.into(), Some("https://www.tiktok.com/@x"), C::OrganicSocial, Some("tiktok.com")),
        ("plain referral", P.into(), Some("https://blog.example.org/post/"), C::Referral, Some("blog.example.org")),
        ("db 'unknown' host is a referral", P.into(), Some("https://support.google.com/x"), C::Referral, Some("Google")),
        ("youtube is video, not social", P.into(), Some("https://www.youtube.com/watch?v=1"), C::OrganicVideo, Some("Youtube")),
        ("amazon is shopping, not search", P.into(), Some("https://www.amazon.com/dp/1"), C::OrganicShopping, Some("Amazon")),
        ("webmail", P.into(), Some("https://mail.google.com/"), C::Email, Some("Gmail")),
        ("webmail of a search brand", P.into(), Some("https://mail.yandex.ru/"), C::Email, Some("Yandex")),
        ("android gmail app", P.into(), Some("android-app://com.google.android.gm"), C::Email, Some("Gmail")),
        ("unknown android app", P.into(), Some("android-app://com.slack/"), C::Referral, Some("android-app://com.slack")),
        ("utm google cpc", q("utm_source=google&utm_medium=cpc"), None, C::PaidSearch, Some("Google")),
        ("utm case-insensitive", q("utm_source=GOOGLE&utm_medium=CPC"), None, C::PaidSearch, Some("Google")),
        ("utm facebook paid_social", q("utm_source=facebook&utm_medium=paid_social"), None, C::PaidSocial, Some("Facebook")),
        ("meta is social, though the db lists a search engine of that name", q("utm_source=meta&utm_medium=paid"), None, C::PaidSocial, Some("Meta")),
        ("alias fb", q("utm_source=fb&utm_medium=cpc"), None, C::PaidSocial, Some("Facebook")),
        ("alias ig, no medium", q("utm_source=ig"), None, C::OrganicSocial, Some("Instagram")),
        ("utm domain resolves to name", q("utm_source=www.reddit.com"), None, C::OrganicSocial, Some("Reddit")),
        ("youtube cpv", q("utm_source=youtube&utm_medium=cpv"), None, C::PaidVideo, Some("Youtube")),
        ("ebay ppc", q("utm_source=ebay&utm_medium=ppc"), None, C::PaidShopping, Some("ebay")),
        ("amazon cpc", q("utm_source=amazon&utm_medium=cpc"), None, C::PaidShopping, Some("Amazon")),
        ("shop campaign paid", q("utm_source=news&utm_medium=cpc&utm_campaign=Summer-eShop"), None, C::PaidShopping, Some("news")),
        ("workshop is not shop", q("utm_source=news&utm_medium=cpc&utm_campaign=workshop"), None, C::PaidOther, Some("news")),
        ("display", q("utm_source=dv360&utm_medium=display"), None, C::Display, Some("dv360")),
        ("banner", q("utm_source=site&utm_medium=banner"), None, C::Display, Some("site")),
        ("retargeting", q("utm_source=partner&utm_medium=retargeting"), None, C::PaidOther, Some("partner")),
        ("shopping campaign organic", q("utm_source=news&utm_campaign=spring_shopping"), None, C::OrganicShopping, Some("news")),
        ("social medium", q("utm_source=club&utm_medium=social+media"), None, C::OrganicSocial, Some("club")),
        ("video medium", q("utm_source=club&utm_medium=webinar-video"), None, C::OrganicVideo, Some("club")),
        ("organic medium", q("utm_source=intranet&utm_medium=organic"), None, C::OrganicSearch, Some("intranet")),
        ("referral medium", q("utm_source=partner&utm_medium=referral"), None, C::Referral, Some("partner")),
        ("app medium", q("utm_source=partner&utm_medium=app"), None, C::Referral, Some("partner")),
        ("email medium", q("utm_source=newsletter&utm_medium=email"), None, C::Email, Some("newsletter")),
        ("e-mail source", q("utm_source=e-mail"), None, C::Email, Some("e-mail")),
        ("affiliate", q("utm_source=partner&utm_medium=affiliate"), None, C::Affiliates, Some("partner")),
        ("audio", q("utm_source=spotify&utm_medium=audio"), None, C::Audio, Some("spotify")),
        ("sms source", q("utm_source=sms"), None, C::Sms, Some("sms")),
        ("sms medium", q("utm_source=twilio&utm_medium=sms"), None, C::Sms, Some("twilio")),
        ("web push", q("utm_source=app&utm_medium=web-push"), None, C::MobilePushNotifications, Some("app")),
        ("firebase", q("utm_source=firebase"), None, C::MobilePushNotifications, Some("firebase")),
        ("cross-network", q("utm_source=google&utm_medium=cpc&utm_campaign=pmax_cross-network"), None, C::CrossNetwork, Some("Google")),
        ("unknown source, no medium", q("utm_source=newsletter"), None, C::Unassigned, Some("newsletter")),
        ("campaign only", q("utm_campaign=spring"), None, C::Unassigned, None),
        ("ref param beats referrer host", q("ref=producthunt"), Some("https://www.producthunt.com/"), C::Referral, Some("producthunt")),
        ("source param resolves", q("source=news.ycombinator.com"), None, C::OrganicSocial, Some("Hacker News")),
        ("utm_source beats source and ref", q("ref=a&source=b&utm_source=c"), None, C::Unassigned, Some("c")),
        ("ref only", q("ref=hn"), None, C::Unassigned, Some("hn")),
        ("gclid alone", q("gclid=abc"), None, C::PaidSearch, None),
        ("gclid from google", q("gclid=abc"), Some("https://www.google.com/"), C::PaidSearch, Some("Google")),
        ("gclid follows explicit medium", q("gclid=abc&utm_source=news&utm_medium=email"), None, C::Email, Some("news")),
        ("gclid on youtube", q("gclid=abc"), Some("https://www.youtube.com/"), C::PaidVideo, Some("Youtube")),
        ("msclkid from bing", q("msclkid=abc"), Some("https://www.bing.com/"), C::PaidSearch, Some("Bing")),
        ("dclid", q("dclid=abc"), Some("https://ads.example.net/"), C::Display, Some("ads.example.net")),
        ("fbclid", q("fbclid=abc"), Some("https://l.facebook.com/"), C::PaidSocial, Some("Facebook")),
        ("li_fat_id", q("li_fat_id=abc"), None, C::PaidSocial, None),
    ];
    for (what, page, referrer, channel, source) in cases {
        let a = run(&page, referrer);
        assert_eq!(
            a.channel, channel,
            "{what}: channel of {page} / {referrer:?}"
        );
        assert_eq!(
            a.source.as_deref(),
            source,
            "{what}: source of {page} / {referrer:?}"
        );
    }
}

#[test]
fn every_click_id_is_recognised_and_first_in_order_wins() {
    for k in ClickKind::ALL {
        let a = run(&format!("{P}?x=1&{}=abc", k.as_str()), None);
        assert_eq!(a.click, Some(k), "{k:?}");
        let want = match k {
            ClickKind::Dclid => Channel::Display,
            ClickKind::Gclid
            | ClickKind::Gbraid
            | ClickKind::Wbraid
            | ClickKind::Msclkid
            | ClickKind::Yclid => Channel::PaidSearch,
            _ => Channel::PaidSocial,
        };
        assert_eq!(a.channel, want, "{k:?}");
    }
    assert_eq!(
        run(&format!("{P}?sccid=1"), None).click,
        Some(ClickKind::ScCid)
    );
    assert_eq!(
        run(&format!("{P}?fbclid=1&gclid=2"), None).click,
        Some(ClickKind::Gclid)
    );
    assert_eq!(
        run(&format!("{P}?gclid=&GCLID=2"), None).click,
        None,
        "empty and wrong-case ids don't count"
    );
}

#[test]
fn referrer_is_host_and_path_only() {
    let a = run(P, Some(" https://WWW.News.Example.org:8443/a/b/?q=1#frag "));
    assert_eq!(a.referrer.as_deref(), Some("news.example.org/a/b"));
    assert_eq!(a.referrer_host.as_deref(), Some("news.example.org"));
    let a = run(P, Some("https://news.ycombinator.com/"));
    assert_eq!(a.referrer.as_deref(), Some("news.ycombinator.com"));
    let a = run(P, Some("android-app://com.google.android.gm"));
    assert_eq!(a.referrer_host.as_deref(), Some("com.google.android.gm"));
    let a = run(P, Some("https://example.com/x"));
    assert_eq!((a.referrer, a.referrer_host), (None, None));
}

#[test]
fn utm_values_are_decoded_trimmed_and_clipped() {
    let long = "é".repeat(MAX_TEXT_BYTES + 10);
    let a = run(
        &format!(
            "{P}?utm_source=%20News+Letter%20&utm_medium=&utm_campaign={long}&utm_term=t&utm_content=c&utm_id=7"
        ),
        None,
    );
    assert_eq!(a.utm.source.as_deref(), Some("News Letter"));
    assert_eq!(a.utm.medium, None);
    // Cut at the byte limit of every stored text, on a character boundary.
    assert_eq!(a.utm.campaign.map(|c| c.len()), Some(MAX_TEXT_BYTES));
    assert_eq!(
        (
            a.utm.term.as_deref(),
            a.utm.content.as_deref(),
            a.utm.id.as_deref()
        ),
        (Some("t"), Some("c"), Some("7"))
    );
    assert_eq!(
        run(&format!("{P}?ref=x"), None).utm.source,
        None,
        "ref is a source, not a utm tag"
    );
}

#[test]
fn utm_values_and_referrers_are_normalised_and_redacted() {
    let a = run(
        &format!(
            "{P}?utm_source=newsletter&utm_content=mary@example.org&utm_term=%2B1%20555%200100%201234&utm_campaign=%FF%FE&utm_medium=e%6Dail"
        ),
        Some("https://mail.example.net/read/paul%40example.org/caf%C3%A9?x=1"),
    );
    assert_eq!(a.utm.content.as_deref(), Some("[email]"));
    assert_eq!(a.utm.term.as_deref(), Some("[phone]"));
    assert_eq!(
        a.utm.campaign.as_deref(),
        Some("%FF%FE"),
        "invalid UTF-8 keeps its escapes"
    );
    assert_eq!(a.utm.medium.as_deref(), Some("email"), "decoded");
    assert_eq!(
        a.referrer.as_deref(),
        Some("mail.example.net/read/[email]/café")
    );
    // A source tagged with an address is the redacted tag.
    let a = run(&format!("{P}?ref=lisa%40example.org"), None);
    assert_eq!(a.source.as_deref(), Some("[email]"));
}

#[test]
fn channel_for_table() {
    use Channel as C;
    use ClickKind as K;
    #[rustfmt::skip]
    let cases: Vec<ForCase> = vec![
        ("nothing", None, None, None, None, false, C::Direct),
        ("blank strings are absent", Some(" "), Some(""), Some(""), None, false, C::Direct),
        ("referrer alone", None, None, None, None, true, C::Referral),
        ("named search engine", Some("Google"), None, None, None, true, C::OrganicSearch),
        ("search source, no referrer", Some("bing"), None, None, None, false, C::OrganicSearch),
        ("cpm on a search source is Paid Search (GA4 order)", Some("google"), Some("cpm"), None, None, false, C::PaidSearch),
        ("cpm elsewhere is Display", Some("example"), Some("cpm"), None, None, false, C::Display),
        ("paid social", Some("tiktok.com"), Some("paid"), None, None, false, C::PaidSocial),
        ("cross-network wins", None, Some("email"), Some("X Cross-Network Y"), None, false, C::CrossNetwork),
        ("gclid implies cpc", Some("google"), None, None, Some(K::Gclid), false, C::PaidSearch),
        ("gclid follows medium", Some("google"), Some("organic"), None, Some(K::Gclid), false, C::OrganicSearch),
        ("dclid alone", None, None, None, Some(K::Dclid), false, C::Display),
        ("epik", None, None, None, Some(K::Epik), false, C::PaidSocial),
        ("shop campaign with click id", None, None, Some("eshop"), Some(K::Fbclid), false, C::PaidShopping),
        ("shop campaign at start", None, None, Some("Shop-now"), None, false, C::OrganicShopping),
        ("webmail source", Some("Gmail"), None, None, None, false, C::Email),
        ("android webmail", Some("android-app://com.google.android.gm"), None, None, None, true, C::Email),
        ("unknown tagged source with referrer", Some("newsletter"), None, None, None, true, C::Referral),
        ("mixed-case medium", Some("x"), Some("Social Media"), None, None, false, C::OrganicSocial),
        ("mobile medium", Some("app"), Some("in-app mobile"), None, None, false, C::MobilePushNotifications),
        ("unknown medium", Some("partner"), Some("print"), None, None, false, C::Unassigned),
    ];
    for (what, s, m, c, k, r, want) in cases {
        assert_eq!(channel_for(s, m, c, k, r), want, "{what}");
    }
}

#[test]
fn source_names() {
    for (host, want) in [
        ("www.google.co.uk", Some("Google")),
        ("WWW.GOOGLE.COM.", Some("Google")),
        ("m.facebook.com", Some("Facebook")),
        ("news.ycombinator.com", Some("Hacker News")),
        ("com.google.android.gm", Some("Gmail")),
        ("example.com", None),
        ("", None),
    ] {
        assert_eq!(source_name(host), want, "{host}");
    }
    assert!(
        DB.hosts.len() > 1500 && DB.names.len() > 300,
        "referrer db failed to load"
    );
}

#[test]
fn weird_inputs_do_not_panic() {
    let long_host = format!("https://{}.com/", "a".repeat(100_000));
    let long_path = format!("https://a.example/{}", "é/".repeat(5_000));
    let referrers = [
        "",
        "://",
        "http://",
        "https://",
        "android-app://",
        "http://[::1]/",
        "http://%",
        "\0",
        "javascript:alert(1)",
        "data:text/html,x",
        "https://..../",
        "https://www./",
        "http://1.2.3.4:99999/",
        &long_host,
        &long_path,
    ];
    let long_utm = format!(
        "https://x.example/?utm_source={}&ref={}",
        "z".repeat(50_000),
        "%ff".repeat(1000)
    );
    let pages = [
        "https://example.com/?%ff=%ff&utm_source=%ff&gclid",
        "file:///tmp/x",
        "data:,x",
        &long_utm,
    ];
    for page in pages {
        for r in referrers.iter().map(|r| Some(*r)).chain([None]) {
            let a = run(page, r);
            assert!(
                a.referrer
                    .as_ref()
                    .is_none_or(|r| r.len() <= MAX_TEXT_BYTES)
            );
            assert!(
                a.source
                    .as_ref()
                    .is_none_or(|s| s.len() <= MAX_TEXT_BYTES + 14)
            );
        }
    }
    for s in ["", ".", "..", "www.", " ", "a.b.c.d.e.f"] {
        let _ = (
            source_name(s),
            channel_for(Some(s), Some(s), Some(s), None, true),
        );
    }
}
