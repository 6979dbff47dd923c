"""Browser, operating system and device type from a user agent, with the well-kept ua-parser rules."""

from __future__ import annotations

from dataclasses import dataclass

from leadline.collect.agents import AgentMemo


@dataclass(frozen=True, slots=True)
class Device:
    browser: str
    operating_system: str
    device_type: str  # desktop, mobile or tablet


# Mobile variants count as their browser: the device type already says mobile.
_BROWSER_FAMILIES = {
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
}


def describe_device(user_agent: str) -> Device:
    """Parsing takes about a millisecond: the collector asks DEVICES, its memo by agent key, instead."""
    # Imported on first use: it compiles 600 rules (about a second), which every CLI command paid at start.
    # The collector calls this once as it starts, so no visitor's request pays it.
    import user_agents

    parsed = user_agents.parse(user_agent)
    if parsed.is_tablet:
        device_type = "tablet"
    elif parsed.is_mobile:
        device_type = "mobile"
    else:
        device_type = "desktop"
    browser = _BROWSER_FAMILIES.get(parsed.browser.family, parsed.browser.family)
    return Device(browser=browser, operating_system=parsed.os.family, device_type=device_type)


# The collector's memo of describe_device, by agent key (see agents.py): no agent string is kept.
DEVICES: AgentMemo[Device] = AgentMemo(describe_device)
