"""Target evaluation: for one target part, year and area, the verdict with its statistics.

Verdicts (codes; Dutch labels in STATUS_NL):
    gehaald / niet_gehaald       evaluation year at or after the target year
    op_koers / niet_op_koers     between baseline and target year: against the straight path
                                 from the baseline value to the required value
    basisjaar                    evaluation year at or before the baseline year
    onvoldoende_gegevens         a figure is missing; `missing` names each one
    niet_te_beoordelen           the figures exist but the rule cannot be applied (baseline 0)
    niet_meetbaar                a qualitative part: listed, never scored
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .dataset import Dataset
from .fmt import nl_int, nl_num, nl_p, nl_pct, nl_value
from .registry import Indicator
from .stats import TestResult, count_vs_level, ratio_vs_value
from .targets import Check, Part

STATUS_NL = {
    "gehaald": "gehaald",
    "niet_gehaald": "niet gehaald",
    "op_koers": "op koers",
    "niet_op_koers": "niet op koers",
    "basisjaar": "nog niet te beoordelen (basisjaar)",
    "onvoldoende_gegevens": "onvoldoende gegevens",
    "niet_te_beoordelen": "niet te beoordelen",
    "niet_meetbaar": "niet meetbaar (kwalitatief)",
}


@dataclass(frozen=True)
class Figure:
    year: int
    value: float
    source_id: str
    origin: str


@dataclass(frozen=True)
class Missing:
    indicator: str
    label: str
    area_code: str
    area_name: str
    year: int

    def text_nl(self) -> str:
        return f"{self.label} voor {self.area_name} ({self.area_code}) in {self.year}"

    def how_to_supply(self) -> str:
        return (f"Aanvullen: zet de regel `{self.indicator},{self.area_code},{self.area_name},{self.year},<waarde>,<bron-id>` "
                f"in een CSV-bestand in data/local/ en beschrijf de bron in data/local/sources.yaml "
                f"(zie data/local/README.md).")


@dataclass
class NationalComparison:
    indicator: str
    label: str
    area_code: str
    base_year: int
    year: int
    base_value: float | None = None
    value: float | None = None
    index: float | None = None          # national, base year = 100
    local_index: float | None = None    # municipality, base year = 100
    better: bool | None = None          # municipality did better than the country
    test: TestResult | None = None
    missing: list[Missing] = field(default_factory=list)
    text_nl: str = ""


@dataclass
class Evaluation:
    part: Part
    indicator: Indicator | None
    year: int
    area_code: str
    area_name: str
    status: str
    baseline: Figure | None = None
    observed: Figure | None = None
    required: float | None = None        # required value in the evaluation year
    required_final: float | None = None  # required value in the target year
    change_abs: float | None = None
    change_pct: float | None = None
    test: TestResult | None = None
    test_both_noisy: TestResult | None = None  # baseline count treated as noisy too (ratio test)
    verdict_nl: str = ""
    stats_nl: str = ""
    missing: list[Missing] = field(default_factory=list)
    national: NationalComparison | None = None
    caveats: list[str] = field(default_factory=list)

    @property
    def status_nl(self) -> str:
        return STATUS_NL[self.status]


def _lc(label: str) -> str:
    return label[:1].lower() + label[1:]


def _figure(ds: Dataset, indicator: str, area: str, year: int) -> Figure | None:
    row = ds.observations.get(indicator, area, year)
    if row is None:
        return None
    return Figure(int(row.year), float(row.value), str(row.source_id), str(row.origin))


def _missing(ds: Dataset, ind: Indicator, area: str, year: int) -> Missing:
    return Missing(ind.id, ind.label_nl, area, ds.area_name(area), year)


def _required_ratio(part: Part, year: int) -> float:
    """Ratio to the baseline required in `year`: the straight path to the target, then flat."""
    r = part.rule
    if r.kind != "relative_change":
        return 1.0
    frac = min(1.0, (year - r.baseline_year) / (r.target_year - r.baseline_year))
    return 1.0 + r.change * frac


def evaluate(ds: Dataset, part_id: str, year: int, area: str) -> Evaluation:
    """Evaluate one target part for one year and area."""
    part = ds.policy.part(part_id) if isinstance(part_id, str) else part_id
    area_name = ds.area_name(area)
    if part.qualitative:
        return Evaluation(part, None, year, area, area_name, "niet_meetbaar",
                          verdict_nl="Niet meetbaar met cijfers; het beleidsdocument beschrijft wat er is gedaan.")
    ind = ds.indicators[part.indicator]
    rule = part.rule
    ev = Evaluation(part, ind, year, area, area_name, "onvoldoende_gegevens")
    if rule.kind == "at_least":
        return _evaluate_threshold(ds, ev)

    ev.baseline = _figure(ds, ind.id, area, rule.baseline_year)
    ev.caveats = [c.text_nl for c in ind.caveats if c.applies([rule.baseline_year, year], area)]
    if year <= rule.baseline_year:
        ev.status = "basisjaar"
        base = "onbekend" if ev.baseline is None else nl_value(ev.baseline.value, ind.unit)
        ev.verdict_nl = (f"{year} ligt niet na het basisjaar {rule.baseline_year}: het doel ({rule.describe_nl()}) "
                         f"is in {year} nog niet te beoordelen. Basiswaarde {rule.baseline_year}: {base}.")
        if ev.baseline is None:
            ev.missing.append(_missing(ds, ind, area, rule.baseline_year))
        return ev

    ev.observed = _figure(ds, ind.id, area, year)
    for fig, y in ((ev.baseline, rule.baseline_year), (ev.observed, year)):
        if fig is None:
            ev.missing.append(_missing(ds, ind, area, y))
    ev.national = compare_national(ds, ind, area, rule.baseline_year, year)
    if ev.missing:
        ev.verdict_nl = ("Onvoldoende gegevens om het doel te toetsen. Ontbreekt: "
                         + "; ".join(m.text_nl() for m in ev.missing) + ".")
        return ev

    base, obs = ev.baseline.value, ev.observed.value
    ev.change_abs = obs - base
    ev.change_pct = (obs / base - 1) * 100 if base else None
    final = rule.target_year <= year
    if rule.kind == "relative_change" and base == 0:
        ev.status = "niet_te_beoordelen"
        ev.verdict_nl = (f"De basiswaarde ({rule.baseline_year}) is 0: een procentuele verandering is niet te berekenen, "
                         f"dus dit doel is met deze cijfers niet te beoordelen.")
        return ev

    ratio_req = _required_ratio(part, year)
    ev.required = base * ratio_req
    ev.required_final = base * _required_ratio(part, rule.target_year)
    met = obs < base if rule.kind == "below_baseline" else obs <= ev.required + 1e-9
    ev.status = ("gehaald" if met else "niet_gehaald") if final else ("op_koers" if met else "niet_op_koers")

    # exact test in the direction of the observed deviation from the required level
    alternative = "smaller" if met else "larger"
    if rule.kind == "relative_change":
        ev.test = ratio_vs_value(int(obs), int(base), ratio_req, alternative)
    elif base > 0:
        ev.test = count_vs_level(int(obs), base, alternative)
        ev.test_both_noisy = ratio_vs_value(int(obs), int(base), 1.0, alternative)
    ev.verdict_nl = _verdict_sentence(ev, met, final)
    ev.stats_nl = _stats_sentence(ev, met)
    return ev


def _evaluate_threshold(ds: Dataset, ev: Evaluation) -> Evaluation:
    ind, rule = ev.indicator, ev.part.rule
    ev.observed = _figure(ds, ind.id, ev.area_code, ev.year)
    ev.required = ev.required_final = rule.threshold
    ev.national = None
    if ev.observed is None:
        ev.missing.append(_missing(ds, ind, ev.area_code, ev.year))
        ev.verdict_nl = f"Onvoldoende gegevens om het doel te toetsen. Ontbreekt: {ev.missing[0].text_nl()}."
        return ev
    final = rule.target_year <= ev.year
    met = ev.observed.value >= rule.threshold
    ev.status = ("gehaald" if met else "niet_gehaald") if final else ("op_koers" if met else "niet_op_koers")
    word = "gehaald" if met else "niet gehaald"
    ev.verdict_nl = (f"{STATUS_NL[ev.status].capitalize()}: het {_lc(ind.label_nl)} was in {ev.year} "
                     f"{nl_num(ev.observed.value)}; vereist is {nl_num(rule.threshold)} of hoger (doel {word} in {ev.year}).")
    ev.stats_nl = ("Geen toets: voor een rapportcijfer uit een enquête is een betrouwbaarheidsinterval alleen te geven "
                   "met de steekproefomvang en spreiding van die enquête; lever die aan om de onzekerheid te tonen.")
    return ev


def _verdict_sentence(ev: Evaluation, met: bool, final: bool) -> str:
    ind, rule = ev.indicator, ev.part.rule
    u = ind.unit
    head = STATUS_NL[ev.status].capitalize()
    what = (f"{nl_value(ev.observed.value, u)} in {ev.year} tegen {nl_value(ev.baseline.value, u)} in {rule.baseline_year} "
            f"({'+' if ev.change_abs > 0 else ''}{nl_int(ev.change_abs)}; {nl_pct(ev.change_pct)})")
    cmp_word = "lager dan" if rule.kind == "below_baseline" else "ten hoogste"
    if final:
        return f"{head}: {_lc(ind.label_nl)}: {what}. Het doel vraagt {cmp_word} {nl_value(ev.required, u)} ({rule.describe_nl()})."
    path = (f"het rechte pad van {nl_value(ev.baseline.value, u)} ({rule.baseline_year}) naar "
            f"{nl_value(ev.required_final, u)} ({rule.target_year}) vraagt in {ev.year} {cmp_word} {nl_value(ev.required, u)}")
    tail = ""
    if rule.kind != "relative_change" and not met:
        tail = f" Daarmee werd het doel ({rule.describe_nl().replace('in ' + str(rule.target_year) + ' ', '')}) in {ev.year} niet gehaald."
    elif rule.kind != "relative_change" and met:
        tail = f" In {ev.year} voldeed het aantal al aan het doel."
    return f"{head} voor {rule.target_year}: {_lc(ind.label_nl)}: {what}; {path}.{tail}"


def _stats_sentence(ev: Evaluation, met: bool) -> str:
    t = ev.test
    if t is None:
        return "Geen toets mogelijk: het vereiste niveau is 0."
    if t.scale == "ratio":
        interval = f"95%-interval voor de verhouding {ev.year}/{ev.part.rule.baseline_year}: {nl_num(t.ci_low, 2)}–{nl_num(t.ci_high, 2)}, vereist ten hoogste {nl_num(t.null_value, 2)}"
    else:
        interval = f"95%-interval voor het onderliggende aantal: {nl_num(t.ci_low, 1)}–{nl_num(t.ci_high, 1)}, vereist {nl_num(t.null_value, 0)}"
    how = f"({t.method}, eenzijdig, {nl_p(t.pvalue)}; {interval})"
    t2 = ev.test_both_noisy
    also = ""
    if t2 is not None:
        same = t2.beyond_chance == t.beyond_chance
        also = (f" Ook als de telling van {ev.part.rule.baseline_year} zelf als toevallig schommelend wordt behandeld "
                f"(exacte conditionele toets op de verhouding, {nl_p(t2.pvalue)}), "
                + ("is de conclusie dezelfde." if same else
                   ("valt het verschil binnen de toevalsmarge." if not t2.beyond_chance else "is het verschil groter dan toeval.")))
    if t.beyond_chance and not met:
        return f"Het verschil met het vereiste niveau is groter dan toeval kan verklaren {how}.{also}"
    if t.beyond_chance and met:
        return f"Het aantal ligt duidelijker onder het vereiste niveau dan toeval kan verklaren {how}.{also}"
    if met:
        return (f"Het doel is gehaald, maar het verschil met het vereiste niveau valt binnen de toevalsmarge {how}: "
                f"bij zulke aantallen kan een volgend jaar ook net boven de grens uitkomen.{also}")
    return (f"Het verschil met het vereiste niveau valt binnen de toevalsmarge {how}: "
            f"bij zulke aantallen kan dit ook door toevallige schommelingen komen.{also}")


def compare_national(ds: Dataset, ind: Indicator, area: str, base_year: int, year: int) -> NationalComparison | None:
    """Local change beside the national change over the same years (base year = 100)."""
    if not ind.national_indicator:
        return None
    nat_ind = ds.indicators[ind.national_indicator]
    nc = NationalComparison(nat_ind.id, nat_ind.label_nl, ind.national_area, base_year, year)
    nb, nv = _figure(ds, nat_ind.id, nc.area_code, base_year), _figure(ds, nat_ind.id, nc.area_code, year)
    for fig, y in ((nb, base_year), (nv, year)):
        if fig is None:
            nc.missing.append(_missing(ds, nat_ind, nc.area_code, y))
    if nc.missing:
        nc.text_nl = ("Landelijke vergelijking niet mogelijk. Ontbreekt: " + "; ".join(m.text_nl() for m in nc.missing) + ".")
        return nc
    nc.base_value, nc.value = nb.value, nv.value
    nc.index = 100 * nv.value / nb.value if nb.value else None
    nat_txt = (f"Landelijk ({nc.area_code}): {_lc(nat_ind.label_nl)} van {nl_int(nb.value)} in {base_year} naar "
               f"{nl_int(nv.value)} in {year}, index {nl_num(nc.index, 0)} ({base_year} = 100).")
    lb, lv = _figure(ds, ind.id, area, base_year), _figure(ds, ind.id, area, year)
    if lb is None or lv is None or not lb.value or nc.index is None:
        nc.text_nl = nat_txt + " De gemeentelijke verandering over dezelfde jaren is nog niet bekend, dus een vergelijking ontbreekt."
        return nc
    nc.local_index = 100 * lv.value / lb.value
    lower_better = ind.better == "lower"
    nc.better = (nc.local_index < nc.index) if lower_better else (nc.local_index > nc.index)
    nc.test = ratio_vs_value(int(lv.value), int(lb.value), nc.index / 100, "two-sided")
    verdict = "beter" if nc.better else "slechter"
    if abs(nc.local_index - nc.index) < 1e-9:
        verdict = "even goed"
    noise = ("dat verschil is groter dan toeval kan verklaren" if nc.test.beyond_chance
             else "dat verschil valt binnen de toevalsmarge")
    nc.text_nl = (f"{nat_txt} {ds.area_name(area)}: index {nl_num(nc.local_index, 0)}. "
                  f"{ds.area_name(area)} deed het {verdict} dan het land; {noise} "
                  f"(exacte conditionele toets van de gemeentelijke verhouding tegen de landelijke, tweezijdig, {nl_p(nc.test.pvalue)}).")
    return nc


def evaluate_check(ds: Dataset, check: Check) -> dict:
    """Confirm a statement of the policy document once the figures are known (never back-compute)."""
    ind = ds.indicators[check.indicator]
    a, b = _figure(ds, ind.id, check.area, check.from_year), _figure(ds, ind.id, check.area, check.to_year)
    missing = [_missing(ds, ind, check.area, y) for f, y in ((a, check.from_year), (b, check.to_year)) if f is None]
    stated = nl_pct(check.stated_change * 100, 0)
    if missing:
        status = "nog niet te controleren"
        text = (f"Het document stelt {stated} van {check.from_year} tot {check.to_year}. Nog niet te controleren; ontbreekt: "
                + "; ".join(m.text_nl() for m in missing) + ".")
    else:
        actual = (b.value / a.value - 1) if a.value else float("nan")
        ok = abs(actual - check.stated_change) <= 0.005 + 1e-9
        status = "bevestigd" if ok else "niet bevestigd"
        text = (f"Het document stelt {stated}; de gegevens geven {nl_pct(actual * 100)} "
                f"({nl_int(a.value)} in {check.from_year}, {nl_int(b.value)} in {check.to_year}): {status}.")
    return {"id": check.id, "quote": check.quote, "status": status, "text": text,
            "missing": [m.text_nl() for m in missing]}


def scorecard(ds: Dataset, year: int, area: str) -> pd.DataFrame:
    """Every target part (measurable and qualitative) for one year: verdict and key figures."""
    rows = []
    for part in ds.policy.parts:
        ev = evaluate(ds, part.id, year, area)
        rule = part.rule
        rows.append({
            "thema": part.theme_name,
            "doel_id": part.id,
            "doel": part.title,
            "oordeel": ev.status_nl,
            "status": ev.status,
            "basisjaar": rule.baseline_year if rule else None,
            "basiswaarde": ev.baseline.value if ev.baseline else None,
            "jaar": year,
            "waarde": ev.observed.value if ev.observed else None,
            "vereist": ev.required,
            "verandering_pct": round(ev.change_pct, 1) if ev.change_pct is not None else None,
            "p_waarde": float(f"{ev.test.pvalue:.4g}") if ev.test else None,
            "binnen_ruis": (not ev.test.beyond_chance) if ev.test else None,
            "landelijk_index": round(ev.national.index, 1) if ev.national and ev.national.index else None,
            "gemeente_index": round(ev.national.local_index, 1) if ev.national and ev.national.local_index else None,
            "ontbreekt": "; ".join(m.text_nl() for m in ev.missing),
            "bronnen": ", ".join(sorted({f.source_id for f in (ev.baseline, ev.observed) if f})),
            "toelichting": ev.verdict_nl,
        })
    card = pd.DataFrame(rows)
    for col in ("basisjaar", "jaar"):
        card[col] = card[col].astype("Int64")
    return card
