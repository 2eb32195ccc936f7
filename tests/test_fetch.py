"""Live data against a local replay server on 127.0.0.1 (no internet): providers, cache, failures."""
from __future__ import annotations

import json

import pytest

import ivbtools
from ivbtools import IvbError
from ivbtools.live import bron
from ivbtools.live.fetch import fetch
from ivbtools.verdict.evaluate import evaluate

from conftest import digest, ivb
from replay import BRON_ROWS, Replay, _fixture_value, bron_zip, default_tables, last_bron_year


def test_fetch_two_municipalities_fills_the_cache_with_provenance(server, data_copy):
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--municipality", "GM0014", "--quiet"])
    assert proc.returncode == 0, proc.stderr
    extracts = sorted(p.name for p in (data_copy / "cache" / "observations").glob("*.csv"))
    for area in ("GM1969", "GM0014", "NL01"):
        for stem in ("police-crimes-47025NED", "police-nuisance-47021NED", "cbs-population-70072ned",
                     f"bron-2017-{last_bron_year()}"):
            assert f"{stem}-{area}.csv" in extracts
    ds = ivbtools.load(data_copy)
    # values arrive unchanged, padded keys stripped
    for area in ("GM1969", "GM0014"):
        got = ds.observations.get("confused_person_e33", area, 2022)
        assert got.value == _fixture_value("47021NED", "E33   ", area, 2022) and got.layer == "cache"
    nl = ds.observations.get("burglary_home", "NL01", 2020)
    assert nl.value == _fixture_value("47025NED", "1.1.1 ", "NL01  ", 2020) * 100
    src = ds.sources[nl.source_id]
    assert "tabel 47025NED" in src.title and "gewijzigd 2024-03-01" in src.title and src.retrieved == ivbtools.live.fetch.now()[:10]
    # an area's name comes from the table's region list
    assert ds.area_name("GM0014") == "Groningen"
    # the snapshot's national E33 figure now disagrees with the (fixture) table and is listed
    d = ds.observations.disagreements
    assert ((d.indicator == "confused_person_e33") & (d.area_code == "NL01") & (d.year == 2022) & (d.other_value == 138807)).any()


def test_run_after_fetch_reports_with_table_id_and_retrieval_date(server, data_copy, tmp_path):
    assert ivb(["--data", str(data_copy), "fetch", "--municipality", "GM0014", "--quiet"]).returncode == 0
    server.faults["/"] = "500"  # from now on the network answers nothing useful: runs are offline
    ds = ivbtools.load(data_copy)
    ev = evaluate(ds, "sociaal-verward-gedrag", 2023, "GM0014")
    assert ev.status in ("gehaald", "niet_gehaald") and ev.assessment is not None and ev.benchmark
    ev = evaluate(ds, "verkeer-ongevallen", 2023, "GM0014")
    assert (ev.baseline.value, ev.observed.value) == (1, 2)  # hand-made BRON rows for GME_ID 14
    out = tmp_path / "out"
    proc = ivb(["--data", str(data_copy), "run", "--year", "2023", "--municipality", "GM0014", "--quiet", "--jobs", "2",
                "--output", str(out)], timeout=600)
    assert proc.returncode == 0, proc.stderr
    html = (out / "GM0014" / "2023" / "sociaal-verward-gedrag.html").read_text(encoding="utf-8")
    # the retrieval date the fetch recorded (not today's: a run across midnight is no failure)
    retrieved = next(src.retrieved for src in ds.sources.values() if "tabel 47021NED" in src.title)
    assert "tabel 47021NED" in html and retrieved in html and "Groningen" in html
    # Westerkwartier's targets as a benchmark; none of Westerkwartier's own text or figures as Groningen's
    assert "als maatstaf toegepast op Groningen" in html and "concludeert zelf" not in html and "137 meldingen" not in html
    scorecard_html = (out / "GM0014" / "2023" / "scorecard.html").read_text(encoding="utf-8")
    assert "Zuidhorn" not in scorecard_html and "63%" not in scorecard_html
    overview = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="GM0014"' in overview and 'href="GM0014/2023/sociaal-verward-gedrag.html"' in overview
    card = json.loads((out / "GM0014" / "2023" / "scorecard.json").read_text(encoding="utf-8"))
    answered = {p["doel_id"] for p in card["parts"] if p["status"] not in ("onvoldoende_gegevens", "niet_meetbaar")}
    # everything the fetched tables cover is answered; only the survey mark (no open source) is missing
    assert answered == {"verkeer-ongevallen", "verkeer-slachtoffers", "sociaal-verward-gedrag", "sociaal-woninginbraak", "jeugd-overlast"}


