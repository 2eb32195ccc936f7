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
    from conftest import ivb
    from ivbtools.municipalities import load_municipalities

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
    import panel_fixture as pf
    from replay import Replay

    from conftest import ivb
    from ivbtools.fetch import fetch_panel

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
