"""One notion of a series (issue #30, data/series.py): the two readings of a break, by hand, and
the series a data set gives."""
from __future__ import annotations

import ivbtools
from ivbtools.data.series import Series


def test_the_two_readings_of_a_break_by_hand():
    # E33-like: a new registration from 2020 (its first year), 2020 and 2021 abnormal
    s = Series("x", "GM0000", {y: 10.0 + y % 3 for y in range(2015, 2026)}, break_years=(2020,), abnormal_years=(2021,))
    # the verdicts: 2019 and 2020 lie on two sides (2020 is the new registration's first year), 2020 and 2025 on one
    assert not s.same_registration(2019, 2020) and not s.same_registration(2025, 2015)
    assert s.same_registration(2020, 2025) and s.same_registration(2015, 2019)
    # the monitor: after the last break year before 2025, the break's own year and the abnormal year left out
    assert s.after_last_break(2025) == [2022, 2023, 2024]
    assert s.after_last_break(2020) == [2015, 2016, 2017, 2018, 2019]
    assert len(s) == 11 and s.years[0] == 2015 and s.counts[0] == 10.0 + 2015 % 3
    ytd = s.with_values({2023: 4.0, 2024: 5.0})
    assert ytd.break_years == (2020,) and ytd.abnormal_years == (2021,) and ytd.after_last_break(2026) == [2023, 2024]


def test_a_series_from_the_embedded_data_carries_its_breaks_and_sources():
    ds = ivbtools.load()
    s = Series.of(ds, "confused_person_e33", "GM1969")
    assert s.values[2017] == 137 and s.values[2022] == 395       # the policy document's figures
    assert 2020 in s.break_years and set(s.sources) == set(s.values)