def test_network_gone_gives_one_line_and_keeps_the_cache(server, data_copy):
    assert ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--quiet"]).returncode == 0
    before = digest(data_copy / "cache")
    server.__exit__()  # the server is gone: connections are refused
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--refresh", "--timeout", "2"])
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith("ivb: error: fetch failed for every source") and "cannot connect" in lines[0]
    assert digest(data_copy / "cache") == before
    ds = ivbtools.load(data_copy)
    assert ds.observations.get("confused_person_e33", "GM1969", 2022).layer == "cache"
    from ivbtools.present.report import data_status_text
    text = data_status_text(ds)
    # in Dutch, once per source, with the reason in Dutch
    assert text.count("LET OP: het ophalen van de politiecijfers over misdrijven voor GM1969, NL01 mislukte op") == 1, text
    assert "(geen verbinding met de bron)" in text and "cannot connect" not in text
    # a page about E33 (police nuisance) does not warn about the crimes table or BRON
    e33 = data_status_text(ds, ["GM1969", "NL01"], ["confused_person_e33", "population"])
    assert "misdrijven" not in e33 and "BRON" not in e33 and "over overlast voor GM1969, NL01 mislukte" in e33


def test_dns_failure(data_copy, monkeypatch):
    monkeypatch.setenv("IVB_POLICE_URL", "http://no-such-host.invalid")
    monkeypatch.setenv("IVB_CBS_URL", "http://no-such-host.invalid")
    monkeypatch.setenv("IVB_BRON_URL", "http://no-such-host.invalid/bron")
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--timeout", "2"])
    assert proc.returncode == 2 and "could not be resolved" in proc.stderr and "Traceback" not in proc.stderr
    assert not (data_copy / "cache").exists() or not list((data_copy / "cache").rglob("*.csv"))


@pytest.mark.parametrize("fault, path, expect", [
    ("500", "/47025NED/", "the server answered HTTP 500"),
    ("drop", "/47025NED/", "connection was dropped"),
    ("hang", "/47025NED/", "no answer within 1 s"),
])
def test_a_failing_table_falls_back_and_the_others_still_arrive(server, data_copy, fault, path, expect):
    assert ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--quiet", "--only", "police-crimes"]).returncode == 0
    before = digest(data_copy / "cache" / "raw" / "police-crimes")
    server.faults[path] = fault
    server.faults[path.replace("47025NED", "47013NED")] = fault   # its configured successor fails the same way
    server.hang_seconds = 3
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--refresh", "--quiet", "--timeout", "1"])
    assert proc.returncode == 1
    failed = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert failed and all(ln.startswith("FAILED  police-crimes") for ln in failed) and "Traceback" not in proc.stderr
    assert expect in failed[0] and "cache kept" in failed[0]
    assert digest(data_copy / "cache" / "raw" / "police-crimes") == before  # previous download intact
    ds = ivbtools.load(data_copy)
    assert ds.observations.get("confused_person_e33", "GM1969", 2020).layer == "cache"  # nuisance table arrived
    assert ds.observations.get("burglary_home", "GM1969", 2020).layer == "cache"        # crimes: from the old cache


def test_table_without_the_expected_column(data_copy, monkeypatch):
    tables = default_tables()
    props = tables["47021NED"]["sets"]["DataProperties"]
    tables["47021NED"]["sets"]["DataProperties"] = [p for p in props if p["Key"] != "GeregistreerdeOverlast_1"]
    with Replay(tables=tables) as r:
        monkeypatch.setenv("IVB_POLICE_URL", r.url)
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-nuisance"})
    assert [o.ok for o in rep.outcomes] == [False, False]
    assert rep.outcomes[0].message.startswith("table 47021NED has no column GeregistreerdeOverlast_1")
    assert not (data_copy / "cache" / "observations").exists()


def test_unknown_municipality_is_named_before_anything_is_downloaded(server, data_copy):
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM9999", "--quiet"])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "GM9999 is not a municipality in the code list" in lines[0]
    assert server.requests == [] and not (data_copy / "fetch-log.json").exists()
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "1969"])
    assert proc.returncode == 2 and "is not a CBS municipality code" in proc.stderr
    # a real municipality that the table does not hold is named by the table
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM0363", "--quiet", "--only", "police-crimes"])
    assert proc.returncode == 2 and "GM0363 is not a region of table 47025NED" in proc.stderr


