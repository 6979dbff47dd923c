"""The sync SDK in client/_sync/ is exactly what scripts/unasync_client.py generates from client/_async/."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

import leadline.client
from leadline.client import _sync

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "unasync_client.py"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """The generator script, loaded as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("unasync_client", SCRIPT)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_sync_client_is_up_to_date(generator: ModuleType, tmp_path: Path) -> None:
    generated = tmp_path / "_sync"
    generator.generate(generated)
    diffs: list[str] = generator.differences(generated, Path(_sync.__file__).parent)
    assert not diffs, "client/_sync/ is stale: run .venv/bin/python scripts/unasync_client.py\n" + "".join(diffs)


def test_every_generated_module_says_it_is_generated_and_from_what(generator: ModuleType) -> None:
    sync_folder = Path(_sync.__file__).parent
    for path in sorted(sync_folder.glob("*.py")):
        first_line = path.read_text().splitlines()[0]
        assert first_line == generator.HEADER.format(name=path.name).strip(), path.name


def test_a_hand_edit_of_a_generated_file_is_reported_as_stale(generator: ModuleType, tmp_path: Path) -> None:
    generated, edited = tmp_path / "generated", tmp_path / "edited"
    generator.generate(generated)
    edited.mkdir()
    for path in generated.glob("*.py"):
        (edited / path.name).write_text(path.read_text())
    rest = edited / "rest.py"
    rest.write_text(rest.read_text().replace("def account(", "def acount("))
    (diff,) = generator.differences(generated, edited)
    assert "-    def acount(" in diff and "+    def account(" in diff


def test_every_async_class_has_a_sync_twin_with_the_same_methods() -> None:
    public = {name: getattr(leadline.client, name) for name in leadline.client.__all__}
    for name, async_class in public.items():
        if not name.startswith("Async"):
            continue
        sync_class = public[name.removeprefix("Async")]
        async_methods = {_sync_name(method) for method in dir(async_class) if not method.startswith("__")}
        sync_methods = {method for method in dir(sync_class) if not method.startswith("__")}
        assert async_methods == sync_methods, name


def _sync_name(method: str) -> str:
    return "close" if method == "aclose" else method
