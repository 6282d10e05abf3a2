//! The table of real user agents and what each must classify as.

use super::super::Device;

/// Expected outcome of one table row.
pub(super) enum Want {
    Human(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Device,
    ),
    Bot,
}
use Want::{Bot, Human};

/// (what it is, UA, expected). Real UAs as sent by current browsers/bots.
pub(super) const CASES: &[(&str, &str, Want)] = &[
    (
        "Chrome on Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        Human("Chrome", "120", "Windows", "10", Device::Desktop),
    ),
    (
        "Firefox on Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
        Human("Firefox", "121", "Windows", "10", Device::Desktop),
    ),
    (
        "Edge on Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
        Human("Microsoft Edge", "120", "Windows", "10", Device::Desktop),
    ),
    (
        "Chrome on Windows 7",
        "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
        Human("Chrome", "109", "Windows", "7", Device::Desktop),
    ),
    (
        "IE 11 on Windows 8.1",
        "Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko",
        Human("Internet Explorer", "11", "Windows", "8.1", Device::Desktop),
    ),
    (
        "Safari on macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
        Human("Safari", "17", "Mac", "10.15", Device::Desktop),
    ),
    (
        "Chrome on macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        Human("Chrome", "120", "Mac", "10.15", Device::Desktop),
    ),
    (
        "Firefox on macOS 14",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0",
        Human("Firefox", "121", "Mac", "14", Device::Desktop),
    ),
    (
        "Firefox on Ubuntu",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        Human("Firefox", "121", "GNU/Linux", "", Device::Desktop),
    ),
    (
        "Chrome on Linux",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        Human("Chrome", "120", "GNU/Linux", "", Device::Desktop),
    ),
    (
        "Chrome on ChromeOS",
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        // uap reports the ChromeOS platform build major, not the Chrome version.
        Human("Chrome", "120", "Chrome OS", "14541", Device::Desktop),
    ),
    (
        "Opera on Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
        Human("Opera", "106", "Windows", "10", Device::Desktop),
    ),
    (
        "Electron app is a person, not a bot",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.36.140 Chrome/120.0.6099.56 Electron/28.0.0 Safari/537.36",
        Human("Electron", "28", "Windows", "10", Device::Desktop),
    ),
    (
        "Safari on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
        Human("Safari", "17", "iOS", "17", Device::Mobile),
    ),
    (
        "Chrome on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
        Human("Chrome", "120", "iOS", "17", Device::Mobile),
    ),
    (
        "Firefox on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
        Human("Firefox", "121", "iOS", "17", Device::Mobile),
    ),
    (
        "Safari on iPad",
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        Human("Safari", "16", "iOS", "16", Device::Tablet),
    ),
    (
        "Chrome on Android phone",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        Human("Chrome", "120", "Android", "10", Device::Mobile),
    ),
    (
        "Chrome on Android tablet (no 'Mobile')",
        "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        Human("Chrome", "120", "Android", "13", Device::Tablet),
    ),
    (
        "Firefox on Android phone",
        "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
        Human("Firefox", "121", "Android", "14", Device::Mobile),
    ),
    (
        "Firefox on Android tablet",
        "Mozilla/5.0 (Android 14; Tablet; rv:121.0) Gecko/121.0 Firefox/121.0",
        Human("Firefox", "121", "Android", "14", Device::Tablet),
    ),
    (
        "Samsung Internet on Android phone",
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
        Human("Samsung Internet", "23", "Android", "13", Device::Mobile),
    ),
    (
        "Opera Mobile on Android",
        "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 OPR/79.0.4195.76167",
        Human("Opera", "79", "Android", "10", Device::Mobile),
    ),
    (
        "Edge on Android",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.2210.115",
        Human("Microsoft Edge", "120", "Android", "10", Device::Mobile),
    ),
    (
        "Android WebView in an app",
        "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36",
        Human("Chrome Webview", "120", "Android", "13", Device::Mobile),
    ),
    (
        "Kindle Fire Silk",
        "Mozilla/5.0 (Linux; U; Android 4.0.3; en-us; KFTT Build/IML74K) AppleWebKit/535.19 (KHTML, like Gecko) Silk/3.4 Mobile Safari/535.19 Silk-Accelerated=true",
        Human("Silk", "3", "Android", "4", Device::Tablet),
    ),
    (
        "Windows Phone",
        "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)",
        Human("IE Mobile", "10", "Windows Phone", "8", Device::Mobile),
    ),
    (
        "Googlebot",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        Bot,
    ),
    (
        "Googlebot smartphone",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.129 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        Bot,
    ),
    (
        "Bingbot",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        Bot,
    ),
    ("curl", "curl/8.5.0", Bot),
    ("python-requests", "python-requests/2.31.0", Bot),
    ("wget", "Wget/1.21.4", Bot),
    (
        "HeadlessChrome",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.71 Safari/537.36",
        Bot,
    ),
    (
        "Lighthouse",
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
        Bot,
    ),
    (
        "PhantomJS",
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
        Bot,
    ),
    ("empty UA", "", Bot),
    ("whitespace UA", "   \t ", Bot),
    ("too short", "Moz/5", Bot),
];
