"""Benchmark: a cached `ivb fetch` against a first fetch (issue #8).

Starts the test suite's replay server on 127.0.0.1 (tests/replay.py: the police/CBS OData
services and a BRON download) with a synthetic BRON zip of --rows accident records (the real
column names, made-up records from benchmarks/bron_memory.py; nothing here is a real figure),
then times, in one invocation and in turn: a first fetch into an empty cache, and a second
fetch with everything cached (which verifies every cached file's sha256 but neither downloads
nor counts again). Prints wall times and the ratio.

    python benchmarks/fetch_speed.py [--rows 1000000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from ivbtools.live.fetch import fetch  # noqa: E402

from bron_memory import make_zip  # noqa: E402
from replay import Replay  # noqa: E402


def one_round(zip_bytes: bytes, tmp: Path) -> tuple[float, float]:
    data = tmp / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("cache", "local", "fetch-log.json"))
    (data / "local").mkdir()
    live = data / "live.yaml"   # the synthetic zip holds 2014-2023: read it as one multi-year file
    live.write_text(live.read_text().replace('  file_pattern: "01-01-{year}_31-12-{year}.zip"',
                                             "  periods: [{file: 01-01-2014_31-12-2023.zip, first: 2014, last: 2023}]"))
    with Replay(bron=zip_bytes) as r:
        os.environ.update(IVB_POLICE_URL=r.url, IVB_CBS_URL=r.url, IVB_BRON_URL=r.url + "/bron")
        t0 = time.perf_counter()
        first = fetch(data, ["GM0014"], quiet=True, timeout=30)
        t1 = time.perf_counter()
        again = fetch(data, ["GM0014"], quiet=True, timeout=30)
        t2 = time.perf_counter()
    assert not first.failed, [o.message for o in first.failed]
    assert all(o.from_cache for o in again.outcomes), [o.message for o in again.outcomes if not o.from_cache]
    shutil.rmtree(data)
    return t1 - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="accident records in the synthetic BRON zip")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        z = Path(tmp) / "bron.zip"
        make_zip(z, args.rows)
        zip_bytes = z.read_bytes()
        rounds = [one_round(zip_bytes, Path(tmp)) for _ in range(args.repeat)]
    first = statistics.median(r[0] for r in rounds)
    cached = statistics.median(r[1] for r in rounds)
    print(f"BRON zip: {args.rows:,} records, {len(zip_bytes) / 1e6:.1f} MB; medians of {args.repeat} rounds")
    print(f"first fetch (download, validate, count, commit): {first:7.2f} s")
    print(f"cached fetch (verify sha256, nothing downloaded or counted): {cached:7.2f} s")
    print(f"ratio cached / first: {cached / first:.3f}")


if __name__ == "__main__":
    main()
