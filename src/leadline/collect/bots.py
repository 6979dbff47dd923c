"""Is this user agent a robot? A well-kept crawler list plus the signatures of headless browsers."""

from __future__ import annotations

import re

import crawleruseragents

from leadline.collect.agents import AgentMemo

# Automation that the crawler list (aimed at self-declared crawlers) does not name.
_HEADLESS = re.compile(
    r"HeadlessChrome|PhantomJS|Puppeteer|Playwright|Selenium|WebDriver|Cypress|jsdom|Electron/|"
    r"HtmlUnit|SlimerJS|Splash|Prerender|Lighthouse|Chrome-Lighthouse|PTST|GTmetrix",
    re.IGNORECASE,
)
# Clients that are not browsers at all.
_NOT_A_BROWSER = re.compile(
    r"^(curl|wget|python-requests|python-urllib|httpx|aiohttp|go-http-client|java/|okhttp|axios|node-fetch|"
    r"libwww-perl|ruby|php|postman)",
    re.IGNORECASE,
)


def is_bot(user_agent: str) -> bool:
    if len(user_agent) < 10 or ("mozilla" not in user_agent.lower() and "opera" not in user_agent.lower()):
        return True
    return bool(
        _HEADLESS.search(user_agent) or _NOT_A_BROWSER.search(user_agent) or crawleruseragents.is_crawler(user_agent)
    )


# The collector's memo of is_bot, by agent key (see agents.py): no agent string is kept.
BOT_ANSWERS: AgentMemo[bool] = AgentMemo(is_bot)
