"""The checked statements in words (issue #30: verdict/statements.py works out the outcome and
its figures, this module writes the Dutch explanation): what the document claims, how it is
read, the figures, the noise, what is missing, the outcome."""
from __future__ import annotations

import math

from ..data.dataset import Dataset
from ..fmt import nl_int, nl_num, nl_pct
from ..verdict.evaluate import _source_name
from ..verdict.statements import (
    DIRECTION_NL,
    NOT_CONFIRMED,
    WITHIN_NOISE,
    Change,
    Lowest,
    RateVsNational,
    StatementResult,
)

NOISE_NOTE = ("De toevalsmarge houdt alleen rekening met het toeval in de telling zelf; schommelingen van jaar tot jaar "
              "maken haar nog breder.")
NOUN_NL = {"up": "stijging", "down": "daling"}


def statement_text(ds: Dataset, r: StatementResult) -> str:
    """The explanation of one checked statement, ending with 'Uitkomst: <status>.'."""
    check = r.check
    if check.kind == "needs_figure":
        return " ".join(["De open gegevens van het project bevatten dit cijfer niet."]
                        + ([check.reading] if check.reading else [])
                        + [f"Nodig om te controleren: {check.needs}.", f"Uitkomst: {r.status}."])
    claim, parts = WORDS[check.kind](ds, r)
    text = " ".join([claim] + ([check.reading] if check.reading else []) + parts)
    if r.missing:
        text += " Ontbreekt: " + "; ".join(r.missing_nl) + "."
    return f"{text} Uitkomst: {r.status}."


def _ratio(v: float) -> str:
    return "∞" if not math.isfinite(v) else nl_num(v, 2)


def _pct(a: float, b: float) -> str:
    return nl_pct((b / a - 1) * 100) if a else "–"


def _change(ds: Dataset, r: StatementResult) -> tuple[str, list[str]]:
    c = r.check
    claim = f"Het document stelt {nl_pct(c.stated_change * 100, 0)} van {c.from_year} tot {c.to_year}."
    f = r.facts
    if not isinstance(f, Change):
        return claim, []
    return claim, [f"De gegevens geven {nl_pct(f.actual * 100)} ({nl_int(f.a.value)} in {c.from_year}, "
                   f"{nl_int(f.b.value)} in {c.to_year})."]


def _direction(ds: Dataset, r: StatementResult) -> tuple[str, list[str]]:
    c, f = r.check, r.facts
    name, want = ds.area_name(c.area), DIRECTION_NL[f.want]
    claim = f"Het document stelt dat het aantal in {name} over {c.from_year}–{c.to_year} is {want}" + \
            (", in lijn met de landelijke ontwikkeling." if c.kind == "direction_national" else ".")
    parts = []
    iv = f.interval
    if f.a is not None and f.b is not None:
        parts.append(f"{name}: van {nl_int(f.a.value)} naar {nl_int(f.b.value)} ({_pct(f.a.value, f.b.value)}), "
                     f"dus {DIRECTION_NL[f.got]}" + (f"; de toevalsmarge (95%) van die verhouding loopt van {_ratio(iv.low)} "
                                                      f"tot {_ratio(iv.high)}" if iv else "") + ".")
        if iv is not None:
            parts.append(NOISE_NOTE)
        parts += _between(f.between)
        if f.sources:
            parts.append(f"Let op: {f.a.year} komt uit {_source_name(ds, f.sources[0])} en {f.b.year} uit "
                         f"{_source_name(ds, f.sources[1])}; twee publicaties kunnen verschillend tellen.")
    if f.national is not None:
        na, nb = f.national
        text = f"Landelijk: van {nl_int(na)} naar {nl_int(nb)} ({_pct(na, nb)}), dus {DIRECTION_NL[f.national_got]}."
        if c.kind == "direction_national":
            parts.append(text)
            if iv is not None and na and nb:   # an interval means both local figures are known
                ratio = nb / na
                parts.append(f"De verandering in {name} wijkt "
                             + ("niet meer van de landelijke af dan het toeval kan verklaren" if iv.contains(ratio)
                                else "meer van de landelijke af dan het toeval verklaart")
                             + f" (landelijk {_ratio(ratio)}; marge in {name} {_ratio(iv.low)}–{_ratio(iv.high)}).")
        else:
            parts.append("Ter vergelijking — " + text)
    if r.code == NOT_CONFIRMED and r.missing:
        parts.append("Dat deel weerspreekt de uitspraak al, hoe de ontbrekende cijfers ook uitvallen.")
    elif r.code == WITHIN_NOISE:
        parts.append(f"De verhouding 1 (geen verandering) ligt binnen die marge: de {NOUN_NL[f.want]} kan toeval zijn.")
    return claim, parts


def _between(between) -> list[str]:
    if not between:
        return []
    years = [y for y, _ in between]
    if all(v is None for _, v in between):
        return [f"De jaren ertussen ({', '.join(str(y) for y in years)}) hebben geen cijfer: of het aantal daar ook "
                f"die kant op ging, is niet te zien."]
    return ["De jaren ertussen: " + "; ".join(f"{y}: {nl_int(v) if v is not None else 'geen cijfer'}"
                                              for y, v in between) + "."]


def _lowest(ds: Dataset, r: StatementResult) -> tuple[str, list[str]]:
    c, f = r.check, r.facts
    claim = (f"Het document stelt dat {c.to_year} het laagste aantal had van {c.from_year}–{c.to_year} in "
             f"{ds.area_name(c.area)}.")
    if not isinstance(f, Lowest) or f.own is None or f.low_year is None:
        return claim, []
    return claim, [f"{c.to_year}: {nl_int(f.own.value)}; het laagste van de andere jaren met een cijfer: "
                   f"{nl_int(f.low_value)} ({f.low_year})."]


def _rate(ds: Dataset, r: StatementResult) -> tuple[str, list[str]]:
    c, f = r.check, r.facts
    name = ds.area_name(c.area)
    claim = (f"Het document stelt dat het landelijke niveau per inwoner in {c.to_year} "
             + ("veel " if c.factor > 1 else "") + f"hoger ligt dan in {name}.")
    if not isinstance(f, RateVsNational):
        return claim, []
    parts = [f"Per 1.000 inwoners in {c.to_year}: {name} {nl_num(f.local, 2)}, Nederland {nl_num(f.national, 2)}"
             + (f" ({nl_num(f.national / f.local, 1)} keer zo hoog)" if f.local else "") + "."]
    if f.interval is not None:
        parts.append(f"De toevalsmarge (95%) van die verhouding loopt van {_ratio(f.interval[0])} tot "
                     f"{_ratio(f.interval[1])} keer.")
        if f.factor_inside is not None:
            parts.append(f"'Veel hoger' is gelezen als minstens {nl_num(c.factor, 1)} keer zo hoog (een afspraak, geen "
                         f"cijfer uit het document); " + ("die grens ligt binnen de marge, dus of het verschil zo groot is, "
                                                          "is niet zeker." if f.factor_inside else "die grens ligt buiten de marge."))
        parts.append(NOISE_NOTE)
    return claim, parts


WORDS = {"change": _change, "direction": _direction, "direction_national": _direction, "lowest_in": _lowest,
         "rate_below_national": _rate}
