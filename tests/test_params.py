"""Wrong notebook parameters stop with one line naming the parameter and the fix."""
import re

import pytest

from ivbtools import IvbError
from ivbtools.present import params
from ivbtools.present.params import check_municipality, check_target, check_year


def test_unknown_target_names_the_valid_ids(ds):
    with pytest.raises(IvbError) as err:
        check_target(ds, "nope")
    msg = str(err.value)
    assert "unknown target id 'nope'" in msg
    for pid in ds.policy.measurable_ids():
        assert pid in msg


def test_qualitative_target_is_not_tested(ds):
    with pytest.raises(IvbError, match="qualitative part"):
        check_target(ds, "sociaal-organisatie")


@pytest.mark.parametrize("year, message", [("2023a", "whole year like 2023"), (2030, "outside the data (2012–2023)"),
                                           (1899, "outside the data"), (True, "whole year"), (2023.5, "whole year")])
def test_bad_years(ds, year, message):
    with pytest.raises(IvbError, match=re.escape(message)):
        check_year(ds, year)


def test_good_year_as_text(ds):
    assert check_year(ds, "2022") == 2022


@pytest.mark.parametrize("code, message", [
    (14, "-r municipality GM0014"),
    (1969, "-r municipality GM1969"),
    ("1969", "lacks the GM prefix — write GM1969"),
    ("GM9999", "GM9999 is not a municipality in the code list"),
    ("GM0363", "GM0363: no figures for this municipality"),
    ("GM19690", "not a CBS municipality code"),
    ("Westkwartier", "'Westkwartier' is not a municipality name"),
])
def test_bad_municipality(ds, code, message):
    with pytest.raises(IvbError, match=re.escape(message)):
        check_municipality(ds, code)


def test_municipality_is_normalised(ds):
    assert check_municipality(ds, " gm1969 ") == "GM1969"


def test_a_municipality_name_resolves_to_its_code_or_the_message_names_one(ds):
    assert params.check_municipality(ds, "Westerkwartier") == "GM1969"
    assert params.check_municipality(ds, " westerkwartier ") == "GM1969"
    # Groningen is in the code list (GM0014) but has no figures in the embedded data: the code is named
    with pytest.raises(IvbError, match=r"parameter municipality GM0014: no figures"):
        params.check_municipality(ds, "Groningen")
    with pytest.raises(IvbError, match=r"'Atlantis' is not a municipality name .* e\.g\. -r municipality GM1969"):
        params.check_municipality(ds, "Atlantis")


def test_each_year_parameter_is_named_in_its_own_errors(ds):
    with pytest.raises(IvbError, match=r"^parameter base_year 1850 is outside the data"):
        params.check_year(ds, 1850, "base_year")
    with pytest.raises(IvbError, match=r"^parameter peer_year must be a whole year"):
        params.check_year(ds, "twee", "peer_year")


def test_parameter_cells_list_the_valid_ids(ds):
    """The comments of the parameter cells name every valid id (and nothing else), so an analyst
    in JupyterLab sees the choices without opening the YAML files."""
    import nbformat

    from conftest import ROOT

    def listed(nb: str, name: str) -> list[str]:
        cell = next(c for c in nbformat.read(ROOT / "notebooks" / nb, as_version=4).cells
                    if "parameters" in c.metadata.get("tags", []))
        block = re.search(rf"^{name}: .*?:\n((?:#   .*\n?)+)", cell.source, flags=re.M).group(1)
        return [x.strip() for x in block.replace("#", "").replace("\n", ",").split(",") if x.strip()]

    assert listed("target.ipynb", "target_id") == ds.policy.measurable_ids()
    assert listed("explore.ipynb", "indicator") == list(ds.indicators)
    assert listed("monitor.ipynb", "priority_id") == [p.id for p in ds.monitor.priorities]
