"""`ivb fetch --check` (issue #25): each assumption about the services asked once and printed as ok,
note or DIFFERS with the setting to change — against the replay, healthy and with each mismatch of
the evidence planted."""
from __future__ import annotations

import pytest

from ivbtools.live.preflight import DIFFERS, NOTE, OK, check

from conftest import ivb
from replay import YEARS, Replay, bron_name, bron_year_files, bron_zip, default_tables, discontinued


def _env(monkeypatch, url):
    monkeypatch.setenv("IVB_POLICE_URL", url)
    monkeypatch.setenv("IVB_CBS_URL", url)
    monkeypatch.setenv("IVB_BRON_URL", url + "/bron")


def _rows(pf, source):
    return {r.what.strip(): (r.status, r.text) for r in pf.rows if r.source == source}


def test_healthy_services_pass_every_check_in_a_few_small_requests(data_copy, monkeypatch):
    with Replay() as r:
        _env(monkeypatch, r.url)
        proc = ivb(["--data", str(data_copy), "fetch", "--check", "--municipality", "GM1969"])
        sent, asked = r.bytes_sent, len(r.requests)
    assert proc.returncode == 0, proc.stderr
    assert "DIFFERS" not in proc.stdout and "0 differ from what data/live.yaml assumes" in proc.stdout
    for key in ("police-crimes", "police-nuisance", "police-crimes-months", "cbs-population", "bron"):
        assert key in proc.stdout
    assert "GM1969 population" in proc.stdout and "none for 2017, 2018" in proc.stdout and "exists since 2019" in proc.stdout
    assert "name host dataderden.prod.cbsp.nl" in proc.stdout
    assert "header" in proc.stdout and "range requests" in proc.stdout
    assert not (data_copy / "cache").exists()           # nothing downloaded into the cache
    assert asked < 60 and sent < 400_000, (asked, sent)  # a few small requests (the replay pages by 4 rows)


def test_each_planted_mismatch_is_one_line_naming_the_setting(data_copy, monkeypatch):
    last = YEARS[-1]
    tables = default_tables()
    tables["47025NED"] = discontinued(tables["47025NED"], last - 1, "Gediscontinueerd")
    tables["47025NED"]["unlisted"] = True                          # not in the catalogue, yet it answers
    tables["47021NED"] = discontinued(tables["47021NED"], last - 2, "Regulier")   # frozen
    props = tables["70072ned"]["sets"]["DataProperties"]
    tables["70072ned"]["sets"]["DataProperties"] = [p for p in props if not p["Key"].startswith("NietStedelijk")]
    files = bron_year_files()
    files.pop(bron_name(2018))                                     # an older year under another name
    files[bron_name(last - 1)] = bron_zip([], prefix=bron_name(last - 1).removesuffix(".zip") + "/", drop_columns=("ANTL_SLA",))
    with Replay(tables=tables, bron=files) as r:
        _env(monkeypatch, r.url)
        pf = check(data_copy, "GM1969", timeout=5, source_timeout=60)
        proc = ivb(["--data", str(data_copy), "fetch", "--check", "--quiet"])
    crimes, nuisance, pop, b = (_rows(pf, k) for k in ("police-crimes", "police-nuisance", "cbs-population", "bron"))
    assert crimes["status"][0] == DIFFERS and "'Gediscontinueerd'" in crimes["status"][1]
    assert "a fetch reads table 47013NED instead" in crimes["status"][1] and "known_id: 47013NED" in crimes["status"][1]
    assert crimes["in the catalogue"][0] == DIFFERS and "not listed" in crimes["in the catalogue"][1]
    assert nuisance["newest whole year"][0] == DIFFERS and f"{last - 2}, but " in nuisance["newest whole year"][1]
    assert "looks frozen" in nuisance["newest whole year"][1]
    assert pop["urbanisation_class"][0] == DIFFERS and "class_measures" in pop["urbanisation_class"][1]
    assert b[bron_name(2018)][0] == DIFFERS and "bron.file_pattern" in b[bron_name(2018)][1]
    header = b[f"{bron_name(last - 1)} header"]
    assert header[0] == NOTE and "absent: ANTL_SLA (traffic_casualties)" in header[1]
    # the command: only the differing lines with --quiet, a summary, exit 1
    assert proc.returncode == 1
    out = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert out and all(ln.startswith("DIFFERS") for ln in out) and len(out) == len(pf.differs)
    assert "differ from what data/live.yaml assumes" in proc.stderr


def test_a_stale_table_with_a_configured_successor_is_what_a_fetch_reads(data_copy, monkeypatch):
    from ivbtools.live.fetch import fetch

    tables = default_tables()
    tables["47025NED"] = discontinued(tables["47025NED"], YEARS[-1] - 2, "Regulier")
    with Replay(tables=tables) as r:
        _env(monkeypatch, r.url)
        pf = check(data_copy, "GM1969", timeout=5, source_timeout=60, only={"police-crimes"})
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-crimes"})
    said = _rows(pf, "police-crimes")["newest whole year"]
    assert said[0] == DIFFERS and "table 47013NED" in said[1]
    assert rep.outcomes[0].message.startswith("table 47013NED")   # the same choice


def test_no_service_is_one_line(data_copy, monkeypatch):
    for var in ("IVB_POLICE_URL", "IVB_CBS_URL"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.setenv("IVB_BRON_URL", "http://127.0.0.1:9/bron")
    proc = ivb(["--data", str(data_copy), "fetch", "--check", "--timeout", "2"])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "no service answered" in lines[0] and "Traceback" not in proc.stderr
    proc = ivb(["--data", str(data_copy), "fetch", "--check", "--timeout", "2", "--best-effort"])
    assert proc.returncode == 0 and "no service answered" in proc.stderr


@pytest.mark.parametrize("args, says", [
    (["--check", "--all-municipalities"], "--check asks the services about their tables"),
    (["--check", "--refresh"], "--check asks the services about their tables"),
    (["--check", "--municipality", "1969"], "is not a CBS municipality code"),
])
def test_bad_check_command_lines_are_one_line(data_copy, args, says):
    proc = ivb(["--data", str(data_copy), "fetch", *args])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and says in lines[0]


def test_a_server_without_byte_ranges_leaves_the_header_to_the_fetch(data_copy, monkeypatch):
    with Replay() as r:
        _env(monkeypatch, r.url)
        r.faults["/bron/"] = "norange"
        pf = check(data_copy, "GM1969", timeout=5, source_timeout=60, only={"bron"})
    rows = _rows(pf, "bron")
    header = [v for k, v in rows.items() if k.endswith("header")]
    assert header and header[0][0] == NOTE and "byte ranges" in header[0][1] and rows["files"][0] == OK
