"""The services as they are in late 2026 (issue #25), each behaviour against the replay made to behave
as the public evidence says: next-page links on an internal host, pages that silently leave out
rows, every police period 'Definitief', the population on each year's own boundaries, a BRON year
without ANTL_SLA, and an outage named in the data basis of a page."""
from __future__ import annotations

import json
from urllib.parse import urlparse

import ivbtools
from ivbtools.live import bron
from ivbtools.live.fetch import fetch
from ivbtools.live.odata import rebase

from conftest import ivb
from replay import INTERNAL_HOST, YEARS, Replay, bron_name, bron_year_files, default_tables


def _env(monkeypatch, url):
    monkeypatch.setenv("IVB_POLICE_URL", url)
    monkeypatch.setenv("IVB_CBS_URL", url)
    monkeypatch.setenv("IVB_BRON_URL", url + "/bron")


def test_a_next_page_link_on_another_host_is_followed_on_the_configured_one(data_copy, monkeypatch):
    # the rule, by hand: host and scheme of the request, path (behind a proxy prefix) and query of the link
    assert rebase("https://dataderden.prod.cbsp.nl/ODataFeed/odata/47013NED/TypedDataSet?$skip=4&$format=json",
                  "http://127.0.0.1:9/prefix/ODataFeed/odata/47013NED/TypedDataSet?$format=json") == \
        "http://127.0.0.1:9/prefix/ODataFeed/odata/47013NED/TypedDataSet?$skip=4&$format=json"
    same = "http://127.0.0.1:9/ODataFeed/odata/x/TypedDataSet?$skip=4"
    assert rebase(same, "http://127.0.0.1:9/ODataFeed/odata/x/TypedDataSet") == same
    with Replay() as r:                         # its next-page links name dataderden.prod.cbsp.nl
        _env(monkeypatch, r.url)
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-nuisance"})
        pages = [q for q in r.requests if "$skip" in q or "%24skip" in q]
    assert not rep.failed and pages                            # paged, every page reached the replay
    assert any(INTERNAL_HOST in line and "followed on" in line for line in rep.log)
    assert not rep.notes                                       # a log line, not a warning


def test_a_page_that_silently_leaves_out_rows_is_asked_again_then_named(data_copy, monkeypatch):
    with Replay() as r:
        _env(monkeypatch, r.url)
        r.omit["/47021NED/TypedDataSet"] = 1       # one page drops a row, once: asked again, complete
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-nuisance"})
        assert not rep.failed and any("lacked 1 of" in line for line in rep.log)
        ds = ivbtools.load(data_copy)
        assert ds.observations.get("confused_person_e33", "GM1969", YEARS[-1]).layer == "cache"
        before = (data_copy / "cache" / "index.json").read_text()
        r.omit["/47021NED/TypedDataSet"] = 10_000  # every page drops a row: one line, the cache kept
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, refresh=True, only={"police-nuisance"})
    assert rep.failed and all("police-nuisance" == o.source for o in rep.failed)
    msg = rep.failed[0].message
    assert "lacks" in msg and "requested figures" in msg and "also when asked again" in msg and "cache" in msg
    assert (data_copy / "cache" / "index.json").read_text() == before


def test_no_request_expects_more_rows_than_a_page(data_copy, monkeypatch):
    """Requests are split so that none needs $skip paging on the real feed (10,000 rows a page):
    with a page of 10,000 no answer has a next-page link (the municipality fetch and the panel)."""
    from ivbtools.live.fetch import fetch_panel

    import panel_fixture as pf

    with Replay(tables=pf.tables(), page=10_000) as r:
        _env(monkeypatch, r.url)
        assert not fetch_panel(data_copy, quiet=True, only={"police-crimes", "police-nuisance"}).failed
        data = [q for q in r.requests if "/TypedDataSet" in q]
    assert data and not any("skip" in q for q in data)
    # 47025NED: 345 regions x 12 years = 4,140 rows a category, 2 categories a request (of 10,000 rows)
    import math

    import yaml
    spec = [d for d in yaml.safe_load((data_copy / "live.yaml").read_text())["odata"] if d["key"] == "police-crimes"][0]
    crimes = [q for q in data if "/47025NED/" in q]
    assert len(crimes) == math.ceil(len(spec["indicators"]) / 2)


def test_every_police_year_is_definitief_yet_the_newest_is_marked_provisional(data_copy, monkeypatch):
    with Replay() as r:
        _env(monkeypatch, r.url)
        assert {p["Status"] for p in r.tables["47025NED"]["sets"]["Perioden"]} == {"Definitief"}
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-crimes"})
    assert not rep.failed
    ds = ivbtools.load(data_copy)
    src = ds.sources[ds.observations.get("burglary_home", "GM1969", YEARS[-1]).source_id]
    assert src.provisional_years == (YEARS[-1],) and "‘Definitief’" in src.note
    from ivbtools.verdict.evaluate import evaluate
    ev = evaluate(ds, "sociaal-woninginbraak", YEARS[-1], "GM1969")
    assert any(c.startswith(f"Voorlopig cijfer ({YEARS[-1]})") for c in ev.context_nl)


