"""Benchmark: the batch against a naive loop, in one invocation and in turn (issue #9).

1. naive loop: for every notebook of the batch, the `papermill` command line, then
   `jupyter nbconvert --to html --no-input` (a new process, kernel and set of imports each time);
2. cold `ivb run --force` on the same notebooks into an empty output folder;
3. `ivb run` again with nothing changed.

Prints wall time and CPU time (user + system of every process started, kernels included) for
each, their ratios, and the peak memory of the largest single process of each (every phase runs
in its own process, so the peaks do not mix). Runs on the embedded
data (IVB_EMBEDDED_ONLY), so a local cache does not change what is measured.

    python benchmarks/batch.py [--years 2022] [--jobs 2]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def measured(phase: str, years: str, out: Path, jobs: int) -> tuple[float, float, float]:
    """Run one phase in its own process: (wall seconds, CPU seconds of it and every process it
    started, kernels included, peak RSS MB of the largest single process in that phase)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--phase", phase, "--years", years, "--jobs", str(jobs),
                           "--out", str(out)], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, float(proc.stdout.strip().splitlines()[-1])


def jobs_of(years: list[int]) -> list[tuple[str, dict]]:
    sys.path.insert(0, str(ROOT / "src"))
    import ivbtools
    from ivbtools.batch.run import plan

    ds = ivbtools.load(ROOT / "data")
    return [(j.notebook, j.parameters) for j in plan(ds, years, "GM1969", ROOT / "data")]


def naive(years: list[int], out: Path) -> None:
    for i, (nb, params) in enumerate(jobs_of(years)):
        target = out / f"{i:02d}.ipynb"
        args = [str(BIN / "papermill"), str(ROOT / "notebooks" / nb), str(target), "--cwd", str(ROOT / "notebooks"),
                "--no-progress-bar", "-k", "python3"]
        for k, v in params.items():
            args += ["-r" if isinstance(v, str) else "-p", k, str(v)]
        subprocess.run(args, check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(target)], check=True,
                       capture_output=True)


def ivb_run(years: list[int], out: Path, jobs: int, force: bool) -> None:
    args = [str(BIN / "ivb"), "run", "--years", f"{years[0]}-{years[-1]}", "--jobs", str(jobs), "--quiet",
            "--output", str(out)] + (["--force"] if force else [])
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--years", default="2022", help="a year or a range, e.g. 2020-2023")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--phase", choices=["naive", "cold", "noop"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    lo, _, hi = args.years.partition("-")
    years = list(range(int(lo), int(hi or lo) + 1))
    os.environ["IVB_EMBEDDED_ONLY"] = str(ROOT / "data")
    if args.phase:   # one phase, in its own process; prints the peak RSS (MB) of its largest process
        out = Path(args.out)
        if args.phase == "naive":
            out.mkdir(parents=True, exist_ok=True)
            naive(years, out)
        else:
            ivb_run(years, out, args.jobs, force=args.phase == "cold")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024)
        return
    n = len(jobs_of(years))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = [("naive loop (papermill + nbconvert CLI per notebook)", measured("naive", args.years, tmp / "naive", args.jobs)),
                (f"ivb run --force --jobs {args.jobs} (cold)", measured("cold", args.years, tmp / "out", args.jobs)),
                ("ivb run again, nothing changed", measured("noop", args.years, tmp / "out", args.jobs))]
        shutil.rmtree(tmp / "naive", ignore_errors=True)
    print(f"{n} notebooks ({args.years}), {os.cpu_count()} cores")
    print(f"{'':55} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    for name, (wall, cpu, mem) in rows:
        print(f"{name:55} {wall:8.1f} {cpu:8.1f} {mem:8.0f}")
    (nw, nc, nm), (cw, cc, cm), (rw, rc, _) = (r[1] for r in rows)
    print(f"cold ivb run / naive loop:   wall {cw / nw:.3f}, CPU {cc / nc:.3f}, peak memory {cm / nm:.2f}   (goal: CPU <= 0.25)")
    print(f"no-op rerun / cold ivb run:  wall {rw / cw:.3f}, CPU {rc / cc:.3f}   (goal: wall <= 0.05)")


if __name__ == "__main__":
    main()
