"""Which user agents are programs, read from real strings: libraries, tools, crawlers and
headless browsers are; people's browsers are not, however old, small or embedded in an
app (a false "program" would put an honest resident's ballot before the verifiers)."""

import pytest

from urna.fraud.agents import agent_browser, agent_program

PROGRAMS = [  # (user agent, the client's name the evidence shows)
    ("python-requests/2.31.0", "Python Requests"),
    ("curl/8.5.0", "curl"),
    ("Go-http-client/1.1", "Go-http-client"),
    ("Go-http-client/2.0", "Go-http-client"),
    ("okhttp/4.12.0", "okhttp"),
    ("Wget/1.21.4", "Wget"),
    ("Python-urllib/3.11", "Python-urllib"),
    ("Python/3.11 aiohttp/3.9.1", "Python aiohttp"),
    ("python-httpx/0.27.0", "Other"),
    ("Java/17.0.2", "Java"),
    ("Apache-HttpClient/4.5.14 (Java/17.0.9)", "Apache-HttpClient"),
    ("axios/1.6.2", "axios"),
    ("node", "Other"),
    ("node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "Other"),
    ("undici", "Other"),
    ("PostmanRuntime/7.36.0", "PostmanRuntime"),
    ("HTTPie/3.2.2", "HTTPie"),
    ("libwww-perl/6.72", "libwww-perl"),
    ("Scrapy/2.11.0 (+https://scrapy.org)", "Scrapy"),
    ("Dart/3.2 (dart:io)", "Other"),
    ("locust/2.20", "Other"),
    ("Mozilla/5.0", "Other"),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/120.0.6099.109 Safari/537.36",
        "HeadlessChrome",
    ),
    (
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
        "PhantomJS/2.1.1 Safari/538.1",
        "PhantomJS",
    ),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot"),
    (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, "
        "like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; "
        "+http://www.google.com/bot.html)",
        "Googlebot",
    ),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bingbot"),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "AhrefsBot"),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "FacebookBot"),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
        "+https://openai.com/gptbot)",
        "GPTBot",
    ),
    ("", ""),
    ("   ", ""),
    (None, ""),
]

BROWSERS = [
    # desktop
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko",
    # screen-reader users' browsers: NVDA and JAWS read Firefox ESR and Chrome, VoiceOver
    # Safari, TalkBack Chrome; text browsers with a braille display or speech
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0",
    "Lynx/2.9.0dev.12 libwww-FM/2.14 SSL-MM/1.4.1 GNUTLS/3.7.8",
    "w3m/0.5.3+git20230121",
    "ELinks/0.16.1.1 (textmode; Linux 6.1.0 x86_64; 80x24-2)",
    "Links (2.29; Linux 6.1.0-18-amd64 x86_64; GNU C 12.2; text)",
    "URL/Emacs Emacs/29.1 (X11; x86_64-pc-linux-gnu)",
    # phones and tablets
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 16_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; U; Android 10; pl-pl; Redmi Note 9 Pro Build/QKQ1.191215.002) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.5615.136 Mobile "
    "Safari/537.36 XiaoMi/MiuiBrowser/14.4.0-g",
    "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Silk/108.4.6 like Chrome/108.0.5359.220 Safari/537.36",
    "Mozilla/5.0 (Linux; U; Android 4.4.2; pl-pl; GT-I9195 Build/KOT49H) AppleWebKit/534.30 "
    "(KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
    # in-app browsers (a link opened in Facebook, Messenger, Instagram, TikTok)
    "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.102 Mobile Safari/537.36 "
    "[FB_IAB/FB4A;FBAV/489.0.0.46.73;]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/485.1.0.45.110;FBBV/652720932;FBDV/iPhone14,5;"
    "FBMD/iPhone;FBSN/iOS;FBSV/17.6.1;FBSS/3;FBID/phone;FBLC/pl_PL;FBOP/5;FBRV/654455286]",
    "Mozilla/5.0 (Linux; Android 12; Mi 9T Pro Build/SKQ1.211006.001; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36 "
    "[FB_IAB/Orca-Android;FBAV/482.0.0.36.116;]",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240905.003; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/129.0.6668.100 Mobile Safari/537.36 Instagram "
    "352.0.0.38.100 Android (34/14; 420dpi; 1080x2205; Google/google; Pixel 8; shiba; shiba; "
    "pl_PL; 650454843)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 Instagram 350.1.0.24.84 (iPhone15,2; iOS 18_0; pl_PL; pl; "
    "scale=3.00; 1179x2556; 639920398)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 musical_ly_35.8.0 JsSdk/2.0 NetType/WIFI Channel/App Store "
    "ByteLocale/pl Region/PL",
    "Mozilla/5.0 (Linux; Android 13; SM-A525F Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) GSA/343.0.695551749 Mobile/15E148 Safari/604.1",
    # old and small phones
    "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.334; U; id) "
    "Presto/2.5.25 Version/10.54",
    "Opera/9.80 (Android; Opera Mini/39.1.2254/191.256; U; pl) Presto/2.12.423 Version/12.16",
    "Mozilla/5.0 (Linux; U; Android 8.1.0; en-US; Redmi 5A Build/OPM1.171019.026) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 "
    "UCBrowser/13.4.0.1306 Mobile Safari/537.36",
    "Mozilla/5.0 (Mobile; Nokia 8110 4G; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5",
    "Mozilla/5.0 (Linux; Android 8.1.0; Mobile; rv:68.0) Gecko/68.0 Firefox/68.0 KAIOS/3.0",
    "Mozilla/5.0 (Series40; Nokia2700c-2/09.95; Profile/MIDP-2.1 Configuration/CLDC-1.1) "
    "Gecko/20100401 S40OviBrowser/5.5.0.0.27",
    "Nokia6300/2.0 (05.00) Profile/MIDP-2.0 Configuration/CLDC-1.1",
    "Mozilla/5.0 (compatible; MSIE 9.0; Windows Phone OS 7.5; Trident/5.0; IEMobile/9.0; "
    "NOKIA; Lumia 800)",
    "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "76.0.3809.146/6.0 TV Safari/537.36",
]


@pytest.mark.parametrize(("user_agent", "name"), PROGRAMS)
def test_programs_are_named(user_agent, name):
    assert agent_program(user_agent) == name


@pytest.mark.parametrize("user_agent", BROWSERS)
def test_people_s_browsers_are_not_programs(user_agent):
    assert agent_program(user_agent) is None


ANDROID = "Mozilla/5.0 (Linux; Android 14; {}) AppleWebKit/537.36 Chrome/131.0 Mobile Safari"


def test_a_browser_is_named_by_its_version_system_and_device():
    """Two phones with one browser and one system differ by their device; a string
    ua-parser knows no browser in is quoted as it is."""
    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"
    assert agent_browser(ANDROID.format("SM-A556B")) == "Chrome 131 (Android 14, Samsung SM-A556B)"
    assert agent_browser(ANDROID.format("Pixel 8")) == "Chrome 131 (Android 14, Pixel 8)"
    assert agent_browser(firefox) == "Firefox 132 (Windows 10)"
    assert agent_browser("Mozilla/5.0") == "Mozilla/5.0"
    assert agent_browser(None) == agent_browser("  ") == ""
