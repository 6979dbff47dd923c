"""User agents become a browser, an operating system and a device type (desktop, mobile or tablet)."""

from __future__ import annotations

import pytest

from leadline.collect.devices import Device, describe_device
from tests.collect.test_bots import BROWSERS


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (BROWSERS[0], Device("Chrome", "Windows", "desktop")),
        (BROWSERS[1], Device("Safari", "Mac OS X", "desktop")),
        (BROWSERS[2], Device("Firefox", "Ubuntu", "desktop")),
        (BROWSERS[3], Device("Safari", "iOS", "mobile")),
        (BROWSERS[4], Device("Samsung Internet", "Android", "mobile")),
        (BROWSERS[5], Device("Edge", "Windows", "desktop")),
        (BROWSERS[6], Device("Safari", "iOS", "tablet")),
        (
            "Mozilla/5.0 (Linux; Android 10; HD1913) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
            "Mobile Safari/537.36 EdgA/131.0.0.0",
            Device("Edge", "Android", "mobile"),
        ),
    ],
)
def test_user_agents_are_described(user_agent: str, device: Device) -> None:
    assert describe_device(user_agent) == device
