"""Every fault of issue #8 against the local replay server (127.0.0.1): no hang, no traceback, no
cache entry replaced by an invalid one, the next healthy fetch succeeds without --refresh, and
`ivb check` / `ivb run` keep working throughout."""
from __future__ import annotations

import io
import json
import os
import time
import zipfile

import pytest

import ivbtools
from ivbtools.data.cache import Cache
from ivbtools.live import bron
from ivbtools.live.fetch import fetch

from conftest import add_local, digest, ivb
from replay import BRON_LAST_MODIFIED, BRON_ROWS, Replay, bron_name, bron_zip, default_tables, last_bron_year


def one_line(proc, code):
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines


def fetch_ok(data, *extra):
    proc = ivb(["--data", str(data), "fetch", "--municipality", "GM1969", "--quiet", *extra])
    assert proc.returncode == 0, proc.stderr
    return proc


def check_ok(data):
    proc = ivb(["--data", str(data), "check"])
    assert proc.returncode == 0 and proc.stdout.startswith("data ok"), proc.stderr
    return proc


def test_next_link_pointing_to_itself_stops_with_one_line_and_the_rest_arrives(server, data_copy):
    fetch_ok(data_copy)
    before = digest(data_copy / "cache")
    server.faults["/47021NED/TypedDataSet"] = "selfloop"
    t0 = time.monotonic()
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--quiet", "--refresh", "--timeout", "5"],
               timeout=120)
    assert time.monotonic() - t0 < 60
    lines = one_line(proc, 1)
    assert lines and all(ln.startswith("FAILED  police-nuisance") for ln in lines)
    assert "same next-page link twice" in lines[0]
    after = digest(data_copy / "cache")
    nuisance = [k for k in before if "police-nuisance" in k]
    assert nuisance and all(after[k] == before[k] for k in nuisance)     # that entry untouched
    assert any(after.get(k) != before[k] for k in before if "police-crimes" in k and "meta" in k)  # others refreshed
    check_ok(data_copy)


def test_rows_without_the_measure_leave_the_cache_and_the_next_fetch_works(data_copy, monkeypatch):
    tables = default_tables()
    with Replay(tables=tables) as r:
        for var in ("IVB_POLICE_URL", "IVB_CBS_URL"):
            monkeypatch.setenv(var, r.url)
        monkeypatch.setenv("IVB_BRON_URL", r.url + "/bron")
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5)
        assert not rep.failed
        before = digest(data_copy / "cache")
        good = tables["47021NED"]["sets"]["TypedDataSet"]
        tables["47021NED"]["sets"]["TypedDataSet"] = [{k: v for k, v in row.items() if k != "GeregistreerdeOverlast_1"}
                                                      for row in good]
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, refresh=True)
        failed = {(o.source, o.area): o.message for o in rep.failed}
        assert set(failed) == {("police-nuisance", "GM1969"), ("police-nuisance", "NL01")}
        assert "has no column GeregistreerdeOverlast_1 although the table lists it" in failed[("police-nuisance", "GM1969")]
        assert "update data/live.yaml" not in failed[("police-nuisance", "GM1969")]
        assert {o.source for o in rep.outcomes if o.ok} == {"police-crimes", "police-crimes-months", "cbs-population", "bron"}
        after = digest(data_copy / "cache")
        assert all(after[k] == v for k, v in before.items() if "police-nuisance" in k)
        log = json.loads((data_copy / "fetch-log.json").read_text())
        assert log["police-nuisance:GM1969"]["ok"] is False
        # the service is healthy again: a plain fetch (no --refresh) works, and clears the failure
        tables["47021NED"]["sets"]["TypedDataSet"] = good
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5)
        assert not rep.failed
    assert json.loads((data_copy / "fetch-log.json").read_text())["police-nuisance:GM1969"]["ok"] is True


@pytest.mark.parametrize("bad_zip, expect", [
    (bron_zip([r for r in BRON_ROWS if r[0] == 2020], cut_last_record=True), "fields where the header has 14 — the file is cut off"),
    (b"PK\x03\x04 not really a zip", "not a complete zip"),
])
def test_a_broken_bron_zip_never_replaces_the_good_one(data_copy, monkeypatch, bad_zip, expect):
    with Replay() as r:
        for var in ("IVB_POLICE_URL", "IVB_CBS_URL"):
            monkeypatch.setenv(var, r.url)
        monkeypatch.setenv("IVB_BRON_URL", r.url + "/bron")
        assert not fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"bron"}).failed
        before = digest(data_copy / "cache")
        good = r.bron[bron_name(2020)]
        r.bron[bron_name(2020)] = bad_zip
        proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--only", "bron", "--refresh",
                    "--timeout", "5", "--years", "2020"])
        lines = one_line(proc, 2)
        assert len(lines) == 1 and expect in lines[0]
        assert digest(data_copy / "cache") == before
        assert not [p for p in (data_copy / "cache").rglob("*") if ".staging" in str(p)]
        # a refresh of every year: the broken year keeps its previous copy, the others are read again
        proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--only", "bron", "--refresh",
                    "--timeout", "5"])
        assert proc.returncode == 1 and expect in proc.stderr and "previous copy of 01-01-2020_31-12-2020.zip is kept" in proc.stderr
        assert ivbtools.load(data_copy).observations.get("traffic_accidents", "GM1969", 2020).value == 4
        r.bron[bron_name(2020)] = good
        assert not fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"bron"}).failed
    check_ok(data_copy)


