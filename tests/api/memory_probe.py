"""Peak memory of a piece of work, measured in a fresh Python process so nothing earlier counts.

The child runs ``setup``, resets the kernel's peak-RSS counter, runs ``work``, and reports how far its
resident memory rose above where it stood after the setup (``VmHWM`` minus ``VmRSS``), in MiB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import json, pathlib
def _kb(field):
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
{setup}
pathlib.Path("/proc/self/clear_refs").write_text("5")
_start = _kb("VmRSS")
{work}
print("PEAK=" + json.dumps({{"growth_mb": (_kb("VmHWM") - _start) // 1024, "result": repr(result)}}))
"""


def peak_growth(setup: str, work: str, *, timeout: float = 600) -> tuple[int, str]:
    """(MiB the work added at its peak, ``repr`` of the variable ``result`` the work sets)."""
    code = _PROBE.format(setup=textwrap.dedent(setup), work=textwrap.dedent(work))
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("PEAK=")]
    assert done.returncode == 0 and lines, f"the probe failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    measured = json.loads(lines[-1].removeprefix("PEAK="))
    return int(measured["growth_mb"]), str(measured["result"])
