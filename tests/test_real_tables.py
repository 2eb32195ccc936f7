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
