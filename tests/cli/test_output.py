"""The one output helper: JSON on one line, tables with readable cells, errors as one plain line on stderr."""

from __future__ import annotations

import json

import pytest
import typer

from leadline.cli.output import cell_text, fail, print_json, print_result, print_rows


def test_json_is_one_line_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"name": "a very long value " * 20, "items": [1, 2]})
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out) == {"name": "a very long value " * 20, "items": [1, 2]}


def test_rows_are_one_json_array_or_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"id": "A1", "site_id": "S1", "datasets": ["daily_pages", "daily_events"], "revoked": False}]
    print_rows(rows, True, "Clients", ["id", ("site", "site_id")])
    assert json.loads(capsys.readouterr().out) == rows
    print_rows(rows, False, "Clients", ["id", ("site", "site_id"), "datasets", "revoked"])
    table = capsys.readouterr().out
    assert "Clients" in table and "site" in table and "site_id" not in table
    assert "daily_pages daily_events" in table and "False" in table


def test_cells_join_lists_and_leave_null_empty() -> None:
    assert [cell_text(value) for value in (None, ["a", "b"], True, 3, "x")] == ["", "a b", "True", "3", "x"]


def test_a_result_is_its_json_or_its_sentences(capsys: pytest.CaptureFixture[str]) -> None:
    print_result({"id": "K1", "revoked": True}, True, "Revoked key [bold]K1[/]")
    assert json.loads(capsys.readouterr().out) == {"id": "K1", "revoked": True}
    print_result({"id": "K1", "revoked": True}, False, "Revoked key [bold]K1[/]", "Second line")
    assert capsys.readouterr().out == "Revoked key K1\nSecond line\n"


def test_fail_prints_one_plain_line_on_stderr_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exited:
        fail("invalid settings: port [type=int_parsing]")
    assert exited.value.exit_code == 2
    captured = capsys.readouterr()
    # The message is text: brackets in it (pydantic's error codes, a user's input) are printed, not read as markup.
    assert captured.err == "error: invalid settings: port [type=int_parsing]\n" and captured.out == ""


def test_fail_takes_another_exit_code() -> None:
    with pytest.raises(typer.Exit) as exited:
        fail("could not talk to the server", 1)
    assert exited.value.exit_code == 1
