"""The embedded snapshot is immutable and holds the figures the issue names, with sources."""
import hashlib

import yaml

from conftest import DATA


def test_snapshot_files_match_manifest():
    folder = DATA / "snapshot" / "v1"
    manifest = yaml.safe_load((folder / "MANIFEST.yaml").read_text())
    for f in manifest["files"]:
        digest = hashlib.sha256((folder / f["name"]).read_bytes()).hexdigest()
        assert digest == f["sha256"], f"{f['name']} changed: the snapshot is immutable; add data/snapshot/v2 instead"
        rows = (folder / f["name"]).read_text().count("\n") - 1
        assert rows == f["rows"]


def test_snapshot_holds_the_issue_figures(ds):
    get = lambda i, a, y: ds.observations.get(i, a, y)
    expected = {  # (indicator, area, year): (value, source id) — as stated in issue #2
        ("confused_person_e33", "GM1969", 2017): (137, "ivb-westerkwartier-2024-2027"),
        ("confused_person_e33", "GM1969", 2022): (395, "ivb-westerkwartier-2024-2027"),
        ("burglary_home", "GM1969", 2018): (75, "dekrant-2020-03-woninginbraken"),
        ("burglary_home", "GM1969", 2019): (70, "dekrant-2020-03-woninginbraken"),
        ("traffic_accidents", "GM1969", 2020): (358, "independer-bron-2021-10"),
        ("traffic_accidents", "NL01", 2023): (134005, "independer-bron-national"),
        ("confused_person_e33", "NL01", 2017): (83611, "politie-47021NED-2024-01"),
        ("confused_person_e33", "NL01", 2022): (138807, "politie-47021NED-2024-01"),
        ("youth_nuisance_e35", "NL01", 2020): (137946, "politie-47021NED-2024-01"),
    }
    for (ind, area, year), (value, source) in expected.items():
        row = get(ind, area, year)
        assert row is not None and row.value == value and row.source_id == source, (ind, area, year)


def test_no_2019_e33_count_is_back_computed(ds):
    # The document's "63% rise 2019-2022" is a statement, not a count.
    assert ds.observations.get("confused_person_e33", "GM1969", 2019) is None


def test_every_source_names_publisher_and_retrieval_date(ds):
    used = set(ds.observations.all_rows.source_id)
    for sid in used:
        s = ds.sources[sid]
        assert s.publisher and s.retrieved and (s.url or s.document)
