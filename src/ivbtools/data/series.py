"""One notion of a series (issue #30): a municipality's (or the country's) yearly counts of one
indicator with everything a comparison across years must know — its registration breaks, its
abnormal years (the corona years), its provisional years and the source of each figure — built
once from a data set and handed to the verdicts, the statistics and the monitor alike, instead
of parallel lists and sets assembled by hand at each call.

Two readings of a break, both here and named: `same_registration(a, b)` — no break's first year
lies in (a, b], the count comparison of the verdicts (a break inside the span makes it not like
for like); `after_last_break(year)` — the years after the last break year before `year`, the
break's own (transition) year left out, the monitor's baseline (a break in March makes that
whole year a mix of both registrations)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Series:
    indicator: str
    area: str
    values: dict[int, float]                      # year -> count (whole years)
    break_years: tuple[int, ...] = ()             # first years of a new registration
    abnormal_years: tuple[int, ...] = ()          # e.g. the lockdown years
    provisional_years: tuple[int, ...] = ()       # figures the source may still revise
    sources: dict[int, str] = field(default_factory=dict)   # year -> source id

    @classmethod
    def of(cls, ds, indicator: str, area: str) -> Series:
        """The yearly figures of `indicator` in `area`, as the data set holds them."""
        ind = ds.indicators[indicator]
        s = ds.observations.series(indicator, area)
        values = {int(y): float(v) for y, v in zip(s.year, s.value)}
        sources = {int(y): str(sid) for y, sid in zip(s.year, s.source_id)}
        provisional = tuple(sorted(y for y, sid in sources.items()
                                   if sid in ds.sources and ds.sources[sid].is_provisional(y)))
        return cls(indicator, area, values, tuple(ind.break_years(area)), tuple(ind.abnormal_years(area)),
                   provisional, sources)

    def with_values(self, values: dict[int, float]) -> Series:
        """The same breaks and abnormal years over other values of the same indicator and area
        (e.g. the same months of earlier years, for a year to date)."""
        return Series(self.indicator, self.area, dict(values), self.break_years, self.abnormal_years)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def years(self) -> list[int]:
        return sorted(self.values)

    @property
    def counts(self) -> list[float]:
        return [self.values[y] for y in self.years]

    def get(self, year: int) -> float | None:
        return self.values.get(year)

    def same_registration(self, a: int, b: int) -> bool:
        """No break's first year lies in (min, max] of the two years: their counts are like for like."""
        lo, hi = min(a, b), max(a, b)
        return not any(lo < c <= hi for c in self.break_years)

    def after_last_break(self, year: int) -> list[int]:
        """The known, finite years before `year` and after the last break year before it (the
        break's own year left out), abnormal years left out: the monitor's baseline candidates."""
        floor = max([b for b in self.break_years if b < year], default=None)
        return [y for y in self.years if y < year and (floor is None or y > floor) and y not in self.abnormal_years
                and self.values[y] is not None and np.isfinite(self.values[y])]
