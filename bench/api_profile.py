"""Where `sigtrack serve` spends its time under the API benchmark's load: py-spy attached
to the server for a few seconds (only the thread holding the GIL is sampled, so a thread
waiting for it is not counted as busy), its raw stacks kept, and the frames that take the
largest share of the samples, by inclusive and by own time.

py-spy is not a project dependency: pass its path to `bench/api.py --py-spy PATH` (for
example after `pip install --target /tmp/pyspy py-spy`, /tmp/pyspy/bin/py-spy).
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

FRAME = re.compile(r"(?P<name>.*) \((?P<file>.*?):\d+\)$")
NOISE = ("threading.py", "typer/", "click/", "sigtrack/cli/", "uvicorn/_compat.py",
         "uvicorn/server.py", "asyncio/runners.py", "<module>")  # fmt: skip


def record(py_spy: str, pid: int, seconds: float, out: Path) -> subprocess.CompletedProcess[str]:
    """Sample `pid` for `seconds` into `out` (py-spy's raw, collapsed-stack format)."""
    args = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate",
            "200", "--gil", "--nonblocking", "--format", "raw", "-o", str(out)]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, check=False)


def short(frame: str) -> str:
    found = FRAME.match(frame)
    if found is None:
        return frame
    file = found["file"].split("site-packages/")[-1].split("/src/")[-1]
    return f"{found['name']} ({file})"


def top_frames(raw: Path, count: int = 30) -> dict[str, Any]:
    """The frames with the largest share of the samples: inclusive (the frame anywhere on
    the stack) and own (the frame on top), start-up frames left out."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        samples, frames = int(n), [short(f) for f in stack.split(";")]
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        kept = [(f, n) for f, n in counter.most_common() if not any(x in f for x in NOISE)]
        return [(f, round(100 * n / total, 1)) for f, n in kept[:count]]

    return {"samples": total, "inclusive_pct": shares(inclusive), "own_pct": shares(own)}
