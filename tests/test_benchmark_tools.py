"""The benchmarks' own instruments: what they count as this benchmark and what as other load."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from benchmarks.album_bench import tree_pss_mib
from benchmarks.machine import OtherLoad, process_tree

BURN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"


def test_the_process_tree_holds_children_and_their_memory() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        tree = process_tree(os.getpid())
        assert {os.getpid(), child.pid} <= tree
        assert tree_pss_mib(os.getpid(), tree) > tree_pss_mib(os.getpid(), {os.getpid()}) > 0
    finally:
        child.kill()
        child.wait()


def burn_while_measured(*, orphaned: bool) -> float:
    """CPU share charged to 'other processes' while a 2-second busy loop runs, ours or orphaned."""
    code = BURN.format(seconds=2)
    with OtherLoad() as other:
        if orphaned:  # the shell exits at once: the loop is re-parented away from this process tree
            subprocess.run(["sh", "-c", f'"{sys.executable}" -c "$0" >/dev/null 2>&1 &', code], check=True)
            time.sleep(2.5)
        else:
            subprocess.run([sys.executable, "-c", code], check=True)
    return other.share


@pytest.mark.exclusive  # under pytest-xdist the other worker would count as outside load
def test_other_load_counts_outside_work_but_not_the_benchmarks_own() -> None:
    cores = os.cpu_count() or 1
    outside, own = burn_while_measured(orphaned=True), burn_while_measured(orphaned=False)
    # The orphaned loop takes up to one core of `cores` for most of the window; our own loop is not charged.
    assert outside - own > 0.4 / cores
