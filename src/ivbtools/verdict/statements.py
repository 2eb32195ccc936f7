"""The policy document's statements (policy file `checks`), confirmed against the figures once
they are known — never back-computed (issue #28 item 5): a change or direction is judged against
the noise of the counts (the exact interval of their ratio), with the years in between and a
change of source named; a rate below the national one with the interval of the rate ratio.

Each result is typed (`StatementResult`) with one status code from STATUS_NL; the Dutch sentence
of each status is its label."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import stats
from ..data.dataset import Dataset
from ..data.rates import per_1000
from ..data.registry import Indicator
from ..data.targets import Check
from ..fmt import nl_int, nl_num, nl_pct
from .evaluate import Figure, Missing, _figure, _missing, _source_name

CONFIRMED, NOT_CONFIRMED, WITHIN_NOISE, NOT_CHECKABLE = "bevestigd", "niet_bevestigd", "binnen_toevalsmarge", \
    "nog_niet_te_controleren"
STATUS_NL = {CONFIRMED: "bevestigd", NOT_CONFIRMED: "niet bevestigd", WITHIN_NOISE: "binnen de toevalsmarge",
             NOT_CHECKABLE: "nog niet te controleren"}


@dataclass(frozen=True)
class StatementResult:
    """One checked statement: its status code, the Dutch label shown (a change within the noise
    says which way it went: 'gestegen, maar binnen de toevalsmarge'), the explanation and the
    figures still missing."""
    id: str
    quote: str
    code: str
    text: str
    missing: list[str] = field(default_factory=list)
    direction: str = ""        # 'gestegen' / 'gedaald' for a change within the noise

    @property
    def status(self) -> str:
        if self.code == WITHIN_NOISE and self.direction:
            return f"{self.direction}, maar binnen de toevalsmarge"
        return STATUS_NL[self.code]


def _direction_word(a: float, b: float) -> str:
    return "gestegen" if b > a else ("gedaald" if b < a else "gelijk gebleven")


def evaluate_check(ds: Dataset, check: Check) -> StatementResult:
    """Confirm a statement of the policy document once the figures are known (never back-compute).
    Status: one of STATUS_NL (bevestigd, niet bevestigd, binnen de toevalsmarge, nog niet te controleren)."""
    if check.kind == "needs_figure":
        text = " ".join(["De open gegevens van het project bevatten dit cijfer niet."] + ([check.reading] if check.reading else [])
                        + [f"Nodig om te controleren: {check.needs}.", "Uitkomst: nog niet te controleren."])
        return StatementResult(check.id, check.quote, NOT_CHECKABLE, text, [check.needs])
    if check.kind == "lowest_in":
        return _check_lowest(ds, check)
    if check.kind == "rate_below_national":
        return _check_rate_below_national(ds, check)
    ind = ds.indicators[check.indicator]
    a, b = _figure(ds, ind.id, check.area, check.from_year), _figure(ds, ind.id, check.area, check.to_year)
    missing = [_missing(ds, ind, check.area, y) for f, y in ((a, check.from_year), (b, check.to_year)) if f is None]
    name = ds.area_name(check.area)
    span = f"{check.from_year}–{check.to_year}"
    parts, verdicts, noise = [], [], []
    if check.kind == "change":
        claim = f"Het document stelt {nl_pct(check.stated_change * 100, 0)} van {check.from_year} tot {check.to_year}."
        if not missing:
            actual = (b.value / a.value - 1) if a.value else float("nan")
            ok = abs(actual - check.stated_change) <= 0.005 + 1e-9
            verdicts.append(ok)
            parts.append(f"De gegevens geven {nl_pct(actual * 100)} ({nl_int(a.value)} in {check.from_year}, "
                         f"{nl_int(b.value)} in {check.to_year}).")
    else:
        want = "gestegen" if check.direction == "up" else "gedaald"
        claim = f"Het document stelt dat het aantal in {name} over {span} is {want}" + \
                (", in lijn met de landelijke ontwikkeling." if check.kind == "direction_national" else ".")
        local_iv = None
        if not missing:
            got = _direction_word(a.value, b.value)
            verdicts.append(got == want)
            local_iv = _count_ratio_interval(a.value, b.value)
            parts.append(f"{name}: van {nl_int(a.value)} naar {nl_int(b.value)} ({nl_pct((b.value / a.value - 1) * 100) if a.value else '–'}), "
                         f"dus {got}" + (f"; de toevalsmarge (95%) van die verhouding loopt van {_ratio_nl(local_iv.low)} tot "
                                         f"{_ratio_nl(local_iv.high)}" if local_iv else "") + ".")
            if got == want and local_iv is not None and local_iv.contains(1.0):
                noise.append(f"De verhouding 1 (geen verandering) ligt binnen die marge: de {_noun(want)} kan toeval zijn.")
            if local_iv is not None:
                parts.append(NOISE_NOTE)
        if not missing:
            parts += _years_between(ds, ind, check)
            parts += _sources_differ(ds, a, b)
        nat = ind.national_indicator
        if nat:
            na, nb = _figure(ds, nat, ind.national_area, check.from_year), _figure(ds, nat, ind.national_area, check.to_year)
            if na is not None and nb is not None:
                got = _direction_word(na.value, nb.value)
                text = (f"Landelijk: van {nl_int(na.value)} naar {nl_int(nb.value)} "
                        f"({nl_pct((nb.value / na.value - 1) * 100) if na.value else '–'}), dus {got}.")
                if check.kind == "direction_national":
                    verdicts.append(got == want)
                    parts.append(text)
                    if local_iv is not None and na.value and nb.value:
                        nat_ratio = nb.value / na.value
                        parts.append(f"De verandering in {name} wijkt "
                                     + ("niet meer van de landelijke af dan het toeval kan verklaren"
                                        if local_iv.contains(nat_ratio) else "meer van de landelijke af dan het toeval verklaart")
                                     + f" (landelijk {_ratio_nl(nat_ratio)}; marge in {name} {_ratio_nl(local_iv.low)}–"
                                       f"{_ratio_nl(local_iv.high)}).")
                else:
                    parts.append("Ter vergelijking — " + text)
    direction = ""
    if any(v is False for v in verdicts):
        status = NOT_CONFIRMED
        if missing:
            parts.append("Dat deel weerspreekt de uitspraak al, hoe de ontbrekende cijfers ook uitvallen.")
    elif missing:
        status = NOT_CHECKABLE
    elif noise:
        status, direction = WITHIN_NOISE, want
        parts += noise
    else:
        status = CONFIRMED
    return _check_result(check, status, claim, parts, missing, direction)


NOISE_NOTE = ("De toevalsmarge houdt alleen rekening met het toeval in de telling zelf; schommelingen van jaar tot jaar "
              "maken haar nog breder.")


def _count_ratio_interval(a: float, b: float):
    """The exact 95% interval of the ratio b / a of two counts (None when they are not whole counts)."""
    if a < 0 or b < 0 or a != int(a) or b != int(b) or a + b == 0:
        return None
    return stats.ratio_interval_exact(int(b), int(a))


def _ratio_nl(r: float) -> str:
    return "∞" if not np.isfinite(r) else nl_num(r, 2)


def _noun(direction_word: str) -> str:
    return {"gestegen": "stijging", "gedaald": "daling"}.get(direction_word, "verandering")


def _years_between(ds: Dataset, ind: Indicator, check: Check) -> list[str]:
    """The figures of the years between the two a statement compares (a rise 'over 2019–2022' says nothing
    of 2020 and 2021 on its own)."""
    years = range(check.from_year + 1, check.to_year)
    if not years:
        return []
    figs = [(y, _figure(ds, ind.id, check.area, y)) for y in years]
    if all(f is None for _, f in figs):
        return [f"De jaren ertussen ({', '.join(str(y) for y in years)}) hebben geen cijfer: of het aantal daar ook "
                f"die kant op ging, is niet te zien."]
    return ["De jaren ertussen: " + "; ".join(f"{y}: {nl_int(f.value) if f else 'geen cijfer'}" for y, f in figs) + "."]


def _sources_differ(ds: Dataset, a: Figure | None, b: Figure | None) -> list[str]:
    if a is None or b is None or a.source_id == b.source_id:
        return []
    return [f"Let op: {a.year} komt uit {_source_name(ds, a.source_id)} en {b.year} uit {_source_name(ds, b.source_id)}; "
            f"twee publicaties kunnen verschillend tellen."]


def _check_result(check: Check, status: str, claim: str, parts: list[str], missing: list[Missing],
                  direction: str = "") -> StatementResult:
    """A checked statement for every kind: what the document claims, how it is read, the figures,
    what is missing, the outcome."""
    text = " ".join([claim] + ([check.reading] if check.reading else []) + parts)
    if missing:
        text += " Ontbreekt: " + "; ".join(m.text_nl() for m in missing) + "."
    result = StatementResult(check.id, check.quote, status, text, [m.text_nl() for m in missing], direction)
    return StatementResult(check.id, check.quote, status, f"{text} Uitkomst: {result.status}.", result.missing, direction)


def _check_lowest(ds: Dataset, check: Check) -> StatementResult:
    """'In <to_year> the lowest in the years <from_year>–<to_year>': strictly below every other
    year of the span; every year needed (a missing year could have been lower)."""
    ind = ds.indicators[check.indicator]
    years = list(range(check.from_year, check.to_year + 1))
    figs = {y: _figure(ds, ind.id, check.area, y) for y in years}
    missing = [_missing(ds, ind, check.area, y) for y, f in figs.items() if f is None]
    name = ds.area_name(check.area)
    claim = f"Het document stelt dat {check.to_year} het laagste aantal had van {check.from_year}–{check.to_year} in {name}."
    parts = []
    own = figs[check.to_year]
    others = {y: f.value for y, f in figs.items() if f is not None and y != check.to_year}
    if own is not None and others:
        low_y = min(others, key=others.get)
        parts.append(f"{check.to_year}: {nl_int(own.value)}; het laagste van de andere jaren met een cijfer: "
                     f"{nl_int(others[low_y])} ({low_y}).")
        if own.value >= others[low_y]:
            return _check_result(check, NOT_CONFIRMED, claim, parts, missing)
    status = NOT_CHECKABLE if missing else CONFIRMED
    return _check_result(check, status, claim, parts, missing)


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
    missing = [_missing(ds, needed[k][0], needed[k][1], y) for k, f in figs.items() if f is None]
    claim = (f"Het document stelt dat het landelijke niveau per inwoner in {y} "
             + ("veel " if check.factor > 1 else "") + f"hoger ligt dan in {ds.area_name(area)}.")
    if missing:
        return _check_result(check, NOT_CHECKABLE, claim, [], missing)
    local = per_1000(figs["local"].value, figs["pop"].value)
    nat = per_1000(figs["nat"].value, figs["natpop"].value)
    parts = [f"Per 1.000 inwoners in {y}: {ds.area_name(area)} {nl_num(local, 2)}, Nederland {nl_num(nat, 2)}"
             + (f" ({nl_num(nat / local, 1)} keer zo hoog)" if local else "") + "."]
    status = CONFIRMED if nat >= check.factor * local else NOT_CONFIRMED
    count = figs["local"].value
    if count == int(count) and count >= 0:
        # the local count is the noisy one (the national count is a hundred times larger): its exact Poisson
        # interval (Garwood) gives the interval of 'national rate / local rate'
        lo_c, hi_c = stats.count_interval(int(count))
        r_lo = nat / per_1000(hi_c, figs["pop"].value)
        r_hi = nat / per_1000(lo_c, figs["pop"].value) if lo_c > 0 else math.inf
        parts.append(f"De toevalsmarge (95%) van die verhouding loopt van {_ratio_nl(r_lo)} tot {_ratio_nl(r_hi)} keer.")
        if check.factor > 1:
            inside = r_lo <= check.factor <= r_hi
            parts.append(f"'Veel hoger' is gelezen als minstens {nl_num(check.factor, 1)} keer zo hoog (een afspraak, geen "
                         f"cijfer uit het document); " + ("die grens ligt binnen de marge, dus of het verschil zo groot is, is "
                                                          "niet zeker." if inside else "die grens ligt buiten de marge."))
            if inside:
                status = WITHIN_NOISE
        parts.append(NOISE_NOTE)
    return _check_result(check, status, claim, parts, [])
