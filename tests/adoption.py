"""Running another module's tests against a different server: the same behaviour checked on other stores."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from types import ModuleType
from typing import Any


def adopt_server_tests(target: dict[str, Any], reaching: Iterable[str], *modules: ModuleType) -> None:
    """Collect into `target` (a test module's globals) every test of `modules` that takes one of the fixtures
    `reaching` (the ones that talk to a server), so it runs against the server that module's fixtures give."""
    names = set(reaching)
    for module in modules:
        for name, test in vars(module).items():
            if name.startswith("test_") and names & set(inspect.signature(test).parameters):
                # test_sites.test_x is collected as test_sites__x: its module shows, and `-k test_x` picks
                # only the original (the README test runs one test by name and expects exactly one).
                target[f"{module.__name__.rsplit('.', 1)[1]}__{name.removeprefix('test_')}"] = test
