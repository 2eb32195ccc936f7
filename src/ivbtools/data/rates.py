"""The rate per 1,000 inhabitants, in one place: every page, table and comparison that shows a
figure "per 1.000 inwoners" computes it here."""
from __future__ import annotations

import numpy as np
import pandas as pd

PER = 1000   # inhabitants


def per_1000(count, population):
    """`count` per 1,000 inhabitants: for numbers, numpy arrays and pandas objects (aligned on their
    index); missing (NaN) where the population is missing or not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(population, (pd.Series, pd.DataFrame)):
            return count / population.where(population > 0) * PER
        pop = np.asarray(population, dtype=float)
        out = np.where(pop > 0, np.asarray(count, dtype=float) / np.where(pop > 0, pop, 1.0) * PER, np.nan)
        return float(out) if out.ndim == 0 else out
