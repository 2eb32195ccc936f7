"""Benchmark: bytes and time of `make report`'s two fetches against the wide replay (issue #14).

Starts the test suite's replay server on 127.0.0.1 with the generated all-municipality fixture
(tests/panel_fixture.py: made-up values for 342 municipalities; the population table as wide as
the real one, every year since 1995; the nuisance table monthly; BRON one zip per year) and runs
what `make report` runs: `ivb fetch --municipality GM1969` and `ivb fetch --all-municipalities`
(timeout 30 s, source budget 300 s) into an empty cache. Prints the bytes the service sent, the
time, and, for contrast, what the same data requests would have cost without `$select` (the
bytes of every page asked again without it): the ratio is what selecting saves.

    python benchmarks/fetch_bytes.py
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]


def main() -> None:
    import requests

    from ivbtools.live.fetch import fetch, fetch_panel

    import panel_fixture as pf
    from replay import Replay

    work = Path(tempfile.mkdtemp(prefix="ivb-bench-bytes-"))
    data = work / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("cache", "local", "fetch-log.json"))
    (data / "local").mkdir()
    os.environ.pop("IVB_EMBEDDED_ONLY", None)
    try:
        with Replay(tables=pf.tables(), bron=pf.bron_files_all(), page=10_000) as r:
            os.environ["IVB_POLICE_URL"] = os.environ["IVB_CBS_URL"] = r.url
            os.environ["IVB_BRON_URL"] = r.url + "/bron"
            t0 = time.perf_counter()
            own = fetch(data, ["GM1969"], quiet=True, timeout=30, source_timeout=300)
            t1 = time.perf_counter()
            sent_own = r.bytes_sent
            panel = fetch_panel(data, quiet=True, timeout=30, source_timeout=300)
            t2 = time.perf_counter()
            sent = r.bytes_sent
            bron = sum(len(b) for b in r.bron.values())
            data_requests = [q for q in r.requests if "/TypedDataSet" in q]
            unselected = 0
            for q in data_requests:   # the same pages without $select
                u = urlparse(q)
                params = {k: v[0] for k, v in parse_qs(u.query).items() if k != "$select"}
                unselected += len(requests.get(r.url + u.path + "?" + urlencode(params), timeout=300).content)
            selected = sum(len(requests.get(r.url + q, timeout=300).content) for q in data_requests)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = [o.message for o in own.failed + panel.failed]
    print(f"failures: {failed or 'none'}")
    print(f"fetch --municipality GM1969:  {sent_own / 1e6:6.2f} MB in {t1 - t0:5.1f} s (BRON files included)")
    print(f"fetch --all-municipalities:   {(sent - sent_own) / 1e6:6.2f} MB in {t2 - t1:5.1f} s")
    print(f"both (what make report sends): {sent / 1e6:6.2f} MB, of which the replay's BRON zips {bron / 1e6:.2f} MB")
    print(f"OData data pages: {len(data_requests)} requests, {selected / 1e6:.2f} MB with $select, "
          f"{unselected / 1e6:.2f} MB without: ratio {unselected / max(selected, 1):.1f}")


if __name__ == "__main__":
    main()
