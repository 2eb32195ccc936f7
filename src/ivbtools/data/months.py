"""Monthly figures of the monthly police tables (the 2024–2027 monitor's current year to date).

`ivb fetch` writes them beside the yearly extract of a table that has them (data/live.yaml
`months: true`) into data/cache/months/, validated here before they are committed, and named
with their sha256 in the same index entry. They never enter the yearly observations: a year
whose months are not all published is not a year. They serve one question only: how do the
months of this year so far compare with the same months of the years before?
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import IvbError
from ..fmt import MONTHS_NL

COLUMNS = ["indicator", "area_code", "area_name", "year", "month", "value", "source_id"]


def months_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def read_months_csv(path: Path, indicators, sources) -> pd.DataFrame:
    """A monthly extract, checked line by line: the header, known indicator and source, a month
    1–12, a whole non-negative count, one figure per indicator, area, year and month."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IvbError(f"{path}: cannot be read ({exc}) — run `ivb fetch --refresh`") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header != COLUMNS:
        raise IvbError(f"{path}:1: the header must be {','.join(COLUMNS)} — run `ivb fetch --refresh`")
    rows, seen = [], set()
    for lineno, cells in enumerate(reader, start=2):
        where = f"{path}:{lineno}"
        if len(cells) != len(COLUMNS):
            raise IvbError(f"{where}: {len(cells)} cells, expected {len(COLUMNS)} — run `ivb fetch --refresh`")
        r = dict(zip(COLUMNS, cells))
        if r["indicator"] not in indicators:
            raise IvbError(f"{where}: unknown indicator {r['indicator']!r} — add it to data/indicators.yaml")
        if r["source_id"] not in sources:
            raise IvbError(f"{where}: unknown source {r['source_id']!r} — run `ivb fetch --refresh`")
        try:
            year, month, value = int(r["year"]), int(r["month"]), int(r["value"])
        except ValueError:
            raise IvbError(f"{where}: year, month and value must be whole numbers — run `ivb fetch --refresh`") from None
        if not 1 <= month <= 12 or value < 0:
            raise IvbError(f"{where}: month {month} or value {value} out of range — run `ivb fetch --refresh`")
        key = (r["indicator"], r["area_code"], year, month)
        if key in seen:
            raise IvbError(f"{where}: a second figure for {r['indicator']} {r['area_code']} {year}-{month:02d} — "
                           f"run `ivb fetch --refresh`")
        seen.add(key)
        rows.append({**r, "year": year, "month": month, "value": value})
    return pd.DataFrame(rows, columns=COLUMNS)


@dataclass(frozen=True)
class Period:
    """A whole year, or a year up to and including one month (a year to date): a value, so no
    code reads a period back from its label."""
    year: int
    last_month: int | None = None      # None: the whole year

    def __post_init__(self):
        if self.last_month is not None and not 1 <= self.last_month <= 12:
            raise ValueError(f"month {self.last_month} out of range")

    @property
    def whole(self) -> bool:
        return self.last_month is None

    @property
    def month_nl(self) -> str:
        """The last month's Dutch name ('' for a whole year)."""
        return "" if self.whole else MONTHS_NL[self.last_month - 1]

    @property
    def label(self) -> str:
        """'2025', or '2026 t/m oktober'."""
        return str(self.year) if self.whole else f"{self.year} t/m {self.month_nl}"

    def __str__(self) -> str:
        return self.label


@dataclass
class YearToDate:
    """One indicator and area: this year's months so far and the same months of earlier years."""
    year: int
    last_month: int
    value: float
    earlier: dict[int, float]        # year -> sum of months 1..last_month (only years with all of them)
    source_ids: tuple[str, ...]

    @property
    def period(self) -> Period:
        return Period(self.year, self.last_month)

    @property
    def label(self) -> str:
        return self.period.label


@dataclass
class Months:
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))

    def __bool__(self) -> bool:
        return not self.table.empty

    def copy(self) -> Months:
        return Months(self.table.copy())

    def last_month(self, indicator: str, area: str, year: int) -> int | None:
        t = self.table
        hit = t[(t.indicator == indicator) & (t.area_code == area) & (t.year == year)]
        return int(hit.month.max()) if not hit.empty else None

    def missing_months(self, indicator: str, area: str, year: int) -> list[int]:
        """The months before the last published one of `year` that have no figure (a gap: the year to
        date is then not computed, and the page says which month is missing)."""
        t = self.table
        this = t[(t.indicator == indicator) & (t.area_code == area) & (t.year == year)]
        if this.empty:
            return []
        last = int(this.month.max())
        return sorted(set(range(1, last + 1)) - {int(m) for m in this.month})

    def year_to_date(self, indicator: str, area: str, year: int) -> YearToDate | None:
        """`year` up to its last published month, against the same months of every earlier year
        that has all of them; None when `year` has no month, or all twelve (then it is a whole year)."""
        t = self.table
        own = t[(t.indicator == indicator) & (t.area_code == area)]
        this = own[own.year == year]
        if this.empty:
            return None
        last = int(this.month.max())
        if last == 12 or sorted(this.month) != list(range(1, last + 1)):
            return None   # a whole year, or a gap in the months: not a year to date
        upto = own[own.month <= last]
        earlier = {int(y): float(g.value.sum()) for y, g in upto[upto.year < year].groupby("year")
                   if sorted(g.month) == list(range(1, last + 1))}
        return YearToDate(year, last, float(this.value.sum()), earlier, tuple(sorted(set(this.source_id))))


def month_gaps(rows: list[dict]) -> dict[tuple[str, str, int], list[int]]:
    """Per (indicator, area, newest year) of tidy monthly rows: the months before the newest one
    that have no figure."""
    newest: dict[tuple[str, str], int] = {}
    have: dict[tuple[str, str, int], set[int]] = {}
    for r in rows:
        k = (r["indicator"], r["area_code"])
        newest[k] = max(newest.get(k, 0), int(r["year"]))
        have.setdefault((*k, int(r["year"])), set()).add(int(r["month"]))
    out = {}
    for (ind, area), year in newest.items():
        months = have[(ind, area, year)]
        gap = sorted(set(range(1, max(months) + 1)) - months)
        if gap:
            out[(ind, area, year)] = gap
    return out
