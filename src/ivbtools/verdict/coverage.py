"""Coverage matrix: which figures the data holds (indicator × year), marked by source kind."""
from __future__ import annotations

import pandas as pd

from ..data.dataset import Dataset
from ..data.registry import SOURCE_KINDS

LEGEND_NL = " · ".join(f"{mark} = {label}" for _, label, mark in SOURCE_KINDS.values()) + " · · = ontbreekt"


def coverage_matrix(ds: Dataset, areas: list[str], years: range | None = None) -> pd.DataFrame:
    """Rows: (area, indicator); columns: years; cells: the source-kind mark of the chosen figure."""
    t = ds.observations.table
    if years is None:
        span = ds.observations.years() or ds.policy.period
        years = range(span[0], span[1] + 1)
    rows = []
    for area in areas:
        for ind in ds.indicators.values():
            sub = t[(t.indicator == ind.id) & (t.area_code == area)]
            marks = {int(r.year): ds.sources[r.source_id].kind_mark for r in sub.itertuples()}
            rows.append({"gebied": f"{ds.area_name(area)} ({area})", "indicator": ind.label_nl,
                         **{str(y): marks.get(y, "·") for y in years}})
    return pd.DataFrame(rows).set_index(["gebied", "indicator"])
