"""Processes that keep a given share of the CPU busy: a stand-in for a neighbour's load.

On a 2-core machine Rasa answers more slowly next to any busy process, so the
load bench measures bare Rasa once more beside a stand-in burning what the
desk's side spent, and nothing else. Comparing that with the desk phase splits
the desk's cost into sharing the cores and the desk's own path.
"""
from __future__ import annotations

import math
import multiprocessing
import time
from typing import List


def burn(share: float, period: float = 0.005) -> None:
    """Keep `share` of one core busy, in slices as short as a desk's work on a message, until killed."""
    while True:
        began = time.perf_counter()
        while time.perf_counter() - began < share * period:
            pass
        time.sleep((1 - share) * period)


def start_stand_in(cores: float) -> List[multiprocessing.Process]:
    """Processes burning `cores` in all, as few as can carry it (each at most one core); kill them to stop."""
    count = max(1, math.ceil(cores))
    spawn = multiprocessing.get_context("spawn")  # nothing of the bench's event loop in the children
    burners = [spawn.Process(target=burn, args=(min(cores / count, 1.0),), daemon=True) for _ in range(count)]
    for burner in burners:
        burner.start()
    return burners
