"""Wrong notebook parameters stop with one line naming the parameter and the fix."""
import re

import pytest

from ivbtools import IvbError
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
    ("Westerkwartier", "not a CBS municipality code"),
])
def test_bad_municipality(ds, code, message):
    with pytest.raises(IvbError, match=re.escape(message)):
        check_municipality(ds, code)


def test_municipality_is_normalised(ds):
    assert check_municipality(ds, " gm1969 ") == "GM1969"