def test_bron_per_year_files_in_two_encodings_are_read(data_copy, monkeypatch):
    """BRON as published: one zip per year under a folder of that name, older years in
    Windows-1252; the newest year not published yet is a note, not a failure."""
    with Replay() as r:
        monkeypatch.setenv("IVB_BRON_URL", r.url + "/bron")
        rep = fetch(data_copy, ["GM1900"], quiet=True, timeout=5, only={"bron"})
        for year, raw in ((2019, "Súdwest-Fryslân".encode("cp1252")), (2023, b"Westerkwartier")):
            with zipfile.ZipFile(io.BytesIO(r.bron[bron_name(year)])) as zf:   # the replay's files as published
                text = zf.read(f"{bron_name(year).removesuffix('.zip')}/Ongevallengegevens/ongevallen.txt")
            assert raw in text
    assert not rep.failed
    notes = [o.message for o in rep.outcomes if o.area == "-"]
    assert notes == [f"{bron_name(last_bron_year() + 1)}: not published yet (HTTP 404); the years before are used"]
    ds = ivbtools.load(data_copy)
    got = ds.observations.get("traffic_accidents", "GM1900", 2019)
    assert got.value == 1 and got.area_name == "Súdwest-Fryslân"   # counted by hand from BRON_ROWS
    requested = [q for q in r.requests if q.startswith("/bron/")]
    assert requested == [f"/bron/{bron_name(y)}" for y in range(2017, last_bron_year() + 2)]


def test_bron_text_that_is_neither_utf8_nor_cp1252_is_one_line(tmp_path):
    import zipfile
    z = tmp_path / "b.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("Ongevallengegevens/ongevallen.txt", b"VKL_NUMMER,JAAR_VKL,AP3_CODE,GME_ID,GME_NAAM\r\n"
                    + b"1,2019,UMS,14,Gron\x81ngen\r\n")
    with pytest.raises(ivbtools.IvbError, match=r"ongevallen.txt line 2: byte 0x81 is neither UTF-8 nor Windows-1252"):
        bron.count_accidents(z)


def test_bron_multi_year_file_is_read_when_configured(data_copy, monkeypatch):
    live = data_copy / "live.yaml"
    live.write_text(live.read_text().replace('  file_pattern: "01-01-{year}_31-12-{year}.zip"',
                                             "  periods: [{file: 01-01-2014_31-12-2023.zip, first: 2014, last: 2023}]"))
    with Replay(bron=bron_zip(prefix="01-01-2014_31-12-2023/")) as r:
        monkeypatch.setenv("IVB_BRON_URL", r.url + "/bron")
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"bron"})
    assert not rep.failed
    ds = ivbtools.load(data_copy)
    assert ds.observations.get("traffic_accidents", "GM1969", 2020).value == 4   # counted by hand from BRON_ROWS
    meta = json.loads((data_copy / "cache" / "raw" / "bron" / "01-01-2014_31-12-2023.zip.meta.json").read_text())
    assert meta["last_modified"] == BRON_LAST_MODIFIED and meta["url"].endswith("/bron/01-01-2014_31-12-2023.zip")


def test_bron_file_gone_names_the_setting(server, data_copy):
    del server.bron[bron_name(2019)]   # an older year that should be there
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--only", "bron", "--timeout", "5"])
    lines = one_line(proc, 1)   # one line per area (GM1969, NL01)
    assert len(lines) == 2 and all("01-01-2019_31-12-2019.zip: not found (HTTP 404)" in ln for ln in lines)
    assert all("data/live.yaml (bron.file_pattern)" in ln for ln in lines)
    assert ivbtools.load(data_copy).observations.get("traffic_accidents", "GM1969", 2020).layer == "cache"