def test_the_known_table_is_used_while_it_fits_and_a_successor_only_when_it_is_gone(data_copy, monkeypatch):
    tables = default_tables()
    newer = json.loads(json.dumps(tables["47025NED"]).replace("47025NED", "47099NED"))
    newer["info"]["Modified"] = "2025-02-01T02:00:00"
    tables["47099NED"] = newer
    with Replay(tables=tables) as r:
        monkeypatch.setenv("IVB_POLICE_URL", r.url)
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-crimes"})
        assert rep.outcomes[0].message.startswith("table 47025NED") and not rep.notes
        assert not any("ODataCatalog" in q for q in r.requests)   # the known id fits: no catalogue search
        assert not any("/47013NED/" in q for q in r.requests)     # nor its configured successor
        del tables["47025NED"]                                     # withdrawn
        rep = fetch(data_copy, ["GM1969"], refresh=True, quiet=True, timeout=5, only={"police-crimes"})
        # the configured successor first (data/live.yaml yearly_from): the monthly table's whole years
        assert rep.outcomes[0].message.startswith("table 47013NED") and not rep.failed
        assert any("configured successor 47013NED" in n and "HTTP 404" in n for n in rep.notes), rep.notes
        assert not any("ODataCatalog" in q for q in r.requests)   # found without the catalogue
        meta = json.loads((data_copy / "cache" / "raw" / "police-crimes" / "GM1969.json.meta.json").read_text())
        assert meta["table_id"] == "47013NED" and meta["resolved_by"].startswith("configured successor (")
        sources = (data_copy / "cache" / "sources.yaml").read_text(encoding="utf-8")
        assert "ingestelde opvolger" in sources and "Alleen de jaarcijfers (JJ00) van deze maandtabel" in sources
        ds = ivbtools.load(data_copy)
        got = ds.observations.get("burglary_home", "GM1969", 2020)
        assert got.value == _fixture_value("47013NED", "1.1.1 ", "GM1969", 2020)   # its JJ00 row, not a sum of months
        del tables["47013NED"]                                     # the successor gone too: the catalogue
        rep = fetch(data_copy, ["GM1969"], refresh=True, quiet=True, timeout=5, only={"police-crimes"})
        assert rep.outcomes[0].message.startswith("table 47099NED")
        catalogue = [q for q in r.requests if "ODataCatalog" in q]
        assert catalogue and all("substringof" in q and "%24select" in q for q in catalogue)   # filtered on the server
    meta = json.loads((data_copy / "cache" / "raw" / "police-crimes" / "GM1969.json.meta.json").read_text())
    assert meta["table_id"] == "47099NED" and meta["resolved_by"].startswith("catalogue (")
    assert "404" in meta["resolved_by"]
    sources = (data_copy / "cache" / "sources.yaml").read_text(encoding="utf-8")
    assert "Tabel gevonden via de catalogus" in sources


def test_a_discontinued_or_frozen_table_gives_way_to_its_successor(data_copy, monkeypatch):
    """The catalogue no longer names 47025NED (July 2026) while it still answers: discontinued, or
    frozen at an old year. The monthly table 47013NED, whose whole years stand beside its months,
    takes over; one line says why; without a fresher table the old one is used and says so."""
    from replay import YEARS, discontinued

    last = YEARS[-1]
    for status, newest, why in (("Gediscontinueerd", last, "status 'Gediscontinueerd'"),
                                ("Regulier", last - 2, f"newest whole year {last - 2}")):
        tables = default_tables()
        tables["47025NED"] = discontinued(tables["47025NED"], newest, status)
        tables["47025NED"]["unlisted"] = True          # not in the catalogue, yet it answers
        with Replay(tables=tables) as r:
            monkeypatch.setenv("IVB_POLICE_URL", r.url)
            rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, refresh=True, only={"police-crimes"})
        assert not rep.failed and rep.outcomes[0].message.startswith("table 47013NED"), rep.outcomes
        assert any(why in n and "47025NED" in n for n in rep.notes), rep.notes
        ds = ivbtools.load(data_copy)
        assert ds.observations.get("burglary_home", "GM1969", last) is not None   # last year's crimes are there
        src = ds.sources[ds.observations.get("burglary_home", "GM1969", last).source_id]
        assert "47013NED" in src.title and src.is_provisional(last) and not src.is_provisional(last - 1)
    # nothing fresher: the frozen table is used as the last resort, and its provenance says so
    tables = default_tables()
    tables["47025NED"] = discontinued(tables["47025NED"], last - 2, "Gediscontinueerd")
    tables["47013NED"] = discontinued(tables["47013NED"], last - 3, "Gediscontinueerd")
    with Replay(tables=tables) as r:
        monkeypatch.setenv("IVB_POLICE_URL", r.url)
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, refresh=True, only={"police-crimes"})
    assert not rep.failed and rep.outcomes[0].message.startswith("table 47025NED")
    assert any("last resort" in n for n in rep.notes)
    ds = ivbtools.load(data_copy)
    src = ds.sources[ds.observations.get("burglary_home", "GM1969", last - 2).source_id]
    assert "niet meer bijgewerkt" in src.note and "Gediscontinueerd" in src.note
    assert ds.observations.get("burglary_home", "GM1969", last) is None or \
        ds.observations.get("burglary_home", "GM1969", last).layer != "cache"


