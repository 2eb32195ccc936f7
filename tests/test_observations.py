"""Loading validates every line; precedence picks one figure and lists disagreements."""
import re

import pytest

import ivbtools
from ivbtools import IvbError

from conftest import add_local

ROW = "traffic_accidents,GM1969,Westerkwartier,2023,{v},test-fixture\n"


@pytest.mark.parametrize("value, message", [
    ("12,5", None),  # a decimal comma in a ',' file splits the field
    ('"12,5"', "is not a whole number"),
    ("n.v.t.", "is not a number"),
    ("", "value is empty"),
    ("-3", "is negative"),
    ("1e9", "is not a whole number"),
    ("1000000000", "implausibly large"),
    ("1.234", "is not a whole number"),
])
def test_bad_values_name_file_line_and_fix(data_copy, value, message):
    add_local(data_copy, ROW.format(v=value))
    with pytest.raises(IvbError) as err:
        ivbtools.load(data_copy)
    text = str(err.value)
    assert re.search(r"test\.csv:2: ", text), text
    assert message is None or message in text
    assert "\n" not in text


@pytest.mark.parametrize("row, message", [
    ("traffic_accidents,GM1969,Westerkwartier,1899,5,test-fixture\n", "is not a year between 1990"),
    ("traffic_accidents,GM1969,Westerkwartier,2100,5,test-fixture\n", "is not a year between 1990"),
    ("accidents,GM1969,Westerkwartier,2023,5,test-fixture\n", "unknown indicator 'accidents'"),
    ("traffic_accidents,GM1969,Westerkwartier,2023,5,nowhere\n", "unknown source id 'nowhere'"),
    ("traffic_accidents,1969,Westerkwartier,2023,5,test-fixture\n", "is not a CBS code"),
    ("traffic_accidents,GM1969,Westerkwartier,2023\n", "fields where the header has 6"),
    ("traffic_safety_mark,GM1969,Westerkwartier,2023,11,test-fixture\n", "outside 1–10"),
])
def test_bad_rows(data_copy, row, message):
    add_local(data_copy, row)
    with pytest.raises(IvbError, match=re.escape(message)):
        ivbtools.load(data_copy)


def test_duplicate_row_names_both_lines(data_copy):
    add_local(data_copy, ROW.format(v=5) + ROW.format(v=5))
    with pytest.raises(IvbError, match=r"test\.csv:3: duplicate of line 2"):
        ivbtools.load(data_copy)


def test_missing_and_unknown_columns(data_copy):
    add_local(data_copy, "indicator,area_code,year,value,source_id\n", header=False)
    with pytest.raises(IvbError, match="missing column\\(s\\) area_name"):
        ivbtools.load(data_copy)
    add_local(data_copy, "indicator,area_code,area_name,year,value,source_id,bron\n", header=False)
    with pytest.raises(IvbError, match="unknown column\\(s\\) bron"):
        ivbtools.load(data_copy)


def test_not_a_csv(data_copy):
    (data_copy / "local" / "sheet.csv").write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(IvbError, match="not a text file"):
        ivbtools.load(data_copy)
    (data_copy / "local" / "sheet.csv").write_text("hello world\n")
    with pytest.raises(IvbError, match="does not look like an observations CSV"):
        ivbtools.load(data_copy)


