"""Benchmark: memory of the streaming BRON reader stays flat as the file grows.

Generates synthetic BRON zips (the real folder layout and column names, made-up records;
nothing here is a real figure) of increasing size, counts them with
ivbtools.live.bron.count_accidents under tracemalloc, and prints the peak memory and the ratios
against the smallest file. Flat memory means the peak ratio stays near 1 while the rows
ratio grows. For contrast it also measures reading the same text whole with pandas.

    python benchmarks/bron_memory.py [--sizes 20000,200000,1000000]
"""
from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

HEADER = "VKL_NUMMER,JAAR_VKL,AP3_CODE,ANTL_DOD,ANTL_SLA,ANTL_GZH,ANTL_SEH,GME_ID,GME_NAAM,PVE_CODE,PVE_NAAM"


def make_zip(path: Path, rows: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("Ongevallengegevens/ongevallen.txt", "w") as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            out.write(HEADER + "\r\n")
            for n in range(rows):
                gme = rnd.randrange(1, 400)
                ap3 = rnd.choices(["UMS", "LET", "DOD"], [82, 17, 1])[0]
                sla = rnd.randrange(1, 3) if ap3 != "UMS" else 0
                out.write(f"{n},{rnd.randrange(2014, 2024)},{ap3},{int(ap3 == 'DOD')},{sla},0,0,{gme},Gemeente {gme},GR,Provincie\r\n")
            out.flush()
            out.detach()


def peak(fn) -> tuple[int, float]:
    tracemalloc.start()
    t = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top, elapsed


def main() -> None:
    from ivbtools.live.bron import MEMBER, count_accidents

    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="20000,200000,1000000")
    sizes = [int(s) for s in ap.parse_args().sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for n in sizes:
            z = Path(tmp) / f"bron-{n}.zip"
            make_zip(z, n)
            stream_peak, secs = peak(lambda: count_accidents(z))
            import pandas as pd
            whole_peak, _ = peak(lambda: pd.read_csv(zipfile.ZipFile(z).open(MEMBER)))
            results.append((n, stream_peak, whole_peak, secs))
        base_n, base_peak, base_whole, _ = results[0]
        print(f"{'rows':>10} {'rows ratio':>10} {'stream peak':>12} {'peak ratio':>10} {'pandas peak':>12} {'ratio':>6} {'s':>6}")
        for n, p, w, s in results:
            print(f"{n:>10} {n / base_n:>10.1f} {p / 1e6:>10.2f}MB {p / base_peak:>10.2f} {w / 1e6:>10.1f}MB {w / base_whole:>6.1f} {s:>6.2f}")
        growth = results[-1][1] / base_peak
        print(f"streaming reader: {results[-1][0] / base_n:.0f}x the rows, {growth:.2f}x the peak memory "
              f"({'flat' if growth < 2 else 'NOT flat'})")
        sys.exit(0 if growth < 2 else 1)


if __name__ == "__main__":
    main()