def test_a_failed_download_falls_back_to_the_next_fitting_table(data_copy, monkeypatch):
    tables = default_tables()
    tables["47099NED"] = json.loads(json.dumps(tables["47025NED"]).replace("47025NED", "47099NED"))
    with Replay(tables=tables) as r:
        monkeypatch.setenv("IVB_POLICE_URL", r.url)
        r.faults["/47025NED/TypedDataSet"] = "500"
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-crimes"})
        assert not rep.failed and rep.outcomes[0].message.startswith("table 47013NED")   # the configured successor
        meta = json.loads((data_copy / "cache" / "raw" / "police-crimes" / "GM1969.json.meta.json").read_text())
        assert meta["resolved_by"] == "configured successor (table 47025NED failed)"
        r.faults["/47013NED/TypedDataSet"] = "500"
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, refresh=True, only={"police-crimes"})
    assert not rep.failed and rep.outcomes[0].message.startswith("table 47099NED")
    meta = json.loads((data_copy / "cache" / "raw" / "police-crimes" / "GM1969.json.meta.json").read_text())
    assert meta["resolved_by"] == "catalogue (table 47025NED failed)"


def test_a_successor_is_chosen_by_its_periods_not_its_frequency(data_copy, monkeypatch):
    """Frequency is the update cadence, not the grain: a monthly table with whole years serves a
    yearly source (above); a table with months only never does, whatever its Frequency says."""
    tables = default_tables()
    del tables["47025NED"]
    months_only = tables["47013NED"]
    months_only["sets"]["Perioden"] = [p for p in months_only["sets"]["Perioden"] if "MM" in p["Key"]]
    months_only["info"]["Frequency"] = "Perjaar"   # a label that says yearly: the periods decide
    with Replay(tables=tables) as r:
        monkeypatch.setenv("IVB_POLICE_URL", r.url)
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-crimes"})
    assert rep.failed and "table 47025NED" in rep.failed[0].message and "HTTP 404" in rep.failed[0].message
    assert "whole years" in rep.failed[0].message
    assert not (data_copy / "cache" / "observations").exists()


def test_truncated_download_leaves_no_partial_file(server, data_copy):
    server.faults["/bron/"] = "truncate"
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--only", "bron", "--timeout", "5"])
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    leftovers = [p for p in (data_copy / "cache").rglob("*") if p.is_file()] if (data_copy / "cache").exists() else []
    assert leftovers == []


def test_bron_reader_counts_by_municipality_year_and_outcome(tmp_path):
    for delimiter in (",", ";"):
        z = tmp_path / f"b{delimiter == ';'}.zip"
        z.write_bytes(bron_zip(delimiter=delimiter))
        c = bron.count_accidents(z)
        # counted by hand from BRON_ROWS in tests/replay.py
        wk20, wk23 = c.by_area_year[("GM1969", 2020)], c.by_area_year[("GM1969", 2023)]
        assert (wk20.all, wk20.injury, wk20.fatal, wk20.casualties) == (4, 1, 1, 3)
        assert (wk23.all, wk23.injury, wk23.fatal, wk23.casualties) == (2, 1, 0, 1)
        g23 = c.by_area_year[("GM0014", 2023)]
        assert (g23.all, g23.injury) == (2, 1)
        nl20, nl23 = c.by_area_year[("NL01", 2020)], c.by_area_year[("NL01", 2023)]
        assert (nl20.all, nl23.all) == (5, 5) and c.rows == len(BRON_ROWS)
        assert c.names["GM0014"] == "Groningen" and c.unmapped == 1


