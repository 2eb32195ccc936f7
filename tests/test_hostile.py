"""Hostile and careless files (issue #26): ids that would become paths, bombs in YAML and zips,
endless or huge answers, statements and monitor files that cannot be right, the peer file, and a
monitor page never replaced by a worse one. Every case: one line, a non-zero exit, no traceback,
nothing written outside the output folder. The big inputs are generated small (the limits are
lowered for the test) or bounded, and live in tmp folders."""
from __future__ import annotations

import json
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ivbtools import IvbError
from ivbtools.ids import inside

from conftest import ROOT, TEST_SOURCE, digest, ivb

TARGET = (ROOT / "data" / "targets" / "ivb-2020-2023.yaml").read_text(encoding="utf-8")
MONITOR = (ROOT / "data" / "monitor" / "ivb-2024-2027.yaml").read_text(encoding="utf-8")
BOMB = ('a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n'
        'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n')


def one_line(proc, expect: str, code: int = 2) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert expect in lines[0], lines[0]
    return lines[0]


def edit(data: Path, rel: str, old: str, new: str) -> None:
    path = data / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


E33_PERIOD = "    area: GM1969\n    from_year: 2019\n    to_year: 2022\n    stated_change: 0.63"
FILE_CASES = {
    # (file, old, new, expected in the one line)
    "part id with ../": ("targets/ivb-2020-2023.yaml", "id: verkeer-ongevallen", "id: ../../verkeer-ongevallen",
                         "'../../verkeer-ongevallen' is not a valid id"),
    "part id with Python": ("targets/ivb-2020-2023.yaml", "id: verkeer-ongevallen",
                            "id: \"__import__('os').system('x')\"", "is not a valid id"),
    "part id of a page": ("targets/ivb-2020-2023.yaml", "id: verkeer-ongevallen", "id: scorecard",
                          "'scorecard' is the name of a page of its own"),
    "theme id with a slash": ("targets/ivb-2020-2023.yaml", "  - id: verkeer\n", "  - id: verkeer/x\n", "'verkeer/x' is not a valid id"),
    "check id with markup": ("targets/ivb-2020-2023.yaml", "id: e33-stijging-2019-2022", "id: \"<b>e33</b>\"",
                             "is not a valid id"),
    "quote as a list": ("targets/ivb-2020-2023.yaml", "    stated_change: 0.63\n    quote: \"Het aantal",
                        "    stated_change: 0.63\n    quote:\n      - \"eerste zin\"\n    quote_rest: \"Het aantal",
                        "'quote' must be text, got a list"),
    "percent typed for a fraction": ("targets/ivb-2020-2023.yaml", "stated_change: 0.63", "stated_change: 63",
                                     "stated_change 63 must be a fraction — write 0.63 for '+63%'"),
    "reversed statement period": ("targets/ivb-2020-2023.yaml", E33_PERIOD, E33_PERIOD.replace("2019", "X").replace("2022", "2019")
                                  .replace("X", "2022"), "from_year 2022 is not before to_year 2019"),
    "statement about a year not over": ("targets/ivb-2020-2023.yaml", E33_PERIOD, E33_PERIOD.replace("to_year: 2022", "to_year: 2030"),
                                        "to_year 2030 is not over yet"),
    "two statements with one id": ("targets/ivb-2020-2023.yaml", "id: misdrijven-stijging-2019-2022", "id: e33-stijging-2019-2022",
                                   "check 'e33-stijging-2019-2022': id is used twice"),
    "monitor of Buitenland": ("monitor/ivb-2024-2027.yaml", "municipality: GM1969", "municipality: GM0998",
                              "monitor.municipality: GM0998 is 'Buitenland' in the police tables"),
    "monitor period reversed": ("monitor/ivb-2024-2027.yaml", "period: [2024, 2027]", "period: [2027, 2024]",
                                "monitor.period 2027–2024 is not a period of years"),
    "wanted as plain text": ("monitor/ivb-2024-2027.yaml", "    wanted:\n      - name: \"burenruzies\"\n",
                             "    wanted:\n      - \"burenruzies\"\n      - name: \"burenruzies\"\n",
                             "item 1 of 'wanted' must be a mapping (key: value lines), got a text"),
    "priority id with a space": ("monitor/ivb-2024-2027.yaml", "  - id: jeugd-en-veiligheid", "  - id: jeugd en veiligheid",
                                 "'jeugd en veiligheid' is not a valid id"),
    "source id with a path": ("sources.yaml", "id: ivb-westerkwartier-2024-2027\n", "id: ../ivb\n", "'../ivb' is not a valid id"),
    "peers naming Buitenland": ("peers.yaml", "groups: {}", "groups:\n  GM1969: [GM0014, GM0998]",
                                "peers.yaml: groups.GM1969: GM0998 is 'Buitenland'"),
    "peers naming a former code": ("peers.yaml", "groups: {}", "groups:\n  GM1969: [GM0015]",
                                   "merged into Westerkwartier (GM1969) on 1 January 2019 — use GM1969"),
}


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_a_careless_or_hostile_data_file_is_one_line_at_check_and_run(data_copy, tmp_path, case):
    rel, old, new, expect = FILE_CASES[case]
    edit(data_copy, rel, old, new)
    line = one_line(ivb(["--data", str(data_copy), "check"]), expect)
    assert str(data_copy) in line or rel.split("/")[-1] in line   # the file as the analyst knows it
    out = tmp_path / "out"
    before = digest(tmp_path)
    one_line(ivb(["--data", str(data_copy), "run", "--year", "2022", "--output", str(out), "--quiet"]), expect)
    assert digest(tmp_path) == before and not out.exists() and not (tmp_path / "verkeer-ongevallen.html").exists()


