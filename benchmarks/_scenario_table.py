"""The shared part of benchmarks/signal_rules.py and benchmarks/monthly_model.py: run every
(scenario, method) cell in worker processes and print false signals (higher/lower) and power
side by side, with the Monte-Carlo margin."""
from __future__ import annotations

import argparse
import math
from concurrent.futures import ProcessPoolExecutor


def run(cell, scenarios, methods, seed0: int, size_label: str) -> None:
    """`cell((*scenario, method, reps, seed))` returns (label, size, tau, method, hi, lo, power, jump);
    each scenario is (label, size, tau, trend, outbreak, jump)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--methods", nargs="+", choices=list(methods), default=list(methods),
                    help="only these columns (default: all)")
    a = ap.parse_args()
    methods = a.methods
    jobs = [(*sc, m, a.reps, seed0 + k) for k, sc in enumerate(scenarios) for m in methods]
    with ProcessPoolExecutor(a.workers) as ex:
        rows = list(ex.map(cell, jobs))
    print(f"R = {a.reps} per cell; Monte-Carlo margin at 5%: ±{196 * math.sqrt(0.05 * 0.95 / a.reps):.1f} points")
    print(f"{'scenario':10} {size_label:>5} {'tau':>4} | " + " | ".join(f"{m:^22}" for m in methods))
    print(f"{'':10} {'':>5} {'':>4} | " + " | ".join(f"{'false (hi/lo)':>15} {'power':>6}" for _ in methods))
    by = {(r[0], r[1], r[2], r[3]): r for r in rows}
    for label, size, tau, _trend, _outbreak, jump in scenarios:
        cells = []
        for m in methods:
            _, _, _, _, hi, lo, pw, _ = by[(label, size, tau, m)]
            cells.append(f"{100 * (hi + lo):5.1f} ({100 * hi:4.1f}/{100 * lo:4.1f}) {100 * pw:5.1f}")
        print(f"{label:10} {size:>5} {tau:>4} | " + " | ".join(f"{c:>22}" for c in cells) + f"   (power: x{jump:g})")
