"""What does one report cost, with and without the all-municipality panel? (issue #17)

    python benchmarks/report_cost.py [--municipalities 10] [--jobs 1]

1. without the panel: `ivb run --years 2020-2023 --force` for GM1969 on the embedded data
   (IVB_EMBEDDED_ONLY), CPU per report;
2. with the panel: the generated all-municipality fixture of the test suite (made-up values,
   344 municipalities, fetched through the replay server as `ivb fetch --all-municipalities`
   would), `ivb run --year 2022 --municipalities <first N> --force`, CPU per report;
3. the floor: in one warm process, what a report's own work costs — its evaluation (with the
   peer comparison) and nothing else — per report, for the reports of (2).

CPU is user + system of the `ivb run` process and everything it started (kernels included).
Prints seconds per report and the ratio with/without (goal: at most 1.25).
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
sys.path.insert(0, str(ROOT / "tests"))


def cpu_of(args: list[str], env: dict) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, check=True, capture_output=True, env=env, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def reports_in(out: Path) -> int:
    return sum(1 for _ in out.rglob("*.html") if _.parent.name != "national" and _.name != "index.html"
               and _.name != "overzicht.html")


def panel_data(work: Path) -> Path:
    from ivbtools.live.fetch import fetch_panel

    import panel_fixture as pf
    from replay import Replay

    data = work / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("cache", "local", "fetch-log.json"))
    (data / "local").mkdir()
    env = dict(os.environ)
    os.environ.pop("IVB_EMBEDDED_ONLY", None)
    with Replay(tables=pf.tables(), bron=pf.bron_files_all(), page=10_000) as r:
        os.environ["IVB_POLICE_URL"] = os.environ["IVB_CBS_URL"] = r.url
        os.environ["IVB_BRON_URL"] = r.url + "/bron"
        rep = fetch_panel(data, quiet=True)
    os.environ.clear()
    os.environ.update(env)
    assert not rep.failed, rep.failed
    return data


def floor(data: Path, codes: list[str], year: int) -> tuple[float, int]:
    """CPU seconds per report of the evaluation alone (warm process, views built once)."""
    from ivbtools.data import dataset
    from ivbtools.verdict import comparison, evaluate

    ds = dataset.load(data)
    parts = [p.id for p in ds.policy.parts if p.measurable and p.rule.kind != "at_least"]
    for p in parts:   # warm: the first report of a worker pays for the shared views
        evaluate.evaluate(ds, p, year, codes[0])
        comparison.compare(ds, p, codes[0], year)
    t0 = time.process_time()
    n = 0
    for code in codes:
        ds = dataset.load(data)     # every notebook loads its own copy
        for p in parts:
            evaluate.evaluate(ds, p, year, code)
            comparison.compare(ds, p, code, year)
            n += 1
    return (time.process_time() - t0) / n, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--municipalities", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    ivb = str(BIN / "ivb")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _machine import reference_seconds, speed_line

    ref_before = reference_seconds()
    with tempfile.TemporaryDirectory(prefix="ivb-bench-cost-") as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, IVB_EMBEDDED_ONLY=str(ROOT / "data"))
        out = tmp / "plain"
        cpu_plain = cpu_of([ivb, "run", "--years", "2020-2023", "--force", "--quiet", "--jobs", str(args.jobs),
                            "--output", str(out)], env)
        n_plain = reports_in(out)
        data = panel_data(tmp)
        from ivbtools.data import dataset
        codes = sorted(dataset.load(data).municipalities.by_code)[:args.municipalities]
        if "GM1969" not in codes:
            codes = ["GM1969"] + codes[:-1]
        env = {k: v for k, v in os.environ.items() if k != "IVB_EMBEDDED_ONLY"}
        out = tmp / "panel"
        cpu_panel = cpu_of([ivb, "--data", str(data), "run", "--year", "2022", "--municipalities", ",".join(codes),
                            "--force", "--quiet", "--jobs", str(args.jobs), "--output", str(out)], env)
        n_panel = reports_in(out)
        own, n_own = floor(data, codes, 2022)
    a, b = cpu_plain / n_plain, cpu_panel / n_panel
    print(f"without the panel: {n_plain} reports (GM1969, 2020-2023, embedded data): {a:.2f} s CPU per report")
    print(f"with the panel:    {n_panel} reports ({len(codes)} municipalities, 2022, 344-municipality fixture): "
          f"{b:.2f} s CPU per report")
    print(f"with / without: {b / a:.2f}   (goal: at most 1.25)")
    print(f"floor: a report's own evaluation and peer comparison, warm ({n_own} target parts): {own * 1000:.0f} ms CPU each")
    print(speed_line(ref_before, reference_seconds()))


if __name__ == "__main__":
    main()