@pytest.mark.parametrize("where", ["local/sources.yaml", "targets/ivb-2020-2023.yaml", "monitor/ivb-2024-2027.yaml"])
def test_a_billion_laughs_yaml_is_refused_at_once(data_copy, where):
    (data_copy / where).write_text(BOMB, encoding="utf-8")
    t0 = time.monotonic()
    one_line(ivb(["--data", str(data_copy), "check"]), "YAML anchors and aliases (&name / *name) are not allowed")
    assert time.monotonic() - t0 < 20


def test_a_path_built_from_an_id_never_leaves_its_folder(tmp_path):
    assert inside(tmp_path, "x.html") == tmp_path / "x.html"
    for bad in ("../x.html", "a/../../x.html", "/etc/passwd"):
        with pytest.raises(IvbError, match="outside"):
            inside(tmp_path, bad)


def test_an_analysts_count_for_the_year_not_over_yet_is_refused(data_copy):
    import datetime as dt

    year = dt.date.today().year
    (data_copy / "local" / "sources.yaml").write_text(TEST_SOURCE, encoding="utf-8")
    (data_copy / "local" / "x.csv").write_text("indicator,area_code,area_name,year,value,source_id\n"
                                               f"youth_nuisance_e35,GM1969,Westerkwartier,{year},80,test-fixture\n")
    one_line(ivb(["--data", str(data_copy), "check"]), f"x.csv:2: {year} is not over yet")


def test_a_local_file_above_the_size_bound_is_one_line(data_copy, monkeypatch):
    from ivbtools.data import observations

    (data_copy / "local" / "sources.yaml").write_text(TEST_SOURCE, encoding="utf-8")
    (data_copy / "local" / "x.csv").write_text("indicator,area_code,area_name,year,value,source_id\n"
                                               + "traffic_accidents,GM1969,Westerkwartier,2023,250,test-fixture\n" * 50)
    monkeypatch.setattr(observations, "MAX_CSV_BYTES", 1000)
    import ivbtools
    with pytest.raises(IvbError, match=r"x.csv: 0 MB — more than the 0 MB \(about 350,000 rows\)"):
        ivbtools.load(data_copy)


# --- answers that never end, or never stop --------------------------------------------------

