"""The policy document's statements (policy file `checks`), confirmed against the figures once
they are known — never back-computed (issue #28 item 5): a change or direction is judged against
the noise of the counts (the exact interval of their ratio), with the years in between and a
change of source named; a rate below the national one with the interval of the rate ratio.

Each result is typed (`StatementResult`): one status code from STATUS_NL and the figures the
outcome rests on, per kind of statement (`Change`, `Direction`, `Lowest`, `RateVsNational`).
The sentences that explain it are written in present/statements.py (issue #30)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .. import stats
from ..data.dataset import Dataset
from ..data.rates import per_1000
from ..data.targets import Check
from .evaluate import Figure, Missing, _figure, _missing

CONFIRMED, NOT_CONFIRMED, WITHIN_NOISE, NOT_CHECKABLE = "bevestigd", "niet_bevestigd", "binnen_toevalsmarge", \
    "nog_niet_te_controleren"
STATUS_NL = {CONFIRMED: "bevestigd", NOT_CONFIRMED: "niet bevestigd", WITHIN_NOISE: "binnen de toevalsmarge",
             NOT_CHECKABLE: "nog niet te controleren"}
UP, DOWN, FLAT = "up", "down", "flat"   # the policy file's `direction` codes, and 'neither'
DIRECTION_NL = {UP: "gestegen", DOWN: "gedaald", FLAT: "gelijk gebleven"}


@dataclass(frozen=True)
class Change:
    """kind change: the two figures and the change they give (NaN when the first is 0)."""
    a: Figure
    b: Figure
    actual: float


@dataclass(frozen=True)
class Direction:
    """kinds direction and direction_national. The local figures when both are known, with the
    direction they show, the exact 95% interval of their ratio (None unless whole counts), whether
    1 (no change) lies inside it, the years in between and the two sources when they differ; the
    national figures of the same two years when known."""
    want: str                                    # UP or DOWN, as the document states it
    a: Figure | None = None
    b: Figure | None = None
    got: str = ""                                # UP, DOWN or FLAT
    interval: stats.Interval | None = None
    chance: bool = False                         # the stated direction, but no change lies within the interval
    between: tuple[tuple[int, float | None], ...] = ()
    sources: tuple[str, str] | None = None       # source ids of a and b when they differ
    national: tuple[float, float] | None = None
    national_got: str = ""


@dataclass(frozen=True)
class Lowest:
    """kind lowest_in: the figure of the last year and the lowest of the other years with a figure."""
    own: Figure | None
    low_year: int | None = None
    low_value: float | None = None


@dataclass(frozen=True)
class RateVsNational:
    """kind rate_below_national: both rates per 1,000 inhabitants; the 95% interval of their ratio
    (from the local count's exact Poisson interval; None when that is not a whole count) and
    whether the reading's factor lies inside it (None when the factor is 1 or there is no interval)."""
    local: float
    national: float
    interval: tuple[float, float] | None = None
    factor_inside: bool | None = None


@dataclass(frozen=True)
class StatementResult:
    """One checked statement: the check, its status code, the figures still missing and the
    figures the outcome rests on (None for a figure the open data do not hold, or when
    everything is missing)."""
    check: Check
    code: str
    missing: tuple[Missing, ...] = ()
    facts: Change | Direction | Lowest | RateVsNational | None = None

    @property
    def id(self) -> str:
        return self.check.id

    @property
    def quote(self) -> str:
        return self.check.quote

    @property
    def direction(self) -> str:
        """For a change within the noise: the direction it went (UP or DOWN), else ''."""
        return self.facts.want if self.code == WITHIN_NOISE and isinstance(self.facts, Direction) else ""

    @property
    def status(self) -> str:
        """The Dutch label: a change within the noise says which way it went ('gestegen, maar
        binnen de toevalsmarge')."""
        if self.direction:
            return f"{DIRECTION_NL[self.direction]}, maar binnen de toevalsmarge"
        return STATUS_NL[self.code]

    @property
    def missing_nl(self) -> list[str]:
        """What is missing, in words: the figures, or the figure the open data do not hold."""
        if self.check.kind == "needs_figure":
            return [self.check.needs]
        return [m.text_nl() for m in self.missing]


def _direction(a: float, b: float) -> str:
    return UP if b > a else (DOWN if b < a else FLAT)


def evaluate_check(ds: Dataset, check: Check) -> StatementResult:
    """Confirm a statement of the policy document once the figures are known (never back-compute).
    Status: one of STATUS_NL (bevestigd, niet bevestigd, binnen de toevalsmarge, nog niet te controleren)."""
    if check.kind == "needs_figure":
        return StatementResult(check, NOT_CHECKABLE)
    if check.kind == "lowest_in":
        return _check_lowest(ds, check)
    if check.kind == "rate_below_national":
        return _check_rate_below_national(ds, check)
    ind = ds.indicators[check.indicator]
    a, b = _figure(ds, ind.id, check.area, check.from_year), _figure(ds, ind.id, check.area, check.to_year)
    missing = tuple(_missing(ds, ind, check.area, y) for f, y in ((a, check.from_year), (b, check.to_year)) if f is None)
    if check.kind == "change":
        if missing:
            return StatementResult(check, NOT_CHECKABLE, missing)
        actual = (b.value / a.value - 1) if a.value else float("nan")
        ok = abs(actual - check.stated_change) <= 0.005 + 1e-9
        return StatementResult(check, CONFIRMED if ok else NOT_CONFIRMED, (), Change(a, b, actual))
    want = UP if check.direction == "up" else DOWN
    verdicts, local = [], {}
    if not missing:
        got = _direction(a.value, b.value)
        verdicts.append(got == want)
        iv = _count_ratio_interval(a.value, b.value)
        local = {"a": a, "b": b, "got": got, "interval": iv,
                 "chance": got == want and iv is not None and iv.contains(1.0),
                 "between": _years_between(ds, ind.id, check),
                 "sources": (a.source_id, b.source_id) if a.source_id != b.source_id else None}
    national = {}
    if ind.national_indicator:
        na = _figure(ds, ind.national_indicator, ind.national_area, check.from_year)
        nb = _figure(ds, ind.national_indicator, ind.national_area, check.to_year)
        if na is not None and nb is not None:
            national = {"national": (na.value, nb.value), "national_got": _direction(na.value, nb.value)}
            if check.kind == "direction_national":
                verdicts.append(national["national_got"] == want)
    facts = Direction(want, **local, **national)
    if any(v is False for v in verdicts):
        code = NOT_CONFIRMED
    elif missing:
        code = NOT_CHECKABLE
    elif facts.chance:
        code = WITHIN_NOISE
    else:
        code = CONFIRMED
    return StatementResult(check, code, missing, facts)


def _count_ratio_interval(a: float, b: float):
    """The exact 95% interval of the ratio b / a of two counts (None when they are not whole counts)."""
    if a < 0 or b < 0 or a != int(a) or b != int(b) or a + b == 0:
        return None
    return stats.ratio_interval_exact(int(b), int(a))


def _years_between(ds: Dataset, indicator: str, check: Check) -> tuple[tuple[int, float | None], ...]:
    """The figures of the years between the two a statement compares (a rise 'over 2019–2022' says nothing
    of 2020 and 2021 on its own)."""
    figs = [(y, _figure(ds, indicator, check.area, y)) for y in range(check.from_year + 1, check.to_year)]
    return tuple((y, f.value if f else None) for y, f in figs)


def _check_lowest(ds: Dataset, check: Check) -> StatementResult:
    """'In <to_year> the lowest in the years <from_year>–<to_year>': strictly below every other
    year of the span; every year needed (a missing year could have been lower)."""
    ind = ds.indicators[check.indicator]
    years = list(range(check.from_year, check.to_year + 1))
    figs = {y: _figure(ds, ind.id, check.area, y) for y in years}
    missing = tuple(_missing(ds, ind, check.area, y) for y, f in figs.items() if f is None)
    own = figs[check.to_year]
    others = {y: f.value for y, f in figs.items() if f is not None and y != check.to_year}
    if own is not None and others:
        low_y = min(others, key=others.get)
        facts = Lowest(own, low_y, others[low_y])
        if own.value >= others[low_y]:
            return StatementResult(check, NOT_CONFIRMED, missing, facts)
    else:
        facts = Lowest(own)
    return StatementResult(check, NOT_CHECKABLE if missing else CONFIRMED, missing, facts)


def _check_rate_below_national(ds: Dataset, check: Check) -> StatementResult:
    """'The national level lies (much) higher': per 1,000 inhabitants in to_year, the national
    rate at least `factor` times the local one (same-year populations)."""
    ind = ds.indicators[check.indicator]
    y, area = check.to_year, check.area
    nat_ind, nat_area = ind.national_indicator or ind.id, ind.national_area or "NL01"
    figs = {"local": _figure(ds, ind.id, area, y), "pop": _figure(ds, "population", area, y),
            "nat": _figure(ds, nat_ind, nat_area, y), "natpop": _figure(ds, "population", nat_area, y)}
    needed = {"local": (ind, area), "pop": (ds.indicators["population"], area),
              "nat": (ds.indicators[nat_ind], nat_area), "natpop": (ds.indicators["population"], nat_area)}
    missing = tuple(_missing(ds, needed[k][0], needed[k][1], y) for k, f in figs.items() if f is None)
    if missing:
        return StatementResult(check, NOT_CHECKABLE, missing)
    local = per_1000(figs["local"].value, figs["pop"].value)
    nat = per_1000(figs["nat"].value, figs["natpop"].value)
    code = CONFIRMED if nat >= check.factor * local else NOT_CONFIRMED
    interval, inside = None, None
    count = figs["local"].value
    if count == int(count) and count >= 0:
        # the local count is the noisy one (the national count is a hundred times larger): its exact Poisson
        # interval (Garwood) gives the interval of 'national rate / local rate'
        lo_c, hi_c = stats.count_interval(int(count))
        interval = (nat / per_1000(hi_c, figs["pop"].value),
                    nat / per_1000(lo_c, figs["pop"].value) if lo_c > 0 else math.inf)
        if check.factor > 1:
            inside = interval[0] <= check.factor <= interval[1]
            if inside:
                code = WITHIN_NOISE
    return StatementResult(check, code, (), RateVsNational(local, nat, interval, inside))
