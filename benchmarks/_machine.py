"""How fast this machine is today, as one figure printed beside a benchmark's seconds.

The 2-core machines here have given the same code 3,21 and 1,85 s CPU per report two hours
apart, and 1,74 and 0,39 s in two sessions of one day: seconds of CPU are not comparable across
sessions. A fixed workload timed before and after the benchmark says how fast the machine was
meanwhile; divide a figure by it to compare runs of different sessions. It is pure Python, as
most of a report's time is (py-spy: matplotlib, pandas and the Jupyter packages' own Python
code). On the evening of 5 December 2026 it took 0,42-0,47 s CPU (a report cost 0,39-0,53 s CPU
at the margin).
"""
from __future__ import annotations

import time


def reference_seconds(repeat: int = 3) -> float:
    """CPU seconds of the reference workload (the fastest of `repeat`): sum(i * i) over 10^7 integers."""
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        sum(i * i for i in range(10 ** 7))
        best = min(best, time.process_time() - t)
    return best


def speed_line(before: float, after: float) -> str:
    return (f"machine: reference workload {before:.2f} s CPU before, {after:.2f} s after (0,42 s on 5 December 2026; "
            f"figures scale with it)")