def test_dutch_excel_csv_with_bom_semicolons_and_crlf_is_accepted(data_copy):
    add_local(data_copy, "")
    text = ("indicator;area_code;area_name;year;value;source_id\r\n"
            "traffic_safety_mark;GM1969;Westerkwartier;2023;7,6;test-fixture\r\n"
            "traffic_accidents;GM1969;Westerkwartier;2023;301;test-fixture\r\n")
    (data_copy / "local" / "test.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    ds = ivbtools.load(data_copy)
    assert ds.observations.get("traffic_safety_mark", "GM1969", 2023).value == 7.6
    assert ds.observations.get("traffic_accidents", "GM1969", 2023).value == 301


def test_local_figure_takes_precedence_and_the_disagreement_is_listed(data_copy):
    add_local(data_copy, "confused_person_e33,GM1969,Westerkwartier,2022,401,test-fixture\n")
    ds = ivbtools.load(data_copy)
    row = ds.observations.get("confused_person_e33", "GM1969", 2022)
    assert (row.value, row.source_id) == (401, "test-fixture")
    d = ds.observations.disagreements
    assert len(d) == 1
    assert (d.iloc[0].other_value, d.iloc[0].other_source, d.iloc[0].difference) == (395, "ivb-westerkwartier-2024-2027", -6)


def test_equal_figures_from_two_sources_are_not_a_disagreement(data_copy):
    add_local(data_copy, "confused_person_e33,GM1969,Westerkwartier,2022,395,test-fixture\n")
    assert ivbtools.load(data_copy).observations.disagreements.empty


def test_two_values_of_equal_precedence_are_an_error_not_a_pick(data_copy):
    add_local(data_copy, "traffic_accidents,GM1969,Westerkwartier,2023,300,test-fixture\n", name="a.csv")
    (data_copy / "local" / "b.csv").write_text(
        "indicator,area_code,area_name,year,value,source_id\ntraffic_accidents,GM1969,Westerkwartier,2023,310,test-fixture2\n")
    (data_copy / "local" / "sources.yaml").write_text(
        (data_copy / "local" / "sources.yaml").read_text()
        + "  - {id: test-fixture2, kind: analyst_supplied, publisher: t, title: t, document: t, retrieved: 2026-11-28}\n")
    with pytest.raises(IvbError, match="conflicting figures of equal precedence .* 300 .* 310"):
        ivbtools.load(data_copy)


def test_snapshot_manifest_guards_against_added_files(data_copy):
    (data_copy / "snapshot" / "v1" / "extra.csv").write_text("indicator\n")
    with pytest.raises(IvbError, match="differ from MANIFEST.yaml"):
        ivbtools.load(data_copy)


def test_a_whole_mark_that_differs_by_decimals_is_a_disagreement(data_copy):
    # 7.0 (snapshot-equivalent analyst file) against 7.4: not rounding, must be listed
    add_local(data_copy, "traffic_safety_mark,GM1969,Westerkwartier,2023,7.0,test-fixture\n", name="a.csv")
    (data_copy / "local" / "sources.yaml").write_text(
        (data_copy / "local" / "sources.yaml").read_text()
        + "  - {id: test-press, kind: press_report, publisher: t, title: t, document: t, retrieved: 2026-11-28}\n")
    (data_copy / "local" / "b.csv").write_text(
        "indicator,area_code,area_name,year,value,source_id\ntraffic_safety_mark,GM1969,Westerkwartier,2023,7.4,test-press\n")
    d = ivbtools.load(data_copy).observations.disagreements
    assert len(d) == 1 and d.iloc[0].chosen_value == 7.0 and d.iloc[0].other_value == 7.4


def test_lookups_through_the_index_equal_a_scan_of_the_table(ds):
    """get, series and rows_of find rows through the (indicator, area) index; each equals what a
    plain scan of the table gives, for every indicator and area of the data (and for none)."""
    obs = ds.observations
    t = obs.table
    for (ind, area), grp in t.groupby(["indicator", "area_code"]):
        scan = grp.sort_values("year").reset_index(drop=True)
        assert obs.series(ind, area).equals(scan)
        for r in scan.itertuples():
            assert obs.get(ind, area, r.year).equals(scan.iloc[r.Index].rename(None))
        assert obs.get(ind, area, 1900) is None
    assert obs.series("burglary_home", "GM9999").empty and obs.get("burglary_home", "GM9999", 2022) is None
    inds, areas = sorted(set(t.indicator)), sorted(set(t.area_code))
    for chosen_i, chosen_a in [(inds[:2], areas), (inds, ["GM1969", "NL01", "GM1969"]), ([inds[0], None], ["GM1969"]), ([], areas)]:
        assert obs.rows_of(chosen_i, chosen_a).equals(t[t.indicator.isin(chosen_i) & t.area_code.isin(chosen_a)])


def test_a_figure_changed_in_place_is_read_as_changed(data_copy):
    """The index holds row positions, never values: an analyst's what-if that changes a figure in
    the loaded table (same rows) is what get and series read next."""
    ds = ivbtools.load(data_copy)
    obs = ds.observations
    before = obs.get("confused_person_e33", "GM1969", 2022).value
    row = obs.table.index[(obs.table.indicator == "confused_person_e33") & (obs.table.area_code == "GM1969")
                          & (obs.table.year == 2022)][0]
    obs.table.loc[row, "value"] = before + 1
    assert obs.get("confused_person_e33", "GM1969", 2022).value == before + 1
    assert obs.series("confused_person_e33", "GM1969").set_index("year").value[2022] == before + 1
