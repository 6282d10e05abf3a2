#!/usr/bin/env python3
"""Writes tests/fixtures/ua/browsers.txt: real browser user agents from
uap-core's own test data (https://github.com/ua-parser/uap-core, Apache-2.0),
which the bot filter must never drop (src/ingest/useragent/tests.rs).

A user agent is kept when uap-core (Touchpoint's embedded assets/uap/regexes.json)
names a browser family for it (the BROWSERS list below: browsers and the in-app
browsers of social apps, where people read pages) and not a "Spider" device.
Left out by hand, after review: user agents of that shape that are automated
(BOTS_IN_BROWSER_CLOTHES: regexes, each with what it matches).

Usage (from the repository root; a bare clone works too):
  scripts/extract-browser-uas.py UAP_CORE_CLONE > tests/fixtures/ua/browsers.txt
Needs: pip install ua-parser pyyaml
"""

import re
import subprocess
import sys

import yaml
from ua_parser import Parser, loaders

SOURCES = [
    "tests/test_ua.yaml",
    "test_resources/firefox_user_agent_strings.yaml",
    "tests/test_os.yaml",
    "tests/test_device.yaml",
]

BROWSERS = {
    "115 Browser", "360 Secure Browser", "AOL Desktop Gold Browser", "AOL Shield Browser",
    "Aloha Browser", "Amazon Silk", "Android", "Atom Browser", "Avast Secure Browser",
    "Baidu Browser", "Baidu Explorer", "Basilisk", "BlackBerry WebKit", "Brave", "Camino",
    "Chrome", "Chrome Frame", "Chrome Mobile", "Chrome Mobile WebView", "Chrome Mobile iOS",
    "Chromium", "Chromium GOST Browser", "Coc Coc", "Comodo Dragon", "Conkeror",
    "DuckDuckGo Mobile", "Ecosia Android", "Ecosia iOS", "Edge", "Edge Mobile", "Epiphany",
    "Facebook", "Facebook Messenger", "Firefox", "Firefox (Shiretoko)", "Firefox Beta",
    "Firefox Mobile", "Firefox iOS", "HeyTap Browser", "HiBrowser", "Honor Browser",
    "Huawei Browser", "IE", "IE Mobile", "IceCat", "Iceweasel", "Instagram", "Iron",
    "JiSu Browser", "KakaoTalk", "Kindle", "Konqueror", "LINE", "Ladybird", "Lite Browser",
    "Mail.ru Chromium Browser", "Maxthon", "Midori", "Mint Browser", "MiuiBrowser",
    "Mobile Safari", "Mobile Safari UI/WKWebView", "MullvadBrowser", "Mypal Browser",
    "NetFront", "Nokia Browser", "Oculus Browser", "Opera", "Opera Coast", "Opera GX",
    "Opera Mini", "Opera Mobile", "Opera Neon", "Opera Tablet", "Opera Touch", "Otter",
    "Ovi Browser", "Pale Moon", "Phoenix Browser", "Pinterest", "Puffin", "QQ Browser",
    "QQ Browser Mini", "QQ Browser Mobile", "Quark", "QupZilla", "Rekonq", "Safari",
    "Sailfish Browser", "Samsung Internet", "Sber Browser", "SeaMonkey", "Seznam prohlížeč",
    "Silk", "Sleipnir", "Smart Lenovo Browser", "Snapchat", "Tenta Browser", "TikTok",
    "Twitter", "UC Browser", "Vivaldi", "VivoBrowser", "Waterfox", "WeChat Browser", "Weibo",
    "Whale", "Wolvic Browser", "Yandex Browser", "qutebrowser", "webOS Browser",
}

BOTS_IN_BROWSER_CLOTHES = {
    "RuxitSynthetic": "Dynatrace synthetic monitoring",
    "Google-InspectionTool": "Google Search Console's URL inspection",
    "Google Web Preview": "Google's page preview renderer",
    # uap-core names the "Pinterest" family for it, but it is Pinterest's crawler:
    # isbot's bot fixtures list this very string, crawler-user-agents lists
    # "Pinterest/0.2 (+http://www.pinterest.com/bot.html)".
    r"^Pinterest/0\.2 \(\+https?://": "Pinterest's crawler",
    # Not the in-app browser (that one starts "Mozilla/5.0 (iPhone; ..." and
    # stays): the app's own HTTP client, seen fetching pages from phones, most
    # likely for link previews (browscap/browscap#1532). No web view, so no
    # tracker script runs under it; isbot lists it ("^snapchat").
    r"^Snapchat/": "the Snapchat app's HTTP client (link previews)",
}


def main() -> None:
    checkout = sys.argv[1]
    commit = git(checkout, "rev-parse", "HEAD").strip()
    parser = Parser.from_matchers(loaders.load_json("assets/uap/regexes.json"))
    seen = set()
    print(f"# Browser user agents from uap-core {commit} ({', '.join(SOURCES)}),")
    print("# Apache-2.0; made by scripts/extract-browser-uas.py. One per line.")
    for path in SOURCES:
        for case in yaml.safe_load(git(checkout, "show", f"HEAD:{path}"))["test_cases"]:
            ua = case["user_agent_string"]
            if not ua or ua != ua.strip() or "\n" in ua or ua.startswith("#") or ua in seen:
                continue
            family = parser.parse_user_agent(ua)
            device = parser.parse_device(ua)
            if family is None or family.family not in BROWSERS:
                continue
            if device is not None and device.family == "Spider":
                continue
            if any(re.search(marker, ua) for marker in BOTS_IN_BROWSER_CLOTHES):
                continue
            seen.add(ua)
            print(ua)


def git(checkout: str, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", checkout, *args], check=True, capture_output=True, text=True
    ).stdout


if __name__ == "__main__":
    main()
