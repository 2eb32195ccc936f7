"""The rate per 1,000 inhabitants in one place (issue #30): by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ivbtools.data.rates import per_1000


def test_the_rate_per_1000_by_hand_for_numbers_arrays_and_aligned_series():
    assert per_1000(137, 63_000) == 137 / 63 and math.isnan(per_1000(5, 0)) and math.isnan(per_1000(5, float("nan")))
    assert np.allclose(per_1000(np.array([10, 20, 30]), np.array([5000, 0, 30_000])), [2.0, np.nan, 1.0], equal_nan=True)
    counts = pd.Series({2021: 12.0, 2022: 30.0, 2023: 7.0})
    pop = pd.Series({2022: 60_000.0, 2021: 4_000.0})          # aligned on the year, 2023 has no population
    r = per_1000(counts, pop)
    assert r[2021] == 3.0 and r[2022] == 0.5 and math.isnan(r[2023])
