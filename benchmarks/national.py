"""How fast is the national table? `python benchmarks/national.py`

Builds the generated all-municipality fixture of the test suite (made-up values, 344
municipalities, 2012-2023) through the replay server and `fetch_panel`, loads it, and times:

- vectorised: `national.evaluate_all` for every one of the 12 years (all municipalities x all
  count target parts), from a cold start of the panel, peer groups and dispersion (goal < 1 s);
- scalar: `evaluate.evaluate` for one year for 20 municipalities x all parts, extrapolated to
  344 x 12, for comparison.
Prints seconds and ratios.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    from ivbtools.data import dataset
    from ivbtools.live.fetch import fetch_panel
    from ivbtools.verdict import alltable as national
    from ivbtools.verdict import evaluate

    import panel_fixture as pf
    from replay import Replay

    work = Path(tempfile.mkdtemp(prefix="ivb-bench-national-"))
    data = work / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("cache", "local", "fetch-log.json"))
    (data / "local").mkdir()
    os.environ.pop("IVB_EMBEDDED_ONLY", None)
    with Replay(tables=pf.tables(), bron=pf.bron_files_all(), page=10_000) as r:
        os.environ["IVB_POLICE_URL"] = os.environ["IVB_CBS_URL"] = r.url
        os.environ["IVB_BRON_URL"] = r.url + "/bron"
        rep = fetch_panel(data, quiet=True)
    assert not rep.failed, rep.failed
    years = list(range(2012, 2024))
    runs = []
    for _ in range(3):
        dataset._LOADED.clear()
        ds = dataset.load(data)
        t0 = time.perf_counter()
        rows = sum(len(national.evaluate_all(ds, y)) for y in years)
        runs.append(time.perf_counter() - t0)
    vec = sorted(runs)[1]
    n_munis = len(ds.municipalities)
    parts = [p.id for p in ds.policy.parts if p.measurable and p.rule.kind != "at_least"]
    sample = sorted(ds.municipalities.by_code)[:20]
    t0 = time.perf_counter()
    for code in sample:
        for p in parts:
            evaluate.evaluate(ds, p, 2022, code)
    scalar = (time.perf_counter() - t0) / len(sample) * n_munis * len(years)
    print(f"national table: {n_munis} municipalities x {len(years)} years x {len(parts)} count parts = {rows} rows")
    print(f"vectorised evaluate_all, all 12 years (median of 3, cold panel): {vec:.3f} s  (goal < 1 s: ratio {vec / 1.0:.3f})")
    print(f"scalar evaluate, extrapolated from 20 municipalities: {scalar:.1f} s  (vectorised / scalar = {vec / scalar:.4f})")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
