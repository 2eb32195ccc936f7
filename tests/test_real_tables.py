"""The first real run (issue #14): what a user's runs leave behind never reaches a test, and the
replay behaves like the real services (wide tables, monthly siblings, partial years, resets,
per-year BRON zips in Windows-1252, pseudo-municipalities)."""
from __future__ import annotations

import json
import shutil

from conftest import DATA, copy_project_data


def test_a_copy_of_the_data_leaves_out_everything_a_users_runs_wrote(tmp_path):
    # a data folder as `make report` and an analyst leave it: cache, fetch log, local figures
    used = tmp_path / "used"
    shutil.copytree(DATA, used, ignore=shutil.ignore_patterns("cache", "fetch-log.json"))
    (used / "cache" / "observations").mkdir(parents=True)
    (used / "cache" / "index.json").write_text("{}")
    (used / "fetch-log.json").write_text(json.dumps({"police-crimes:GM1969": {"ok": False}}))
    (used / "local" / "mine.csv").write_text("indicator,area_code,area_name,year,value,source_id\n")
    (used / "local" / "old").mkdir()
    copy = copy_project_data(tmp_path / "copy", src=used)
    assert not (copy / "cache").exists() and not (copy / "fetch-log.json").exists()
    assert sorted(p.name for p in (copy / "local").iterdir()) == ["README.md"]
    assert (copy / "indicators.yaml").read_bytes() == (DATA / "indicators.yaml").read_bytes()


def test_pseudo_and_former_codes_are_named_not_counted(data_copy):
    from ivbtools.data.municipalities import load_municipalities

    from conftest import ivb

    codes = load_municipalities(data_copy)
    # the police region list holds 344 GM keys; two are not municipalities (342 in 2024)
    assert len(codes) == 342 and "GM0998" not in codes and "GM0999" not in codes
    proc = ivb(["--data", str(data_copy), "run", "--year", "2022", "--municipality", "GM0998"])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "'Buitenland' in the police tables" in lines[0]
    proc = ivb(["--data", str(data_copy), "run", "--year", "2022", "--municipality", "GM0015"])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr
    assert "GM0015 (Grootegast) no longer exists: merged into Westerkwartier (GM1969) on 1 January 2019" in lines[0]
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM0015"])
    assert proc.returncode == 2 and "merged into Westerkwartier (GM1969)" in proc.stderr


def test_former_codes_seen_in_the_population_table_get_one_line(data_copy, monkeypatch):
    from ivbtools.live.fetch import fetch_panel

    import panel_fixture as pf
    from conftest import ivb
    from replay import Replay

    with Replay(tables=pf.tables(), page=10_000) as r:
        monkeypatch.setenv("IVB_CBS_URL", r.url)
        rep = fetch_panel(data_copy, quiet=True, only={"cbs-population"})
    assert not rep.failed
    seen = json.loads((data_copy / "cache" / "former-municipalities.json").read_text())
    # the fixture lists four former codes with figures up to 2018; GM0015 is in the code list already
    assert sorted(seen) == ["GM0022", "GM0025", "GM0056"] and seen["GM0022"]["last_year"] == 2018
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM0022"])
    assert proc.returncode == 2 and "GM0022 (Leek (fixture)) is a former municipality (CBS figures up to 2018)" in proc.stderr
    # the code list's own entry (with its successor) wins over what the data showed
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM0015"])
    assert "merged into Westerkwartier (GM1969)" in proc.stderr


# --- the replay as the services are ----------------------------------------------------------------

def _env(monkeypatch, url: str) -> None:
    for var in ("IVB_POLICE_URL", "IVB_CBS_URL"):
        monkeypatch.setenv(var, url)
    monkeypatch.setenv("IVB_BRON_URL", url + "/bron")


