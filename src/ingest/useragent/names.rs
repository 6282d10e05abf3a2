//! Names as Plausible shows them, device classes, and the small string rules
//! the classifier applies to what uap-core extracts.

use super::{Device, MAX_NAME_LEN, MAX_UA_LEN, MAX_VERSION_LEN, MIN_UA_LEN};

/// Rules 1 and 2 of [`super::UaClassifier::classify`]: empty, whitespace-only,
/// too short or too long (in bytes).
pub(super) fn implausible_shape(ua: &str) -> bool {
    ua.len() < MIN_UA_LEN || ua.len() > MAX_UA_LEN || ua.trim().is_empty()
}

/// Maps a uap-core browser family to the name Plausible shows. Plausible
/// folds mobile variants into the desktop brand, so "Chrome Mobile" and
/// "Chrome" are one row in its browser report.
pub(super) fn browser_name(family: &str) -> String {
    let mapped = match family {
        "Other" | "" => "",
        "Chrome Mobile" | "Chrome Mobile iOS" => "Chrome",
        "Chrome Mobile WebView" => "Chrome Webview",
        "Mobile Safari" | "Mobile Safari UI/WKWebView" => "Safari",
        "Firefox Mobile" | "Firefox iOS" | "Firefox Beta" | "Firefox Alpha" => "Firefox",
        "Edge" | "Edge Mobile" => "Microsoft Edge",
        "Opera Mobile" | "Opera Mini" => "Opera",
        "IE" | "IE Large Screen" => "Internet Explorer",
        "DuckDuckGo Mobile" => "DuckDuckGo Privacy Browser",
        "MiuiBrowser" => "MIUI Browser",
        "Amazon Silk" => "Silk",
        // "Firefox (Nightly)", "Firefox (Developer Edition)" and the like.
        f if f.starts_with("Firefox (") => "Firefox",
        f => f,
    };
    truncate(mapped, MAX_NAME_LEN).to_owned()
}

/// Maps a uap-core OS family to the name Plausible shows.
pub(super) fn os_name(family: &str) -> String {
    let mapped = match family {
        "Other" | "" => "",
        "Mac OS X" | "Mac OS" => "Mac",
        // Plausible reports distributions as one "GNU/Linux" row.
        "Linux" | "Ubuntu" | "Fedora" | "Debian" | "Gentoo" | "Red Hat" | "Mint" | "Kubuntu"
        | "Xubuntu" | "Lubuntu" | "Slackware" | "SUSE" | "openSUSE" | "Arch Linux" | "CentOS"
        | "Mandriva" => "GNU/Linux",
        f => f,
    };
    truncate(mapped, MAX_NAME_LEN).to_owned()
}

/// OS version as Plausible-style reports want it: the major, except where the
/// major alone is meaningless (see [`UaInfo::os_version`]).
pub(super) fn os_version(os: &str, major: Option<&str>, minor: Option<&str>) -> String {
    let Some(major) = major.filter(|m| is_version_token(m)) else {
        return String::new();
    };
    let minor = minor.filter(|m| is_numeric(m));
    match (os, major, minor) {
        // Distribution versions (uap reports e.g. Ubuntu's) are not Linux versions.
        ("GNU/Linux", _, _) => String::new(),
        // All of Mac OS X 10.0–10.15 share major 10; the minor is the release.
        ("Mac", "10", Some(minor)) => format!("10.{minor}"),
        // Windows 8.1 is a release of its own; other Windows majors are
        // already uap's release names ("10", "7", "XP").
        ("Windows", "8", Some("1")) => "8.1".to_owned(),
        ("Windows", m, _) => m.to_owned(),
        // Elsewhere only numeric majors: anything else is a capture artefact.
        (_, m, _) if is_numeric(m) => m.to_owned(),
        _ => String::new(),
    }
}

/// Device heuristic, first match wins:
/// - Tablet: iPad (UA or uap device), Kindle / Silk, a "Tablet" token (but not
///   old IE's "Tablet PC"), uap's tablet devices, `BlackBerry Tablet OS`;
/// - Mobile: "Mobi" (covers "Mobile"), iPhone / iPod, Windows Phone,
///   uap's iPhone and iPod families, phone OSes;
/// - Tablet: any other Android (Android tablets omit "Mobile");
/// - Desktop: everything else.
///
/// Known blind spot: iPadOS Safari sends a Mac UA by default, so those iPads
/// count as Desktop; no UA-only method can tell them apart.
pub(super) fn device_class(ua: &str, dev_family: &str, os: &str) -> Device {
    let tablet_token = ua.contains("Tablet") && !ua.contains("Tablet PC");
    if dev_family == "iPad"
        || ua.contains("iPad")
        || ua.contains("Kindle")
        || ua.contains("Silk")
        || tablet_token
        || dev_family.starts_with("Kindle")
        || matches!(
            dev_family,
            "Generic Tablet" | "BlackBerry Playbook" | "HP TouchPad" | "Microsoft Surface RT"
        )
        || os == "BlackBerry Tablet OS"
    {
        return Device::Tablet;
    }
    if ua.contains("Mobi")
        || ua.contains("iPhone")
        || ua.contains("iPod")
        || ua.contains("Windows Phone")
        || matches!(dev_family, "iPhone" | "iPod")
        || matches!(
            os,
            "Windows Phone" | "Windows Mobile" | "BlackBerry OS" | "Symbian OS" | "KaiOS"
        )
    {
        return Device::Mobile;
    }
    if ua.contains("Android") {
        return Device::Tablet;
    }
    Device::Desktop
}

/// Device families [`device_class`] and the bot rule look at. uap-core's
/// generic phone rules are left out: without the brand rules before them they
/// would claim Android tablets; phones are recognised by their UA tokens.
pub(super) const CLASS_FAMILIES: [&str; 8] = [
    "Spider",
    "iPad",
    "iPhone",
    "iPod",
    "Generic Tablet",
    "BlackBerry Playbook",
    "HP TouchPad",
    "Microsoft Surface RT",
];

/// Non-empty ASCII digits only, bounded.
pub(super) fn is_numeric(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_VERSION_LEN && s.bytes().all(|b| b.is_ascii_digit())
}

/// A plausible version token: uap's Windows names ("XP", "RT 8") included.
pub(super) fn is_version_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_VERSION_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'.')
}

/// Cuts `s` to at most `max` bytes on a char boundary.
pub(super) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
