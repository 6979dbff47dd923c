"""User agents of real browsers, weighted roughly like today's traffic, and of the robots the collector drops."""

from __future__ import annotations

from leadline.traffic.weighted import Weighted

_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)"
_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
_IOS_WEBKIT = "AppleWebKit/605.1.15 (KHTML, like Gecko)"
_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS"
_IPAD = "Mozilla/5.0 (iPad; CPU OS"
_SAMSUNG = "SamsungBrowser"

DESKTOP_AGENTS: tuple[tuple[str, float], ...] = (
    (f"{_WINDOWS} {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", 16),
    (f"{_WINDOWS} {_WEBKIT} Chrome/130.0.0.0 Safari/537.36", 6),
    (f"{_WINDOWS} {_WEBKIT} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", 7),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", 4),
    (f"{_MAC} {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", 7),
    (f"{_MAC} {_IOS_WEBKIT} Version/18.1 Safari/605.1.15", 6),
    (f"{_MAC} {_IOS_WEBKIT} Version/17.6 Safari/605.1.15", 2),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0", 1.5),
    (f"{_MAC} {_WEBKIT} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", 0.8),
    (f"Mozilla/5.0 (X11; Linux x86_64) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", 2),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", 1),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 0.8),
    (f"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", 0.6),
)
MOBILE_AGENTS: tuple[tuple[str, float], ...] = (
    (
        f"{_IPHONE} 18_1_1 like Mac OS X) {_IOS_WEBKIT} Version/18.1.1 Mobile/15E148 Safari/604.1",
        12,
    ),
    (
        f"{_IPHONE} 17_6_1 like Mac OS X) {_IOS_WEBKIT} Version/17.6 Mobile/15E148 Safari/604.1",
        4,
    ),
    (
        f"{_IPHONE} 18_1 like Mac OS X) {_IOS_WEBKIT} CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        2,
    ),
    (
        f"{_IPHONE} 18_1 like Mac OS X) {_IOS_WEBKIT} FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
        0.5,
    ),
    (f"Mozilla/5.0 (Linux; Android 10; K) {_WEBKIT} Chrome/131.0.0.0 Mobile Safari/537.36", 10),
    (f"Mozilla/5.0 (Linux; Android 14; Pixel 8) {_WEBKIT} Chrome/131.0.6778.81 Mobile Safari/537.36", 2),
    (
        f"Mozilla/5.0 (Linux; Android 14; SM-S921B) {_WEBKIT} {_SAMSUNG}/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
        3,
    ),
    (
        f"Mozilla/5.0 (Linux; Android 13; SM-A536B) {_WEBKIT} {_SAMSUNG}/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
        2,
    ),
    ("Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", 0.8),
    (f"Mozilla/5.0 (Linux; Android 10; K) {_WEBKIT} Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0", 0.4),
)
TABLET_AGENTS: tuple[tuple[str, float], ...] = (
    (f"{_IPAD} 18_1 like Mac OS X) {_IOS_WEBKIT} Version/18.1 Mobile/15E148 Safari/604.1", 2),
    (
        f"{_IPAD} 17_6 like Mac OS X) {_IOS_WEBKIT} CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        0.5,
    ),
    (f"Mozilla/5.0 (Linux; Android 14; SM-X710) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", 0.8),
    (f"Mozilla/5.0 (Linux; Android 13; SM-X200) {_WEBKIT} {_SAMSUNG}/25.0 Chrome/121.0.0.0 Safari/537.36", 0.5),
    (f"Mozilla/5.0 (Linux; Android 14; Pixel Tablet) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", 0.2),
)
BOT_AGENTS: tuple[tuple[str, float], ...] = (
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 4),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 2),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 1),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", 1),
    (f"Mozilla/5.0 (X11; Linux x86_64) {_WEBKIT} HeadlessChrome/131.0.0.0 Safari/537.36", 1),
)

_DEVICE_SHARES = ((DESKTOP_AGENTS, 0.55), (MOBILE_AGENTS, 0.40), (TABLET_AGENTS, 0.05))


def _by_device_share() -> Weighted[str]:
    pairs: list[tuple[str, float]] = []
    for agents, share in _DEVICE_SHARES:
        total = sum(weight for _, weight in agents)
        pairs.extend((agent, share * weight / total) for agent, weight in agents)
    return Weighted(pairs)


BROWSERS: Weighted[str] = _by_device_share()
BOTS: Weighted[str] = Weighted(BOT_AGENTS)