def test_bron_record_with_only_a_municipality_name_is_mapped_by_that_name(tmp_path):
    rows = BRON_ROWS + [(2023, "LET", 2, "", "Westerkwartier"), (2023, "UMS", 0, "", "Nergenshuizen")]
    z = tmp_path / "b.zip"
    z.write_bytes(bron_zip(rows))
    c = bron.count_accidents(z)
    wk23 = c.by_area_year[("GM1969", 2023)]
    assert (wk23.all, wk23.injury, wk23.casualties) == (3, 2, 3)  # 2 with GME_ID + 1 by name
    assert c.by_area_year[("NL01", 2023)].all == 7 and c.unmapped == 2


def test_bron_zip_without_the_member_is_refused(tmp_path):
    import zipfile
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "x")
    with pytest.raises(IvbError, match="no ongevallen.txt anywhere inside"):
        bron.count_accidents(z)


def test_withdrawn_table_is_named(data_copy, monkeypatch):
    tables = default_tables()
    del tables["47021NED"]  # the known id no longer exists, and the catalogue has no successor
    with Replay(tables=tables) as r:
        monkeypatch.setenv("IVB_POLICE_URL", r.url)
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-nuisance"})
    assert not rep.outcomes[0].ok
    assert "table 47021NED" in rep.outcomes[0].message and "HTTP 404" in rep.outcomes[0].message
    assert "withdrawn or renamed" in rep.outcomes[0].message


def test_every_kind_of_fetch_failure_has_a_dutch_reading():
    """The reports say in Dutch what went wrong (data/datastatus.py REASONS_NL reads the one-line
    English messages of live/neterrors.py): no message kind falls through to the generic text."""
    import json as _json

    import requests

    from ivbtools.data.datastatus import reason_nl
    from ivbtools.live.neterrors import describe

    def http(status):
        r = requests.Response()
        r.status_code = status
        return requests.HTTPError(response=r)

    cases = [requests.exceptions.ProxyError("proxy"), http(404), http(503), http(403), requests.Timeout(),
             requests.ConnectionError("Read timed out"), requests.ConnectionError("NameResolutionError: x"),
             requests.ConnectionError("RemoteDisconnected"), requests.ConnectionError("refused"),
             requests.exceptions.ChunkedEncodingError(), _json.JSONDecodeError("x", "y", 0)]
    generic = reason_nl("something else entirely")
    readings = [reason_nl(describe(exc, "table 47025NED", 30, proxy="http://p:8080" if "proxy" in str(exc) else None))
                for exc in cases]
    assert generic not in readings, list(zip(cases, readings))
    assert reason_nl(describe(http(404), "t", 30)) == "de tabel is niet (meer) te vinden"
    assert reason_nl(describe(requests.ConnectionError("NameResolutionError"), "t", 30)).startswith("geen internetverbinding")


def test_an_indicator_of_several_categories_is_their_sum_and_missing_when_one_is(data_copy, monkeypatch):
    """Violent crime and high-impact crime as data (data/live.yaml): the sum of their police categories,
    by hand from the replay's values; a category without a figure leaves the sum out, never partial."""
    tables = default_tables()
    rows = tables["47025NED"]["sets"]["TypedDataSet"]
    for r in rows:   # 2019: straatroof not published for Westerkwartier
        if r["SoortMisdrijf"] == "1.4.6 " and r["RegioS"] == "GM1969" and r["Perioden"] == "2019JJ00":
            r["GeregistreerdeMisdrijven_1"] = None
    with Replay(tables=tables) as r:
        monkeypatch.setenv("IVB_POLICE_URL", r.url)
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-crimes"})
    assert not rep.failed
    ds = ivbtools.load(data_copy)
    v = lambda cat, y: _fixture_value("47025NED", cat, "GM1969", y)   # noqa: E731
    violence = ["1.4.1 ", "1.4.2 ", "1.4.3 ", "1.4.4 ", "1.4.5 "]
    assert ds.observations.get("violent_crime", "GM1969", 2020).value == sum(v(c, 2020) for c in violence)
    hic = violence + ["1.1.1 ", "1.4.6 ", "1.4.7 "]
    assert ds.observations.get("high_impact_crime", "GM1969", 2020).value == sum(v(c, 2020) for c in hic)
    assert ds.observations.get("high_impact_crime", "GM1969", 2019) is None      # a part missing: no figure
    assert ds.observations.get("violent_crime", "GM1969", 2019) is not None      # its own parts are all there
    assert ds.observations.get("street_robbery", "GM1969", 2019) is None