def test_the_wide_population_table_is_asked_only_for_its_columns(data_copy, monkeypatch):
    from urllib.parse import parse_qs, urlparse

    import requests

    from ivbtools.live.fetch import fetch_panel

    import panel_fixture as pf
    from replay import CLASS_COLUMNS, Replay

    with Replay(tables=pf.tables(), page=10_000) as r:
        monkeypatch.setenv("IVB_CBS_URL", r.url)
        rep = fetch_panel(data_copy, quiet=True, only={"cbs-population"})
        data = [q for q in r.requests if "/TypedDataSet" in q]
        sent = r.bytes_sent
        first = parse_qs(urlparse(data[0]).query)
        wide = requests.get(r.url + urlparse(data[0]).path, params={"$format": "json", "$filter": first["$filter"][0]},
                            timeout=60).content   # what a client without $select would get for the first page
    assert not rep.failed
    asked = []
    for q in data:
        query = parse_qs(urlparse(q).query)
        assert query["$select"][0].split(",") == ["RegioS", "Perioden", "TotaleBevolking_1"] + CLASS_COLUMNS
        assert "$skip" not in query   # no paging: each request expects at most 10,000 rows
        asked += query["$filter"][0].count("JJ00") * [1]
    n_regions = sum(1 for k, _ in pf.municipalities()) + len(pf.FORMER) + 1
    years = len(pf.POPULATION_YEARS)
    # 29 years x 347 regions = 10,063 rows: more than one request may expect, so split by years, each
    # request at most 10,000 // 347 = 28 years, every year asked once
    assert n_regions * years > 10_000 and len(data) == 2 and len(asked) == years
    assert all(n_regions * query_years <= 10_000 for query_years in
               [parse_qs(urlparse(q).query)["$filter"][0].count("JJ00") for q in data])
    assert sent < 3_000_000, sent               # every page of the selected columns, and the metadata
    assert len(wide) > 20 * (sent / len(data)), (len(wide), sent)   # one unselected page dwarfs them


def test_the_urbanisation_class_comes_from_the_population_per_class(data_copy, monkeypatch):
    import ivbtools
    from ivbtools.live.fetch import fetch_panel
    from ivbtools.panel import view as groups

    import panel_fixture as pf
    from replay import Replay

    with Replay(tables=pf.tables(), page=10_000) as r:
        monkeypatch.setenv("IVB_CBS_URL", r.url)
        assert not fetch_panel(data_copy, quiet=True, only={"cbs-population"}).failed
    ds = ivbtools.load(data_copy)
    t = ds.observations.table
    cls = t[(t.indicator == "urbanisation_class") & (t.year == 2022)].set_index("area_code").value
    pop = t[(t.indicator == "population") & (t.year == 2022)].set_index("area_code").value
    assert len(cls) == 342 and "NL01" not in cls.index
    # the fixture puts the middle inhabitant in the class it derives from the population (by hand: urban_class)
    assert all(cls[c] == pf.urban_class(int(pop[c])) for c in cls.index)
    m = groups.membership(ds, 2022)
    assert "dezelfde mate van stedelijkheid" in m.rule_nl
    wk = cls["GM1969"]
    assert all(cls[c] == wk for c in m.peers_of("GM1969"))
    src = ds.sources[t[t.indicator == "urbanisation_class"].source_id.iloc[0]]
    assert "middelste inwoner" in src.note


def test_resets_and_cut_off_bodies_are_retried(data_copy, monkeypatch):
    from ivbtools.live.fetch import fetch

    from replay import Replay

    with Replay() as r:
        _env(monkeypatch, r.url)
        r.resets.update({"/47025NED/TypedDataSet": 2, "/47021NED/RegioS": 1, "/bron/01-01-2020": 1})
        r.cutoffs.update({"/70072ned/TypedDataSet": 1, "/47021NED/TypedDataSet": 2})
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5)
        assert not rep.failed, [o.message for o in rep.failed]
        assert not any(r.resets.values()) and not any(r.cutoffs.values())   # every fault was met, and overcome
        # a service that keeps failing: one line, after the retries (the configured successor fails too)
        r.faults["/47025NED/TypedDataSet"] = r.faults["/47013NED/TypedDataSet"] = "500"
        n = len(r.requests)
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, refresh=True, only={"police-crimes"})
        assert rep.failed and "the server answered HTTP 500" in rep.failed[0].message
        tries = [q for q in r.requests[n:] if "/47025NED/TypedDataSet" in q]
        assert len(tries) == 4   # the first request and three retries