def test_cached_data_edited_after_download_is_never_used_silently(server, data_copy):
    fetch_ok(data_copy)
    cache = Cache(data_copy)
    entry = cache.entry("police-nuisance", "GM1969")
    extract = data_copy / "cache" / entry["extract"]
    text = extract.read_text()
    extract.write_text(text.replace("confused_person_e33,GM1969,Westerkwartier,2022,", "confused_person_e33,GM1969,Westerkwartier,2022,9"))
    ds = ivbtools.load(data_copy)
    assert any(str(extract) in w and "ivb fetch --refresh" in w for w in ds.warnings)
    assert ds.observations.get("confused_person_e33", "GM1969", 2022).layer == "snapshot"   # the document's 395
    proc = ivb(["--data", str(data_copy), "check"])
    lines = one_line(proc, 1)
    assert len(lines) == 1 and "the download cache is damaged" in lines[0] and "was changed or damaged" in lines[0]
    sources = ivb(["--data", str(data_copy), "sources"]).stdout
    assert "DAMAGED" in sources and extract.name in sources
    # the raw file edited: the next plain fetch notices and downloads again
    raw = data_copy / "cache" / "raw" / "police-crimes" / "GM1969.json"
    raw.write_text(raw.read_text().replace('"Perioden": "2020JJ00"', '"Perioden": "2021JJ00"', 1))
    assert cache.entry_status("police-crimes", "GM1969", None).startswith("damaged")
    fetch_ok(data_copy)
    assert ivbtools.load(data_copy).warnings == []
    assert cache.entry_status("police-crimes", "GM1969", None) == "ok"


def test_truncated_metadata_is_named_and_refetched(server, data_copy):
    fetch_ok(data_copy)
    meta = data_copy / "cache" / "raw" / "police-crimes" / "GM1969.json.meta.json"
    meta.write_text(meta.read_text()[:40])
    sources = ivb(["--data", str(data_copy), "sources"])
    assert sources.returncode == 0 and "Traceback" not in sources.stderr
    assert f"DAMAGED {meta} is damaged (not complete JSON)" in sources.stdout
    check_ok(data_copy)
    fetch_ok(data_copy)
    json.loads(meta.read_text())   # whole again
    index = data_copy / "cache" / "index.json"
    index.write_text(index.read_text()[:50])
    lines = one_line(ivb(["--data", str(data_copy), "check"]), 1)
    assert len(lines) == 1 and "index.json is damaged" in lines[0] and "ivb fetch --refresh" in lines[0]


def test_a_successor_table_retires_its_predecessor(data_copy, monkeypatch):
    tables = default_tables()
    with Replay(tables=tables) as r:
        monkeypatch.setenv("IVB_POLICE_URL", r.url)
        assert not fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-crimes"}).failed
        del tables["47025NED"]   # the known id is gone: its configured successor takes over
        rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5, only={"police-crimes"}, refresh=True)
        assert not rep.failed and rep.outcomes[0].message.startswith("table 47013NED")
    check_ok(data_copy)
    retired = sorted(p.name for p in (data_copy / "cache" / "retired").glob("*.csv"))
    assert retired == ["police-crimes-47025NED-GM1969.csv", "police-crimes-47025NED-NL01.csv"]
    ds = ivbtools.load(data_copy)
    assert "47013NED" in ds.sources[ds.observations.get("burglary_home", "GM1969", 2020).source_id].title


def test_two_bron_period_files_do_not_conflict(server, data_copy):
    live = data_copy / "live.yaml"
    text = live.read_text()
    live.write_text(text.replace('  file_pattern: "01-01-{year}_31-12-{year}.zip"',
                                 "  periods:\n    - {file: 01-01-2014_31-12-2023.zip, first: 2014, last: 2023}\n"
                                 "    - {file: 01-01-2015_31-12-2024.zip, first: 2015, last: 2024}"))
    server.bron = bron_zip(prefix="01-01-2014_31-12-2023/")   # only the 2014-2023 file is served
    # the newer one fails, the older one stays usable
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--only", "bron", "--quiet"])
    assert "01-01-2015_31-12-2024.zip: not found (HTTP 404)" in proc.stderr
    check_ok(data_copy)
    assert ivbtools.load(data_copy).observations.get("traffic_accidents", "GM1969", 2020).layer == "cache"


def test_a_later_fetch_completes_the_years(server, data_copy):
    fetch_ok(data_copy, "--years", "2022-2023", "--only", "police-nuisance")
    ds = ivbtools.load(data_copy)
    assert ds.observations.get("confused_person_e33", "GM1969", 2017).layer == "snapshot"
    proc = fetch_ok(data_copy, "--only", "police-nuisance")
    assert "(cached" not in proc.stdout
    ds = ivbtools.load(data_copy)
    assert ds.observations.get("confused_person_e33", "GM1969", 2017).layer == "cache"
    assert Cache(data_copy).entry("police-nuisance", "GM1969")["years"] is None
    # asking again for some years is answered from the cache
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--years", "2018-2020", "--only", "police-nuisance"])
    assert proc.returncode == 0 and "(cached" in proc.stdout