def test_the_population_table_is_on_each_years_boundaries(data_copy, monkeypatch):
    from ivbtools.present.report import data_table, per_1000
    from ivbtools.verdict.evaluate import evaluate

    with Replay() as r:
        _env(monkeypatch, r.url)
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"cbs-population", "police-nuisance"})
    assert not rep.failed
    ds = ivbtools.load(data_copy)
    t = ds.observations.table
    pop = t[(t.indicator == "population") & (t.area_code == "GM1969")]
    assert sorted(pop.year) == [y for y in YEARS if y >= 2019]   # empty cells before 2019: no figure, never 0
    assert per_1000(ds, "GM1969", 2017, 50) == "– (Westerkwartier bestaat sinds 2019: geen inwonertal voor 2017)"
    assert per_1000(ds, "GM1969", 2020, 63) != "–" and "," in per_1000(ds, "GM1969", 2020, 63)
    ev = evaluate(ds, "sociaal-verward-gedrag", 2022, "GM1969")
    table = data_table(ds, ev)
    assert "bestaat sinds 2019" in table.loc[("Westerkwartier (GM1969)", 2017), "per 1.000 inwoners"]
    burglary = evaluate(ds, "sociaal-woninginbraak", 2022, "GM1969")   # baseline 2018: before the merger
    assert any("bestaat sinds 1 januari 2019" in c and "geen cijfer per 1.000 inwoners" in c for c in burglary.caveats)


def test_a_bron_year_without_antl_sla_has_no_casualty_figure_never_a_zero(data_copy, monkeypatch, tmp_path):
    from replay import BRON_ROWS

    # by hand: the reader, one file without the column, one with the column but no values
    for kw, why in (({"drop_columns": ("ANTL_SLA",)}, "ANTL_SLA absent"), ({"empty_columns": ("ANTL_SLA",)}, "ANTL_SLA empty")):
        z = tmp_path / "x.zip"
        from replay import bron_zip
        z.write_bytes(bron_zip(**kw))
        c = bron.count_accidents(z)
        assert c.unpublished == {"casualties": {2019: why, 2020: why, 2023: why}}
        rows = bron.tidy_rows(c, ["GM1969"], None, "s")
        assert {r["indicator"] for r in rows} == {"traffic_accidents", "traffic_accidents_injury", "traffic_accidents_fatal"}
        assert [r["value"] for r in rows if r["indicator"] == "traffic_accidents" and r["year"] == 2020] == [4]
    # fetched: the 2020 file without the column; the other years keep their casualties
    files = bron_year_files()
    rows2020 = [r for r in BRON_ROWS if r[0] == 2020]
    files[bron_name(2020)] = bron_zip(rows2020, prefix="01-01-2020_31-12-2020/", drop_columns=("ANTL_SLA",))
    with Replay(bron=files) as r:
        _env(monkeypatch, r.url)
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"bron"})
    assert not rep.failed
    assert any("01-01-2020_31-12-2020.zip: column ANTL_SLA absent for 2020" in n and "traffic_casualties" in n
               for n in rep.notes), rep.notes
    ds = ivbtools.load(data_copy)
    got = ds.observations.get("traffic_casualties", "GM1969", 2020)
    assert got is None or got.layer != "cache"                     # no figure from the cache, never 0
    assert ds.observations.get("traffic_accidents", "GM1969", 2020).value == 4
    assert ds.observations.get("traffic_casualties", "GM1969", 2023).value == 1   # by hand: one LET with 1
    src = [s for s in ds.sources.values() if "01-01-2020_31-12-2020" in s.title][0]
    assert "ANTL_SLA ontbreekt" in src.note
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--only", "bron", "--quiet"])
    assert proc.returncode == 2 or "ANTL_SLA" in proc.stderr   # a quiet fetch still says it (the replay is gone)


def test_an_outage_is_named_in_the_data_basis_of_a_page(data_copy, monkeypatch):
    from ivbtools.data.cache import Cache
    from ivbtools.data.datastatus import provenance_nl

    with Replay() as r:
        _env(monkeypatch, r.url)
        assert not fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-nuisance"}).failed
    # days later every CBS API is down: the fetch fails, the cache is used, and the page says so
    log = Cache(data_copy).read_log()
    for k, e in log.items():
        e["at"] = "2099-02-03T10:00:00+00:00"
        e["ok"] = False
        e["message"] = "table 47021NED on dataderden.cbs.nl: cannot connect (no network, or the service is down)"
    (data_copy / "fetch-log.json").write_text(json.dumps(log))
    ds = ivbtools.load(data_copy)
    line = provenance_nl(ds, ["GM1969", "NL01"], ["confused_person_e33"])
    assert "ophalen op 3 februari 2099 mislukt (geen verbinding met de bron)" in line
    assert "deze cijfers zijn ouder dan deze pagina" in line
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--only", "police-nuisance",
                "--refresh", "--best-effort", "--timeout", "1"])
    # no service here: one line that names what runs use instead, with its date
    assert proc.returncode == 0 and "keeps using the cached figures downloaded" in proc.stderr


def test_the_replays_links_name_the_internal_host_like_the_service():
    with Replay() as r:
        import requests
        cat = requests.get(r.url + "/ODataCatalog/Tables", params={"$format": "json"}, timeout=10).json()["value"]
        page = requests.get(r.url + "/ODataFeed/odata/47025NED/TypedDataSet", params={"$format": "json"}, timeout=10).json()
    assert all(urlparse(t["ApiUrl"]).netloc == INTERNAL_HOST for t in cat)
    assert urlparse(page["odata.nextLink"]).netloc == INTERNAL_HOST
    assert default_tables()["47025NED"]["info"]["OutputStatus"] == "Regulier"
