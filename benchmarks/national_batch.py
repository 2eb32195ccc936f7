"""The national batch: CPU and wall time per report with the all-municipality panel, on the local
pool and on a Dask cluster started as a user starts one, and the projected time of the full
batch (issue #30).

    python benchmarks/national_batch.py [--municipalities 6] [--jobs 2] [--dask-municipalities 4] [--no-dask]

Data: the test suite's generated all-municipality fixture (made-up values, 344 municipalities),
fetched through the replay server as `ivb fetch --all-municipalities` would. Year 2022, every
report of a municipality (7 each), `--force`, a sample of municipalities spread over the code list.

1. Local pool (`ivb run --jobs N`): a small run (2 municipalities) and the sample; the difference
   gives the marginal cost per report and the fixed cost per run (start-up, loading, the overview).
   Then, in this process, where a report's kernel time goes: its cells, and of those the charts.
2. Dask: `dask scheduler` and `dask worker --nworkers N --nthreads 1` as separate processes (as on a
   cluster), then `ivb run --executor dask --scheduler tcp://...`; CPU of the `ivb` process plus
   the scheduler's and the workers' process trees (kernels included).

CPU is user + system of every process involved, kernels included. The projection assumes the
batch keeps 2 cores busy: (fixed + marginal × 2.394) / 2. The last line has a fixed form.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

NATIONAL_REPORTS = 2394      # 342 municipalities × 7 reports


def run_timed(args: list[str], env: dict) -> tuple[float, float]:
    """(wall, CPU) of a command and every process it started and waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args[:3])} … failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def tree_cpu(pids: list[int]) -> float:
    """CPU seconds of processes and all their living descendants (and the ones they waited for)."""
    import psutil

    total, seen = 0.0, set()
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs = [root] + root.children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        for p in procs:
            if p.pid in seen:
                continue
            seen.add(p.pid)
            try:
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
            except psutil.NoSuchProcess:
                pass
    return total


def reports_in(out: Path) -> int:
    return sum(1 for p in out.rglob("*.ipynb") if ".staging" not in p.parts)


