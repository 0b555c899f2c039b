"""Print the wall time of a full training (`make bench-train`).

Trains from scratch into a temporary directory (forcing past Rasa's cache), so
the figure is what a trainer waits for after changing the data.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time


def main() -> int:
    rasa = os.path.join(os.path.dirname(sys.executable), "rasa")
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = subprocess.run([rasa, "train", "--force", "--quiet", "--out", out])
        elapsed = time.perf_counter() - started
    if result.returncode != 0:
        print("error: training failed", file=sys.stderr)
        return result.returncode
    print(f"full training: {elapsed:.1f} s wall on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