def test_bad_code_failures_stay_out_of_other_reports(server, data_copy):
    from ivbtools.present.report import data_status_text
    fetch_ok(data_copy)
    server.faults["/47025NED/"] = server.faults["/47013NED/"] = "500"   # the table and its configured successor
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM0014", "--quiet", "--only", "police-crimes"])
    assert proc.returncode == 1 and "FAILED  police-crimes GM0014" in proc.stderr   # NL01 came from the cache
    ds = ivbtools.load(data_copy)
    assert "GM0014" in data_status_text(ds, ["GM0014", "NL01"])
    assert "voor GM0014" not in data_status_text(ds, ["GM1969", "NL01"])


def test_cached_fetch_does_not_count_bron_again(server, data_copy, monkeypatch):
    fetch_ok(data_copy)

    def boom(*a, **k):
        raise AssertionError("BRON counted again")
    monkeypatch.setattr(bron, "count_accidents", boom)
    rep = fetch(data_copy, ["GM1969"], quiet=True, timeout=5)
    # every figure from the cache; only the year not published yet is asked for again
    assert not rep.failed and all(o.from_cache for o in rep.outcomes if o.area != "-")


def test_a_refusing_proxy_is_named(server, data_copy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")    # nothing listens on port 9 here
    monkeypatch.setenv("NO_PROXY", "")
    proc = ivb(["--data", str(data_copy), "fetch", "--municipality", "GM1969", "--timeout", "3"])
    lines = one_line(proc, 2)
    assert len(lines) == 1 and "the proxy http://127.0.0.1:9 refused" in lines[0] and "HTTPS_PROXY" in lines[0]


def test_metadata_records_the_url_actually_read(server, data_copy):
    fetch_ok(data_copy, "--only", "police-crimes")
    meta = json.loads((data_copy / "cache" / "raw" / "police-crimes" / "GM1969.json.meta.json").read_text())
    assert "/ODataFeed/odata/47025NED/TypedDataSet?" in meta["url"] and meta["pages"] >= 1
    assert any("/TypedDataSet" in p for p in server.requests) and not any("UntypedDataSet" in p for p in server.requests)


# --- bad local files ------------------------------------------------------------------------------

def test_local_folder_as_a_symlink_loop(data_copy):
    local = data_copy / "local"
    for f in local.iterdir():
        f.unlink()
    local.rmdir()
    os.symlink(local, local)   # points to itself
    lines = one_line(ivb(["--data", str(data_copy), "check"]), 2)
    assert len(lines) == 1 and f"{local}: a symbolic link that leads nowhere" in lines[0]


def test_csv_with_bytes_that_are_neither_utf8_nor_cp1252(data_copy):
    path = add_local(data_copy, "traffic_safety_mark,GM1969,Westerkwartier,2023,7.5,test-fixture\n")
    path.write_bytes(path.read_bytes().replace(b"mark,GM1969,Westerkwartier", b"mark,GM1969,Westerkwartier") + b"# Z\x81rich\n")
    lines = one_line(ivb(["--data", str(data_copy), "check"]), 2)
    assert len(lines) == 1 and f"{path}:3: byte 0x81 is neither UTF-8 nor Windows-1252" in lines[0] and "CSV UTF-8" in lines[0]


def test_header_only_csv_is_named(data_copy):
    path = add_local(data_copy, "")
    lines = one_line(ivb(["--data", str(data_copy), "check"]), 2)
    assert len(lines) == 1 and f"{path}: only a header, no figures" in lines[0]


def test_figure_under_another_municipalitys_code_is_refused(data_copy):
    path = add_local(data_copy, "traffic_accidents,GM1696,Westerkwartier,2023,250,test-fixture\n")
    lines = one_line(ivb(["--data", str(data_copy), "check"]), 2)
    assert len(lines) == 1 and f"{path}:2: GM1696 is Wijdemeren, but the name given is Westerkwartier, which is GM1969" in lines[0]
    add_local(data_copy, "traffic_accidents,GM9998,Westerkwartier,2023,250,test-fixture\n")
    lines = one_line(ivb(["--data", str(data_copy), "check"]), 2)
    assert "GM9998 is not a municipality in the code list" in lines[0] and "Westerkwartier is GM1969" in lines[0]


def test_bron_short_row_names_its_line(tmp_path):
    z = tmp_path / "b.zip"
    z.write_bytes(bron_zip(cut_last_record=True))
    with pytest.raises(ivbtools.IvbError, match=f"line {len(BRON_ROWS) + 1}: "):
        bron.count_accidents(z)