def sample(codes: list[str], n: int) -> list[str]:
    """n codes spread evenly over the list, GM1969 first."""
    rest = [c for c in codes if c != "GM1969"]
    step = max(1, len(rest) // max(1, n - 1))
    return (["GM1969"] + rest[::step])[:n]


def local_run(data: Path, codes: list[str], jobs: int, out: Path, env: dict) -> tuple[float, float, int]:
    wall, cpu = run_timed([str(BIN / "ivb"), "--data", str(data), "run", "--year", "2022", "--municipalities",
                           ",".join(codes), "--force", "--quiet", "--jobs", str(jobs), "--output", str(out)], env)
    return wall, cpu, reports_in(out)


def dask_run(data: Path, codes: list[str], jobs: int, out: Path, env: dict, tmp: Path) -> tuple[float, float, int]:
    """A cluster as a user starts one: a scheduler process and a worker process with N
    single-threaded workers; then `ivb run --executor dask --scheduler ADDRESS`."""
    from distributed import Client

    sched_file = tmp / "scheduler.json"
    log = open(tmp / "dask.log", "w")
    sched = subprocess.Popen([str(BIN / "dask"), "scheduler", "--port", "0", "--no-dashboard",
                              "--scheduler-file", str(sched_file)], stdout=log, stderr=log, env=env, cwd=tmp)
    try:
        for _ in range(300):
            if sched_file.exists() and sched_file.stat().st_size:
                break
            time.sleep(0.1)
        workers = subprocess.Popen([str(BIN / "dask"), "worker", "--scheduler-file", str(sched_file),
                                    "--nworkers", str(jobs), "--nthreads", "1", "--no-dashboard"],
                                   stdout=log, stderr=log, env=env, cwd=tmp)
        try:
            with Client(scheduler_file=str(sched_file), timeout="30s") as c:
                c.wait_for_workers(jobs, timeout=120)
                address = c.scheduler.address
            # a first run warms the workers (kernels, imports), as a cluster that serves many runs is warm
            cpu0 = tree_cpu([sched.pid, workers.pid])
            wall, cpu = run_timed([str(BIN / "ivb"), "--data", str(data), "run", "--year", "2022", "--municipalities",
                                   ",".join(codes), "--force", "--quiet", "--executor", "dask", "--scheduler", address,
                                   "--output", str(out)], env)
            cpu += tree_cpu([sched.pid, workers.pid]) - cpu0
            return wall, cpu, reports_in(out)
        finally:
            workers.terminate()
            workers.wait(30)
    finally:
        sched.terminate()
        sched.wait(30)
        log.close()


def breakdown(data: Path, codes: list[str], parts: tuple[str, ...] = ("sociaal-verward-gedrag", "verkeer-ongevallen",
                                                                        "sociaal-woninginbraak")) -> tuple[float, float, int]:
    """Where a report's kernel time goes: the target notebook's cells run warm in this process (as a
    warm kernel runs them, every chart drawn to SVG as its cell output is), CPU seconds per report
    of all cells and of the chart cells alone."""
    import ast
    import json

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nb = json.loads((ROOT / "notebooks" / "target.ipynb").read_text(encoding="utf-8"))
    cells = []
    for c in nb["cells"]:
        if c["cell_type"] != "code" or "parameters" in c.get("metadata", {}).get("tags", []):
            continue
        tree = ast.parse("".join(c["source"]))
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        body = compile(ast.Module(tree.body[:-1] if last else tree.body, type_ignores=[]), "cell", "exec")
        cells.append((body, compile(ast.Expression(last.value), "cell", "eval") if last else None,
                      "".join(c["source"]).lstrip().startswith("plots.")))

    def report(code: str, part: str, clock: dict) -> None:
        g = {"target_id": part, "year": 2022, "municipality": code, "data_dir": str(data)}
        for body, last, chart in cells:
            t0 = time.process_time()
            with contextlib.redirect_stdout(io.StringIO()):   # the footer cell prints
                exec(body, g)
                out = eval(last, g) if last is not None else None
            for m in ("_repr_mimebundle_", "_repr_markdown_", "_repr_html_"):
                if out is not None and hasattr(out, m):
                    getattr(out, m)()
                    break
            clock["charts" if chart else "other"] += time.process_time() - t0
        plt.close("all")

    report(codes[0], parts[0], {"charts": 0.0, "other": 0.0})   # warm: imports, the data state's views
    clock = {"charts": 0.0, "other": 0.0}
    n = 0
    for code in codes:
        for part in parts:
            report(code, part, clock)
            n += 1
    return (clock["charts"] + clock["other"]) / n, clock["charts"] / n, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--municipalities", type=int, default=6, help="the sample on the local pool (default 6)")
    ap.add_argument("--jobs", type=int, default=2, help="workers (default 2)")
    ap.add_argument("--dask-municipalities", type=int, default=4)
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()
    from _machine import reference_seconds, speed_line
    from report_cost import panel_data

    from ivbtools.data import dataset

    ref_before = reference_seconds()
    with tempfile.TemporaryDirectory(prefix="ivb-bench-national-") as tmp:
        tmp = Path(tmp)
        data = panel_data(tmp)
        codes = sorted(dataset.load(data).municipalities.by_code)
        env = {k: v for k, v in os.environ.items() if k != "IVB_EMBEDDED_ONLY"}
        small, big = sample(codes, 2), sample(codes, args.municipalities)
        w1, c1, n1 = local_run(data, small, args.jobs, tmp / "small", env)
        w2, c2, n2 = local_run(data, big, args.jobs, tmp / "big", env)
        print(f"local pool, {args.jobs} workers: {n1} reports {w1:.1f} s wall {c1:.1f} s CPU; "
              f"{n2} reports {w2:.1f} s wall {c2:.1f} s CPU")
        cpu_rep = (c2 - c1) / (n2 - n1)
        wall_rep = (w2 - w1) / (n2 - n1)
        cpu_fixed = c1 - cpu_rep * n1
        wall_fixed = w1 - wall_rep * n1
        print(f"  per report (marginal): {cpu_rep:.2f} s CPU, {wall_rep:.2f} s wall on {args.jobs} workers; "
              f"per run (fixed): {cpu_fixed:.1f} s CPU, {wall_fixed:.1f} s wall")
        print(f"  average over the sample: {c2 / n2:.2f} s CPU, {w2 / n2:.2f} s wall per report")
        cells, charts, nb = breakdown(data, big[:4])
        print(f"  in the kernel (warm, {nb} target reports): {cells:.2f} s CPU per report for the cells, of which "
              f"{charts:.2f} s drawing the charts (4 per report, SVG)")
        if not args.no_dask:
            dcodes = sample(codes, args.dask_municipalities)
            dw, dc, dn = dask_run(data, dcodes, args.jobs, tmp / "dask", env, tmp)
            print(f"dask scheduler + dask worker --nworkers {args.jobs}: {dn} reports {dw:.1f} s wall {dc:.1f} s CPU: "
                  f"{dc / dn:.2f} s CPU, {dw / dn:.2f} s wall per report (start-up of the cluster not counted)")
    projected = (cpu_fixed + cpu_rep * NATIONAL_REPORTS) / 2 / 60
    print(f"projection: ({cpu_fixed:.1f} + {cpu_rep:.2f} × {NATIONAL_REPORTS}) s CPU / 2 cores = {projected:.0f} min "
          f"(goal ≤ 20 min; ≤ 1,0 s CPU per report)")
    print(speed_line(ref_before, reference_seconds()))
    print(f"national batch: {cpu_rep:.2f} s CPU per report with the panel, {wall_rep:.2f} s wall per report on "
          f"{args.jobs} workers, projected {projected:.0f} min for 2,394 reports on 2 cores")


if __name__ == "__main__":
    main()
