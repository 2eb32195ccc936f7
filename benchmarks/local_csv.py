"""Benchmark: `ivb check` on an analyst's observations file of up to a million rows (issue #26).

Writes a made-up data/local file (nothing here is a real figure: every current municipality of
data/municipalities.csv, years 1995-2025, four crime indicators, invented counts below any
plausible limit, source id test-fixture) into a copy of the project's data folder, runs
`ivb check` on it in a subprocess and prints the wall time and the child's peak memory (maximum
resident set size), per size and as a ratio to the goal (10 s and a few hundred MB for a million
rows, or one line refusing a file above a stated size: ivb refuses files above 20 MB, about
350,000 rows). A second run per size plants one bad value on the last line and times the exact
one-line message.

    python benchmarks/local_csv.py [--sizes 100000,1000000]
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

N_SOURCES = 12   # the same figure from several made-up sources: enough distinct rows for a million
SOURCE = "sources:\n" + "".join(
    f"  - id: test-fixture-{k}\n    kind: analyst_supplied\n    publisher: ivb benchmark\n"
    f"    title: Made-up figures (not real)\n    document: benchmarks/local_csv.py\n    retrieved: 2026-12-04\n"
    for k in range(N_SOURCES))
INDICATORS = ["crimes_total", "burglary_home", "shoplifting", "cybercrime", "weapons_trade", "fire_explosion",
              "drug_trade", "business_theft"]


def write_file(path: Path, rows: int, codes: list[tuple[str, str]], bad_last: bool = False) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["indicator", "area_code", "area_name", "year", "value", "source_id"])
    n = 0
    for k in range(N_SOURCES):
        for i, (code, name) in enumerate(codes):
            for year in range(1995, 2026):
                for j, ind in enumerate(INDICATORS):
                    if n == rows:
                        break
                    value = "12,5" if bad_last and n == rows - 1 else str((i * 7 + year + j) % 50)   # same for every source
                    w.writerow([ind, code, name, year, value, f"test-fixture-{k}"])
                    n += 1
    if n < rows:
        raise SystemExit(f"at most {n:,} distinct rows from this generator")
    path.write_text(buf.getvalue(), encoding="utf-8")


def check(data: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "ivbtools.cli", "--data", str(data), "check"], capture_output=True,
                          text=True, env={**os.environ, "IVB_EMBEDDED_ONLY": ""})
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024   # MB (Linux reports kB)
    return wall, peak, proc


def main() -> None:
    from ivbtools.data.municipalities import current_codes

    from conftest import copy_project_data

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,350000,1000000")
    sizes = [int(s) for s in ap.parse_args().sizes.split(",")]
    codes = current_codes(ROOT / "data" / "municipalities.csv")
    print(f"{'rows':>10} {'MB':>6} {'check s':>8} {'goal ratio':>10} {'peak MB':>8}  result")
    accepted, refused = None, None
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            data = copy_project_data(Path(tmp) / f"data-{n}")
            (data / "local" / "sources.yaml").write_text(SOURCE, encoding="utf-8")
            f = data / "local" / "many.csv"
            write_file(f, n, codes)
            wall, peak, proc = check(data)
            if proc.returncode == 0:
                accepted = (n, wall)
            elif "more than the" in proc.stderr:
                refused = (n, wall)
            result = proc.stdout.strip()[:60] if proc.returncode == 0 else proc.stderr.strip()[:90]
            print(f"{n:>10,} {f.stat().st_size / 1e6:>6.1f} {wall:>8.1f} {wall / 10.0:>10.2f} {peak:>8.0f}  {result}")
            write_file(f, n, codes, bad_last=True)
            wall, peak, proc = check(data)
            print(f"{'(bad last line)':>10} {'':>6} {wall:>8.1f} {wall / 10.0:>10.2f} {peak:>8.0f}  {proc.stderr.strip()[:90]}")
    if accepted:
        print(f"ivb check: {accepted[0]:,} rows checked in {accepted[1]:.1f} s (goal for a million: 10 s)")
    if refused:
        print(f"ivb check: {refused[0]:,} rows (above the 20 MB bound) refused with one line in {refused[1]:.1f} s")


if __name__ == "__main__":
    main()
