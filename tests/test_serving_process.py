"""`leadline serve` tunes its process once the app has started: a frozen startup heap, rarer young collections,
a short switch interval."""

from __future__ import annotations

import subprocess
import sys


def test_tuning_freezes_the_startup_heap_collects_less_often_and_shortens_the_switch_interval() -> None:
    # In a process of its own: a frozen heap is never collected, which a test process must not suffer.
    probe = (
        "import gc, sys\n"
        "from leadline.app import SERVING_GC_THRESHOLD, SERVING_SWITCH_INTERVAL_SECONDS, tune_interpreter_for_serving\n"
        "tune_interpreter_for_serving()\n"
        "assert gc.get_freeze_count() > 0, gc.get_freeze_count()\n"
        "assert sys.getswitchinterval() == SERVING_SWITCH_INTERVAL_SECONDS, sys.getswitchinterval()\n"
        "assert gc.get_threshold()[0] == SERVING_GC_THRESHOLD, gc.get_threshold()\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=120)