def test_a_maintenance_page_and_a_malformed_address_are_named(data_copy, monkeypatch):
    from conftest import ivb
    from replay import Replay

    with Replay() as r:
        _env(monkeypatch, r.url)
        r.faults["/ODataFeed/"] = "html"
        proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--only", "police-crimes"])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr
    assert "a web page (HTML) instead of data" in lines[0] and "try again later" in lines[0]
    monkeypatch.setenv("IVB_CBS_URL", "opendata.cbs.nl")
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969"])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1
    assert "IVB_CBS_URL='opendata.cbs.nl' is not a web address" in lines[0]


def test_partial_years_are_left_out_and_provisional_ones_marked(data_copy, monkeypatch):
    import ivbtools
    from ivbtools.live.fetch import fetch
    from ivbtools.present import report
    from ivbtools.verdict import evaluate

    from replay import MONTHS, PARTIAL_MONTHS, PARTIAL_YEAR, YEARS, Replay

    with Replay() as r:
        _env(monkeypatch, r.url)
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-nuisance", "cbs-population"})
    assert not rep.failed
    msg = [o.message for o in rep.outcomes if o.source == "police-nuisance"][0]
    month = MONTHS[PARTIAL_MONTHS - 1]
    newest = YEARS[-1]
    assert f"left out, not a whole year yet: {PARTIAL_YEAR} (t/m {month})" in msg and f"provisional: {newest}" in msg
    # the police mark every period 'Definitief' (as the replay does): the newest year is provisional
    # by the setting in data/live.yaml (newest_year_provisional), not by the table's status
    assert all(p["Status"] == "Definitief" for p in r.tables["47021NED"]["sets"]["Perioden"])
    ds = ivbtools.load(data_copy)
    t = ds.observations.table
    assert t[(t.indicator == "confused_person_e33") & (t.year == PARTIAL_YEAR)].empty   # January-...: not a year
    ev = evaluate.evaluate(ds, "sociaal-verward-gedrag", newest, "GM1969")
    assert any(c.startswith(f"Voorlopig cijfer ({newest})") for c in ev.context_nl)
    table = report.data_table(ds, ev)
    assert table.loc[("Westerkwartier (GM1969)", newest), "waarde"].endswith("(voorlopig)")
    assert not table.loc[("Westerkwartier (GM1969)", newest - 1), "waarde"].endswith("(voorlopig)")
    src = ds.sources[ds.observations.get("confused_person_e33", "GM1969", newest).source_id]
    assert f"{PARTIAL_YEAR} (t/m {month})" in src.note and src.provisional_years == (newest,)
    assert "achteraf bij" in src.note


def test_bron_is_decompressed_once(data_copy, monkeypatch):
    import zipfile

    from ivbtools.live.fetch import fetch

    from replay import Replay

    def twice(*a, **k):
        raise AssertionError("testzip decompresses the whole archive a second time")
    monkeypatch.setattr(zipfile.ZipFile, "testzip", twice)
    with Replay() as r:
        _env(monkeypatch, r.url)
        assert not fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"bron"}).failed


# --- never a worse state ---------------------------------------------------------------------------

def test_a_damaged_cache_never_replaces_reports_built_from_better_data(data_copy, monkeypatch, tmp_path):
    from ivbtools.live.fetch import fetch

    from conftest import digest, ivb
    from replay import Replay

    with Replay() as r:
        _env(monkeypatch, r.url)
        assert not fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-nuisance"}).failed
    out = tmp_path / "out"
    (out / "2022").mkdir(parents=True)
    # a year published earlier from downloaded figures (as run.json records it)
    (out / "2022" / "run.json").write_text(json.dumps({"figures_by_layer": {"local": 0, "cache": 40, "panel": 0,
                                                                            "snapshot": 12}}))
    index = data_copy / "cache" / "index.json"
    index.write_text(index.read_text()[:40])   # cut off
    before = digest(out)
    proc = ivb(["--data", str(data_copy), "run", "--year", "2022", "--output", str(out), "--quiet"])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr
    assert "the download cache is damaged" in lines[0] and "index.json is damaged" in lines[0]
    assert "GM1969 2022" in lines[0] and "ivb fetch --refresh" in lines[0]
    assert digest(out) == before
    proc = ivb(["--data", str(data_copy), "check"])
    assert proc.returncode == 1 and "the download cache is damaged" in proc.stderr