class _Endless(BaseHTTPRequestHandler):
    """A server that sends an answer slowly (`trickle`: one byte every 0.2 s) or hugely (`huge`)."""
    mode = "trickle"
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        try:
            if self.mode == "trickle":
                for _ in range(10_000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            else:
                chunk = b'{"value": [' + b'{"a": 1},' * 100_000
                for _ in range(100):   # about 1 GB if nothing stops it
                    self.wfile.write(chunk)
        except OSError:
            pass


@pytest.fixture
def endless(request):
    handler = type("H", (_Endless,), {"mode": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("endless", ["trickle"], indirect=True)
def test_a_server_that_sends_a_byte_every_half_second_stops_at_the_source_deadline(endless):
    from ivbtools.live.web import Budget, get_json

    budget = Budget.start(timeout=5, source_timeout=2, what="table x")
    t0 = time.monotonic()
    with pytest.raises(IvbError, match="no complete answer within the source's time limit"):
        get_json(endless + "/ODataFeed/odata/x/TableInfos", budget)
    assert time.monotonic() - t0 < 6   # the deadline (2 s) bounds the whole body, not each read


@pytest.mark.parametrize("endless", ["huge"], indirect=True)
def test_a_huge_answer_is_cut_at_the_bound(endless, monkeypatch):
    from ivbtools.live import web

    monkeypatch.setattr(web, "MAX_BODY", 5 * 1024 * 1024)
    budget = web.Budget.start(timeout=10, source_timeout=60, what="table x")
    with pytest.raises(IvbError, match="the answer is larger than 5 MB"):
        web.get_json(endless + "/ODataFeed/odata/x/TypedDataSet", budget)


def test_a_fetch_against_an_endless_table_keeps_the_cache_and_names_it(data_copy, monkeypatch):
    """Through `ivb fetch`: the police host trickles; the source stops at --source-timeout with one
    line, and the other sources are not held up beyond their own deadline."""
    handler = type("H", (_Endless,), {"mode": "trickle"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        for var in ("IVB_POLICE_URL", "IVB_CBS_URL"):
            monkeypatch.setenv(var, url)
        monkeypatch.setenv("IVB_BRON_URL", url + "/bron")
        t0 = time.monotonic()
        proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--only", "police-nuisance",
                    "--timeout", "5", "--source-timeout", "3"], timeout=60)
        assert time.monotonic() - t0 < 30
    finally:
        server.shutdown()
        server.server_close()
    one_line(proc, "no complete answer within the source's time limit")


# --- BRON zips that are too much ---------------------------------------------------------------

def test_a_bron_line_of_gigabytes_is_refused_by_its_length(tmp_path):
    from ivbtools.live import bron

    from replay import BRON_HEADER

    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("Ongevallengegevens/ongevallen.txt", "w") as fh:
            fh.write((BRON_HEADER + "\r\n").encode())
            fh.write(b"1" * (bron.MAX_LINE + 10))   # a line without end (compressed, a few hundred bytes)
    assert z.stat().st_size < 10_000
    with pytest.raises(IvbError, match=r"line 2 is longer than 65,536 bytes — the file is damaged or too large"):
        bron.count_accidents(z)


def test_a_bron_zip_that_says_it_inflates_beyond_the_bound_is_refused(tmp_path, monkeypatch):
    from ivbtools.live import bron

    from replay import bron_zip

    z = tmp_path / "x.zip"
    z.write_bytes(bron_zip())
    monkeypatch.setattr(bron, "MAX_INFLATED_BYTES", 100)
    with pytest.raises(IvbError, match="inflates to .* bytes — more than a BRON file can be"):
        bron.count_accidents(z)


# --- the monitor never publishes a worse page ---------------------------------------------------

def test_a_damaged_cache_never_replaces_a_monitor_page_built_from_downloads(through_october, tmp_path):
    import shutil

    data, folder, _ = through_october
    data2 = tmp_path / "data"
    shutil.copytree(data, data2)
    out = tmp_path / "out"
    shutil.copytree(folder.parents[1], out)   # the published outputs (monitor/2026)
    page = out / "monitor" / "2026"
    before = digest(out)
    basis = json.loads((page / "basis.json").read_text())
    assert basis["figures_by_layer"].get("cache", 0) > 0 and basis["monthly_figures"] > 0
    months = sorted((data2 / "cache" / "months").glob("police-nuisance-*-GM1969.csv"))[0]
    months.write_text(months.read_text()[:200])   # a months file cut off
    proc = ivb(["--data", str(data2), "monitor", "--year", "2026", "--output", str(out), "--force"])
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("ivb: error")]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr
    assert "the download cache is damaged" in lines[0] and "ivb fetch --refresh" in lines[0] and "is kept" in lines[0]
    assert digest(out) == before


def test_a_missing_month_is_said_on_the_page_and_at_the_fetch(through_october, tmp_path):
    import shutil

    import ivbtools
    from ivbtools.publish.monitor import publish_monitor

    data, _, _ = through_october
    data2 = tmp_path / "data"
    shutil.copytree(data, data2)
    ds = ivbtools.load(data2)
    t = ds.months.table
    ds.months.table = t[~((t.indicator == "confused_person_e33") & (t.area_code == "GM1969") & (t.year == 2026)
                          & (t.month == 3))]
    assert ds.months.missing_months("confused_person_e33", "GM1969", 2026) == [3]
    res = publish_monitor(ds, 2026, tmp_path / "out")
    page = (res["folder"] / "index.html").read_text(encoding="utf-8")
    assert "de maandcijfers van 2026 missen maart" in page
    from ivbtools.data.months import month_gaps
    rows = [{"indicator": "confused_person_e33", "area_code": "GM1969", "year": 2026, "month": m} for m in (1, 2, 4)]
    assert month_gaps(rows) == {("confused_person_e33", "GM1969", 2026): [3]}
