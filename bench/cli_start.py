"""CLI start-up: how long an operator command takes, with its own modules loaded and with every command's.

`leadline` imports a command's module only when that command runs (leadline/cli/__init__.py). This bench runs
a few commands as an operator does (a fresh process each, on a scratch data directory with one account), and
beside each the same command in a process that first imports every command's module, as `leadline` did
before: the difference is what loading lazily saves. p50 of `--repetitions` runs, each figure measured in
this run. Target: an operator command that reads the metadata store (`accounts list`) answers in <= 1.5 s
on this machine (2 cores; it took ~2.1 s with every module loaded); exits 1 when it is missed.

    .venv/bin/python bench/cli_start.py [--repetitions 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live_server import leadline_env

TARGET_SECONDS = 1.5
TARGET_COMMAND = ("accounts", "list", "--json")
COMMANDS = [
    ("version",),
    TARGET_COMMAND,
    ("sites", "list", "--json"),
    ("keys", "list", "--help"),
    ("export", "--help"),
]
# Runs the command like the console script, after importing every command's module (the eager CLI).
EAGER = "import leadline.cli as cli\nfor name in cli.COMMANDS:\n    cli.load_command(name)\ncli.main()\n"
LAZY = "import leadline.cli as cli\ncli.main()\n"


def seconds(code: str, arguments: tuple[str, ...], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *arguments], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repetitions", type=int, default=7)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="leadline-cli-bench-"))
    env = leadline_env(data_dir)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure with cached bytecode, as an installed package runs
    command = ("accounts", "create", "--name", "Bench", "--email", "bench@example.com", "--json")
    seconds(LAZY, command, env)  # creates the stores (and compiles the bytecode) once, before any timing
    print(f"{'command':<26} {'own modules':>12} {'every module':>13} {'saved':>7}")
    missed = False
    for arguments in COMMANDS:
        lazy, eager = [], []
        for _ in range(args.repetitions):  # interleaved, so that drift in the machine's load hits both alike
            lazy.append(seconds(LAZY, arguments, env))
            eager.append(seconds(EAGER, arguments, env))
        own, every = statistics.median(lazy), statistics.median(eager)
        verdict = ""
        if arguments == TARGET_COMMAND:
            met = own <= TARGET_SECONDS
            missed = not met
            verdict = f"  (target <= {TARGET_SECONDS:g} s: {'met' if met else 'MISSED'})"
        print(f"{' '.join(arguments):<26} {own:>10.2f} s {every:>11.2f} s {1 - own / every:>6.0%}{verdict}")
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