def test_output_inside_the_data_folder_is_refused(data_copy):
    from conftest import digest, ivb

    before = digest(data_copy)
    for out in (data_copy, data_copy / "local", data_copy / "snapshot" / "v1"):
        proc = ivb(["--data", str(data_copy), "run", "--year", "2022", "--output", str(out)])
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and "lies inside the data folder" in lines[0]
    assert digest(data_copy) == before


def test_a_batch_reads_one_data_state_whatever_a_fetch_does_meanwhile(data_copy, tmp_path):
    """An executor that, while the batch runs, changes the data folder as `ivb fetch --refresh`
    would (a new figure replaces the old by renaming), then loads the data each job is given."""
    from pathlib import Path

    import ivbtools
    from ivbtools.batch import run as batch

    from conftest import ROOT, add_local

    add_local(data_copy, "confused_person_e33,GM1969,Westerkwartier,2022,400,test-fixture\n", name="a.csv")
    seen = []

    class FetchingExecutor:
        def run(self, jobs):
            replacement = data_copy / "local" / ".b.csv"
            replacement.write_text("indicator,area_code,area_name,year,value,source_id\n"
                                   "confused_person_e33,GM1969,Westerkwartier,2022,999,test-fixture\n")
            replacement.replace(data_copy / "local" / "a.csv")   # as a fetch commits: rename into place
            from ivbtools.batch.tasks import TaskResult

            for j in jobs:
                ds = ivbtools.load(j.parameters["data_dir"])
                seen.append((Path(j.parameters["data_dir"]), ds.observations.get("confused_person_e33", "GM1969", 2022).value))
                Path(j.output_notebook).write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
                Path(j.output_html).write_text("<html></html>")
                yield TaskResult(j.key, True)

        def stop(self):
            pass

    out = tmp_path / "out"
    res = batch.run_batch(ivbtools.load(data_copy), [2022], "GM1969", data_copy, ROOT / "notebooks", out,
                          quiet=True, executor=FetchingExecutor())
    assert not res.failed and seen
    assert {v for _, v in seen} == {400}                      # every job: the state when the batch began
    assert all(d != data_copy and not d.exists() for d, _ in seen)   # a frozen copy, removed afterwards
    card = json.loads((out / "2022" / "scorecard.json").read_text())
    e33 = [p for p in card["parts"] if p["doel_id"] == "sociaal-verward-gedrag"][0]
    assert "400" in json.dumps(e33) and "999" not in json.dumps(e33)   # the scorecard read the same state
    assert ivbtools.load(data_copy).observations.get("confused_person_e33", "GM1969", 2022).value == 999   # the next run


def test_an_entry_with_a_partial_year_is_fetched_again_a_month_later(data_copy, monkeypatch):
    from ivbtools.data.cache import INDEX, Cache
    from ivbtools.live.fetch import fetch

    from replay import Replay

    with Replay() as r:
        _env(monkeypatch, r.url)
        assert not fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-nuisance"}).failed
        cache = Cache(data_copy)
        assert cache.entry_status("police-nuisance", "GM1969", None) == "ok"   # this month: nothing new
        idx = json.loads((data_copy / "cache" / INDEX).read_text())
        idx["police-nuisance:GM1969"]["retrieved_at"] = "2000-01-31T12:00:00+00:00"   # fetched in an earlier month
        (data_copy / "cache" / INDEX).write_text(json.dumps(idx))
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-nuisance"})
    assert [o.from_cache for o in rep.outcomes] == [False, True]   # GM1969 asked again; NL01 was fetched this month
