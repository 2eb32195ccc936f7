"""Target evaluation: for one target part, year and area, the verdict with its statistics.

The decision rule is fixed before looking at the data and has two separate parts:

1. **The verdict label** follows the figures against the rule as the council wrote it
   ("20% lower" means: the evaluation-year count is at most 0.8 × the baseline count).
   In the target year that is the test (`gehaald` / `niet_gehaald`). A year between the
   baseline and the target year gives a progress note ("tussenstand"): relative rules
   against the straight path to the target (`op_koers` / `niet_op_koers`), fixed-level
   rules against the required level itself (`op_niveau` / `niet_op_niveau`).
2. **The qualifier** says whether the difference is clear or within noise, from the two-sided
   95% interval of the ratio evaluation-year / baseline-year (both counts noisy), widened for
   overdispersion where it can be estimated (stats.py): clearly met, clearly not met, or
   undecided (within noise). Across a known registration break the count alone is never
   called clear (`reeksbreuk`); the national index, which carries the same break, is then the
   like-for-like comparison.

Other codes: basisjaar (evaluation year at or before the baseline), onvoldoende_gegevens (a
figure is missing; `missing` names each one), niet_te_beoordelen (baseline 0), niet_meetbaar
(qualitative part: listed, never scored).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .. import stats
from ..data.dataset import Dataset
from ..data.registry import Indicator
from ..data.series import Series
from ..data.targets import Part, Policy, Rule
from ..fmt import nl_int, nl_interval, nl_num, nl_p, nl_pct, nl_value
from ..panel.dispersion import national_series
from ..panel.table import boundary_note
from ..panel.view import has_panel, peer_dispersion, pool_dispersion, year_shocks
from ..stats import Dispersion, RatioAssessment
from .rules import CLEAR, allowed_count, meets, qualifier_label, required_ratio, status_for, status_label, strict


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
    assessment: RatioAssessment | None = None  # the municipality's ratio against the national ratio
    missing: list[Missing] = field(default_factory=list)
    text_nl: str = ""
    how_nl: str = ""                    # 'steeg minder sterk dan landelijk', 'daalde even sterk als landelijk', …
    noise_nl: str = ""                  # whether that difference lies within the noise, one clause
    stats_nl: str = ""                  # the ratio, its interval and p-value: for the analysts' part only

    @property
    def clear(self) -> bool | None:
        return None if self.assessment is None else self.assessment.qualifier != stats.WITHIN_NOISE


@dataclass
class Scenario:
    """The verdict under one combination of figures (the chosen ones, or another source's)."""
    baseline: Figure
    observed: Figure
    status: str
    qualifier: str | None
    chosen: bool
    text_nl: str = ""


@dataclass
class Evaluation:
    part: Part
    indicator: Indicator | None
    year: int
    area_code: str
    area_name: str
    status: str
    benchmark: bool = False               # the policy's targets applied to another municipality
    policy: Policy | None = None          # whose targets (title, period, where quoted)
    policy_owner: str = ""                # the policy's municipality by name
    baseline: Figure | None = None
    observed: Figure | None = None
    required: float | None = None         # required value in the evaluation year
    required_final: float | None = None   # required value in the target year
    allowed: int | None = None            # the largest whole count that meets the rule this year
    required_ratio: float | None = None
    change_abs: float | None = None
    change_pct: float | None = None
    assessment: RatioAssessment | None = None
    dispersion: Dispersion | None = None
    dispersion_years: int = 0             # how many yearly figures the own series has
    series_mean: float | None = None      # the own series' mean yearly count (how informative its estimate is)
    panel: bool = False                   # a national panel decided the dispersion (peers.py)
    verdict_nl: str = ""
    stats_nl: str = ""
    dispersion_nl: str = ""
    context_nl: list[str] = field(default_factory=list)   # break / abnormal year / benchmark, beside the verdict
    scenarios: list[Scenario] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    national: NationalComparison | None = None
    caveats: list[str] = field(default_factory=list)
    baseline_check_nl: str = ""           # the baseline departs from the national change beyond noise
    level_qualifier: str | None = None    # a count against a fixed level: clear or within the noise (Poisson)
    sure_nl: str = ""                     # how sure, in words, where there is no ratio assessment

    @property
    def status_nl(self) -> str:
        return status_label(self.status, self.part.rule)

    @property
    def qualifier(self) -> str | None:
        return self.assessment.qualifier if self.assessment is not None else self.level_qualifier

    @property
    def poisson_only(self) -> bool:
        """The qualifier rests on Poisson noise alone: no estimate of the overdispersion was had."""
        return (self.assessment is not None and self.assessment.dispersion is None) or self.level_qualifier is not None

    @property
    def qualifier_nl(self) -> str:
        return qualifier_label(self.status, self.part.rule, self.qualifier, self.poisson_only)

    @property
    def final(self) -> bool:
        return self.part.rule is not None and self.year >= self.part.rule.target_year

    @property
    def source_sensitive(self) -> bool:
        """Another source's figure would change the verdict label or its qualifier."""
        return len({(s.status, s.qualifier) for s in self.scenarios}) > 1


def _lc(label: str) -> str:
    return label[:1].lower() + label[1:]


def _figure(ds: Dataset, indicator: str, area: str, year: int) -> Figure | None:
    row = ds.observations.get(indicator, area, year)
    if row is None:
        return None
    return Figure(int(row.year), float(row.value), str(row.source_id), str(row.origin))


def _missing(ds: Dataset, ind: Indicator, area: str, year: int) -> Missing:
    return Missing(ind.id, ind.label_nl, area, ds.area_name(area), year)


def dispersion_for(ds: Dataset, ind: Indicator, area: str, year: int,
                   base_year: int | None = None) -> tuple[Dispersion | None, int, bool]:
    """The overdispersion the qualifier uses. With a national panel: the estimate across the
    municipality's peers, else (a group of small counts with too few usable years) the estimate
    pooled over every municipality — the same chain as the national table; without a panel, the
    municipality's own series. None only when none of these can be had: the qualifier then says
    that it rests on Poisson noise alone, with the tipping point. Also returns the number of
    yearly figures of the own series, and whether the panel decided."""
    compared = [y for y in (base_year, year) if y is not None] or [year]
    own, n = own_dispersion(ds, ind, area, compared)
    if area.startswith("GM") and has_panel(ds, year):
        return (peer_dispersion(ds, ind.id, area, year, compared)
                or pool_dispersion(ds, ind.id, year, compared, area)), n, True
    return own, n, False


def own_dispersion(ds: Dataset, ind: Indicator, area: str, compared: list[int] | None = None) -> tuple[Dispersion | None, int]:
    """Overdispersion of the municipality's own yearly series (None when it is too short). With
    the national series beside it: the municipality's own part (a trend fit with the national
    series as offset, abnormal years left out) plus the variation shared with the country, from
    the national series; otherwise the series' total variation (abnormal years left out)."""
    s = Series.of(ds, ind.id, area)
    breaks, abnormal = s.break_years, s.abnormal_years
    years, counts = s.years, s.counts
    shocks = year_shocks(ds, ind.id) if area != (ind.national_area or "NL01") else None
    if shocks is not None and shocks.tau_normal is not None:
        nat = national_series(ds, ind, years)
        with np.errstate(divide="ignore", invalid="ignore"):
            idio = stats.estimate_dispersion(years, counts, breaks, offset=np.log(nat), excluded_years=abnormal)
        if idio is not None:
            ab = ind.is_abnormal(compared or years[-1:], area)
            tau, shared = stats.combine(idio.tau, shocks, ab)
            return replace(idio, tau=tau, tau_idio=idio.tau, tau_common=shared, abnormal=ab and shared is not None,
                           method="Poisson-trend met de landelijke reeks als offset (statsmodels GLM), momentschatter van "
                                  "tau²; plus de landelijke jaarschommeling"), len(s)
    return stats.estimate_dispersion(years, counts, breaks, excluded_years=abnormal), len(s)


def judge(rule: Rule, base: float, obs: float, year: int, dispersion: Dispersion | None,
          series_break: bool) -> tuple[str, RatioAssessment]:
    """The verdict label and the assessment for one pair of figures (base > 0)."""
    r0 = required_ratio(rule, year)
    a = stats.assess_ratio(int(obs), int(base), r0, strict=strict(rule), dispersion=dispersion, series_break=series_break,
                           lower=rule.lower_bound)
    return status_for(rule, year, bool(meets(rule, obs, base, r0))), a


def evaluate(ds: Dataset, part_id: str, year: int, area: str) -> Evaluation:
    """Evaluate one target part for one year and area."""
    part = ds.policy.part(part_id) if isinstance(part_id, str) else part_id
    area_name = ds.area_name(area)
    benchmark = area != ds.policy.municipality
    if part.qualitative:
        return Evaluation(part, None, year, area, area_name, "niet_meetbaar", benchmark=benchmark, policy=ds.policy,
                          policy_owner=ds.area_name(ds.policy.municipality),
                          verdict_nl="Niet meetbaar met cijfers; het beleidsdocument beschrijft wat er is gedaan.")
    ind = ds.indicators[part.indicator]
    rule = part.rule
    ev = Evaluation(part, ind, year, area, area_name, "onvoldoende_gegevens", benchmark=benchmark, policy=ds.policy,
                    policy_owner=ds.area_name(ds.policy.municipality))
    if benchmark:
        ev.context_nl.append(f"Dit doel is van {_policy_municipality(ds)} en wordt hier als maatstaf toegepast op "
                             f"{area_name}; {area_name} heeft dit doel zelf niet vastgesteld.")
    if rule.is_threshold:
        return _evaluate_threshold(ds, ev)

    ev.baseline = _figure(ds, ind.id, area, rule.baseline_year)
    ev.caveats = [c.text_nl for c in ind.caveats_for([rule.baseline_year, year], area)]
    merged = boundary_note(ds, area, rule.baseline_year, year)
    own_note = any(c.kind == "note" and area in c.areas for c in ind.caveats_for([rule.baseline_year, year], area))
    if merged and not own_note:   # an indicator's own note on this municipality says it already
        ev.caveats.append(f"Herindeling: {merged}")
    if year <= rule.baseline_year:
        ev.status = "basisjaar"
        base = "onbekend" if ev.baseline is None else nl_value(ev.baseline.value, ind.unit)
        ev.verdict_nl = (f"{year} ligt niet na het basisjaar {rule.baseline_year}: het doel ({rule.describe_nl()}) "
                         f"is in {year} nog niet te beoordelen. Basiswaarde {rule.baseline_year}: {base}.")
        if ev.baseline is None:
            ev.missing.append(_missing(ds, ind, area, rule.baseline_year))
        return ev

    ev.observed = _figure(ds, ind.id, area, year)
    if ev.baseline is not None:   # the target level is known as soon as the baseline is (for the chart)
        ev.required_final = ev.baseline.value * required_ratio(rule, rule.target_year)
    for fig, y in ((ev.baseline, rule.baseline_year), (ev.observed, year)):
        if fig is None:
            ev.missing.append(_missing(ds, ind, area, y))
    _note_provisional(ds, ev, [ev.baseline, ev.observed])
    ev.dispersion, ev.dispersion_years, ev.panel = dispersion_for(ds, ind, area, year, rule.baseline_year)
    own_series = ds.observations.series(ind.id, area)
    ev.series_mean = float(own_series.value.mean()) if len(own_series) else None
    ev.national = compare_national(ds, ind, area, rule.baseline_year, year,
                                   ev.dispersion.for_national if ev.dispersion is not None else None)
    if ev.missing:
        ev.verdict_nl = ("Onvoldoende gegevens om het doel te toetsen. Ontbreekt: "
                         + "; ".join(m.text_nl() for m in ev.missing) + ".")
        return ev

    base, obs = ev.baseline.value, ev.observed.value
    ev.change_abs = obs - base
    ev.change_pct = (obs / base - 1) * 100 if base else None
    if base == 0:
        ev.status = "niet_te_beoordelen"
        ev.verdict_nl = (f"De basiswaarde ({rule.baseline_year}) is 0: een verhouding of procentuele verandering is "
                         f"niet te berekenen, dus dit doel is met deze cijfers niet te beoordelen.")
        return ev

    breaks = ind.breaks_between([rule.baseline_year, year], area)
    ev.required_ratio = required_ratio(rule, year)
    ev.required = base * ev.required_ratio
    ev.required_final = base * required_ratio(rule, rule.target_year)
    ev.allowed = allowed_count(rule, ev.required)
    ev.status, ev.assessment = judge(rule, base, obs, year, ev.dispersion, bool(breaks))
    ev.scenarios = _scenarios(ds, ev, bool(breaks))
    ev.verdict_nl = _verdict_sentence(ev)
    ev.stats_nl = _stats_sentence(ev)
    ev.dispersion_nl = _dispersion_sentence(ev)
    for c in breaks:
        ev.context_nl.append(f"Reeksbreuk tussen {rule.baseline_year} en {year} ({c.label_nl or 'registratiewijziging'}): "
                             f"{c.text_nl} Het oordeel kan daarom op de telling alleen niet 'duidelijk' zijn. De "
                             f"landelijke index heeft dezelfde breuk: die is de beste beschikbare vergelijking, als de "
                             f"registratiewijziging hier even sterk doorwerkte als landelijk.")
    for c in ind.caveats_for([rule.baseline_year, year], area):
        if c.kind == "abnormal_year":
            ev.context_nl.append(f"Ongewoon jaar ({c.label_nl or ', '.join(map(str, c.in_years))}): {c.text_nl}")
    ev.baseline_check_nl = baseline_check(ds, ev)
    if ev.baseline_check_nl:
        ev.context_nl.append(ev.baseline_check_nl)
    return ev


def _next_figure(ds: Dataset, ev: Evaluation) -> tuple[int, float, str] | None:
    """The first figure after the baseline year that lies on the same side of every break:
    the municipality's own, else one implied by a statement of the policy document (a stated
    change from that year to a year with a figure). (year, value, how it is known)."""
    ind, rule, area = ev.indicator, ev.part.rule, ev.area_code
    series = Series.of(ds, ind.id, area)
    same_side = [y for y in range(rule.baseline_year + 1, ev.year + 1) if series.same_registration(rule.baseline_year, y)]
    for y in same_side:
        f = _figure(ds, ind.id, area, y)
        if f is not None:
            return y, f.value, f"{nl_int(f.value)} in {y}"
    for c in ds.policy.checks:
        if c.kind == "change" and c.indicator == ind.id and c.area == area and c.from_year in same_side:
            to = _figure(ds, ind.id, area, c.to_year)
            if to is not None and c.stated_change > -1:
                v = to.value / (1 + c.stated_change)
                return c.from_year, v, (f"ongeveer {nl_int(round(v))} in {c.from_year} (afgeleid: {nl_int(to.value)} in "
                                         f"{c.to_year} en de {nl_pct(100 * c.stated_change, 0)} die het beleidsdocument "
                                         f"voor {c.from_year}–{c.to_year} noemt)")
    return None


def baseline_check(ds: Dataset, ev: Evaluation) -> str:
    """A baseline whose change to the next known year departs from the national change over the
    same years beyond noise is flagged: it may rest on other boundaries or another definition.
    '' when it fits, or when there is nothing to check it against."""
    ind, rule = ev.indicator, ev.part.rule
    if ev.baseline is None or not ev.baseline.value or not ind.national_indicator:
        return ""
    nxt = _next_figure(ds, ev)
    if nxt is None:
        return ""
    y, value, how = nxt
    nb = _figure(ds, ind.national_indicator, ind.national_area, rule.baseline_year)
    nn = _figure(ds, ind.national_indicator, ind.national_area, y)
    if nb is None or nn is None or not nb.value:
        return ""
    r_nat = nn.value / nb.value
    a = stats.assess_ratio(int(round(value)), int(ev.baseline.value), r_nat, dispersion=ev.dispersion)
    if a.qualifier == stats.WITHIN_NOISE:
        return ""
    local = value / ev.baseline.value
    others = ds.observations.alternatives(ind.id, ev.area_code, rule.baseline_year)
    alt = (f" Een andere bron geeft voor {rule.baseline_year} {nl_int(others[0].value)}; het oordeel onder elk cijfer "
           f"staat hieronder." if others else "")
    if a.robust is not None:
        beyond = "is, ook met de geschatte schommeling van jaar tot jaar, groter dan toeval kan verklaren"
    else:
        beyond = ("is, als de gewone schommeling van jaar tot jaar klein is, groter dan toeval kan verklaren"
                  + (f", en blijft dat bij een extra jaar-op-jaarschommeling tot {nl_num(100 * a.tipping, 0)}%"
                     if a.tipping is not None else ""))
    return (f"Controle van het basiscijfer: van {nl_int(ev.baseline.value)} in {rule.baseline_year} naar {how} is "
            f"{nl_pct(100 * (local - 1), 0)}; landelijk over dezelfde jaren {nl_pct(100 * (r_nat - 1), 0)}. Die afwijking "
            f"van de landelijke ontwikkeling {beyond}: het basiscijfer kan op een andere gemeentegrens of een andere "
            f"definitie berusten. Het oordeel rust op dit basiscijfer; controleer het bij de bron.{alt}")


def _note_provisional(ds: Dataset, ev: Evaluation, figures) -> None:
    """A figure the publisher marks provisional ('Voorlopig') is said so beside the verdict."""
    prov = sorted({f.year for f in figures if f is not None and f.source_id in ds.sources
                   and ds.sources[f.source_id].is_provisional(f.year)})
    if prov:
        years = " en ".join(map(str, prov))
        ev.context_nl.append(f"Voorlopig cijfer ({years}): de bron markeert het als voorlopig. Het kan nog worden "
                             f"bijgesteld, en daarmee ook dit oordeel.")


def _policy_municipality(ds: Dataset) -> str:
    return f"{ds.area_name(ds.policy.municipality)} ({ds.policy.municipality})"


def _source_name(ds: Dataset, sid: str) -> str:
    s = ds.sources.get(sid)
    return f"{s.title_nl} ({s.kind_label})" if s else sid


def _scenarios(ds: Dataset, ev: Evaluation, series_break: bool) -> list[Scenario]:
    """The verdict under the chosen figures and under every other source's baseline or
    evaluation-year figure, so that a verdict that depends on the source says so."""
    rule, ind = ev.part.rule, ev.indicator
    alt_base = [Figure(int(r.year), float(r.value), str(r.source_id), str(r.origin))
                for r in ds.observations.alternatives(ind.id, ev.area_code, rule.baseline_year)]
    alt_obs = [Figure(int(r.year), float(r.value), str(r.source_id), str(r.origin))
               for r in ds.observations.alternatives(ind.id, ev.area_code, ev.year)]
    if not alt_base and not alt_obs:
        return []
    out = []
    for b in [ev.baseline] + alt_base:
        for o in [ev.observed] + alt_obs:
            chosen = b is ev.baseline and o is ev.observed
            if b.value == 0:
                status, q = "niet_te_beoordelen", None
            else:
                status, a = judge(rule, b.value, o.value, ev.year, ev.dispersion, series_break)
                q = a.qualifier
            label = status_label(status, rule)
            ql = qualifier_label(status, rule, q, ev.dispersion is None)
            text = (f"met {nl_value(b.value, ind.unit)} voor {b.year} uit {_source_name(ds, b.source_id)} en "
                    f"{nl_value(o.value, ind.unit)} voor {o.year} uit {_source_name(ds, o.source_id)}: "
                    f"{label}" + (f" ({ql})" if ql else "") + (" — gekozen volgens de voorrangsregel" if chosen else ""))
            out.append(Scenario(b, o, status, q, chosen, text))
    return out


def _evaluate_threshold(ds: Dataset, ev: Evaluation) -> Evaluation:
    """A level given as a number: 'een 7,5 of hoger' (a mark), 'niet meer dan 300' (a count), a row of
    streefwaarden per year, a rate per 1,000 inhabitants (the same year's population)."""
    ind, rule = ev.indicator, ev.part.rule
    ev.observed = _figure(ds, ind.id, ev.area_code, ev.year)
    _note_provisional(ds, ev, [ev.observed])
    ev.national = None
    level = rule.threshold_for(ev.year)
    final = rule.threshold_for(rule.target_year)
    if level is None:
        ev.status = "niet_te_beoordelen"
        years = ", ".join(str(y) for y, _ in rule.thresholds)
        ev.verdict_nl = f"Voor {ev.year} noemt het doel geen streefwaarde (wel voor {years})."
        return ev
    required, final_required, pop = level, final, None
    if rule.per:
        pop = _figure(ds, "population", ev.area_code, ev.year)
        if pop is None or not pop.value:
            ev.missing.append(_missing(ds, ds.indicators["population"], ev.area_code, ev.year))
        else:
            required = level * pop.value / rule.per
            final_required = None if final is None else final * pop.value / rule.per
    ev.required, ev.required_final = required, final_required
    if ev.observed is None:
        ev.missing.insert(0, _missing(ds, ind, ev.area_code, ev.year))
    if ev.missing:
        ev.verdict_nl = "Onvoldoende gegevens om het doel te toetsen. Ontbreekt: " + "; ".join(m.text_nl() for m in ev.missing) + "."
        return ev
    met = bool(meets(rule, ev.observed.value, required, 1.0))
    ev.status = status_for(rule, ev.year, met)
    side = "of hoger" if rule.lower_bound else "of lager"
    if ind.is_count:
        ev.allowed = allowed_count(rule, required)
    shown = (nl_num(level, 2) if rule.per else nl_value(level, ind.unit)) + rule.per_nl
    if rule.per:
        rate = ev.observed.value * rule.per / pop.value
        obs_text = f"{nl_num(rate, 2)}{rule.per_nl} ({nl_int(ev.observed.value)} in totaal)"
    else:
        obs_text = nl_value(ev.observed.value, ind.unit)
    what = f"het aantal {_lc(ind.label_nl)}" if ind.is_count else f"het {_lc(ind.label_nl)}"
    if ev.final:
        head = f"{ev.status_nl.capitalize()}: {what} was in {ev.year} {obs_text}"
    else:
        head = (f"Tussenstand {ev.year} (het doel geldt voor {rule.target_year}): {what} was "
                f"{obs_text}, {ev.status_nl.replace('tussenstand: ', '')}")
    ev.verdict_nl = f"{head}; vereist is {shown} {side} ({rule.describe_nl()})."
    if not ind.is_count:
        ev.stats_nl = ("Geen toets: voor een rapportcijfer uit een enquête is een betrouwbaarheidsinterval alleen te geven "
                       "met de steekproefomvang en spreiding van die enquête; lever die aan om de onzekerheid te tonen.")
        return ev
    # a count against a fixed level: the exact Poisson 95% margin of the count's expected value
    lo, hi = stats.count_interval(int(ev.observed.value))
    below, above = hi < required, lo > required
    ev.level_qualifier = (stats.CLEAR_MET if below != rule.lower_bound else stats.CLEAR_NOT_MET) if below or above \
        else stats.WITHIN_NOISE
    margin = f"{nl_num(lo, 1)}–{nl_num(hi, 1)}"
    if ev.level_qualifier == stats.WITHIN_NOISE:
        ev.sure_nl = (f"**Zekerheid: onbeslist, binnen de ruis.** Een telling schommelt ook door toeval: de 95%-marge van "
                      f"het verwachte aantal is {margin}, en die omvat de grens {nl_num(required, 1)}.")
    else:
        ev.sure_nl = (f"**Zekerheid: duidelijk.** Ook met het toeval van de telling (95%-marge van het verwachte aantal "
                      f"{margin}) ligt het aantal helemaal aan één kant van de grens {nl_num(required, 1)}. Dit rust op "
                      f"alleen het toeval van de telling: de schommeling van jaar tot jaar is niet meegerekend.")
    ev.stats_nl = (f"Exacte Poisson-marge (95%) van het verwachte aantal bij {nl_int(ev.observed.value)} getelde: {margin}; "
                   f"de grens is {nl_num(required, 2)}" + (f" ({nl_num(level)}{rule.per_nl}, met de bevolking van "
                                                               f"{ev.year})" if rule.per else "") + ".")
    return ev


def _what(ev: Evaluation) -> str:
    u, rule = ev.indicator.unit, ev.part.rule
    return (f"{nl_value(ev.observed.value, u)} in {ev.year} tegen {nl_value(ev.baseline.value, u)} in {rule.baseline_year} "
            f"({'+' if ev.change_abs > 0 else ''}{nl_int(ev.change_abs)}; {nl_pct(ev.change_pct)})")


def _required_text(ev: Evaluation, year: int, required: float) -> str:
    """'ten hoogste 286 (0,8 × 358 = 286,4)': the whole count that meets the rule, and how it follows."""
    rule = ev.part.rule
    allowed = allowed_count(rule, required)
    base = nl_int(ev.baseline.value)
    most = "ten minste" if rule.lower_bound else "ten hoogste"
    if rule.kind == "relative_change":
        r = required_ratio(rule, year)
        how = f"{nl_num(r, 3 if round(r, 2) != r else 2)} × {base} = {nl_num(required, 1)}"
        return f"{most} {nl_int(allowed)} ({how})"
    if rule.kind == "below_baseline":
        return f"minder dan {base}, dus ten hoogste {nl_int(allowed)}"
    if rule.kind == "above_baseline":
        return f"meer dan {base}, dus ten minste {nl_int(allowed)}"
    return f"{most} {nl_int(allowed)} (het niveau van {rule.baseline_year})"


def _verdict_sentence(ev: Evaluation) -> str:
    ind, rule = ev.indicator, ev.part.rule
    label = _lc(ind.label_nl)
    if ev.final:
        return (f"{ev.status_nl.capitalize()}: {label}: {_what(ev)}. Het doel ({rule.describe_nl()}) vraagt in "
                f"{ev.year} {_required_text(ev, ev.year, ev.required)}.")
    head = f"Tussenstand {ev.year} (het doel geldt voor {rule.target_year}; dit is een voortgangsmeting, geen toets van het doel)"
    if rule.kind == "relative_change":
        return (f"{head}: {label}: {_what(ev)}. Op het rechte pad van {nl_int(ev.baseline.value)} ({rule.baseline_year}) "
                f"naar {nl_num(ev.required_final, 1)} ({rule.target_year}) hoort in {ev.year} "
                f"{_required_text(ev, ev.year, ev.required)}: {ev.status_nl.replace('tussenstand: ', '')}.")
    where = ev.status_nl.replace("tussenstand: ", "")
    return (f"{head}: {label}: {_what(ev)}. Het doel vraagt in {rule.target_year} "
            f"{_required_text(ev, rule.target_year, ev.required_final)}; in {ev.year} lag het aantal {where}.")


def _interval_text(iv) -> str:
    return nl_interval(iv.low, iv.high)


def _stats_sentence(ev: Evaluation) -> str:
    a, rule = ev.assessment, ev.part.rule
    cmp = ("groter dan" if a.strict else "ten minste") if a.lower else ("kleiner dan" if a.strict else "ten hoogste")
    q = a.qualifier
    lines = []
    if a.dispersion is None and q in CLEAR:   # the condition first, then the conclusion
        lines.append("Voorwaarde: er is geen schatting van de extra jaar-op-jaarschommeling (overdispersie); wat "
                     "hieronder 'duidelijk' heet, geldt bij alleen Poisson-toeval (zie het kantelpunt).")
    lines.append(f"Zekerheid: {ev.qualifier_nl}. De vraag is of de verhouding {ev.year}/{rule.baseline_year} "
                 f"{cmp} {nl_num(a.r0, 3 if round(a.r0, 2) != a.r0 else 2)} is; gemeten is {nl_num(a.estimate, 2)}.")
    lines.append(f"95%-interval van die verhouding bij alleen Poisson-toeval (beide tellingen schommelen; exacte "
                 f"conditionele methode): {_interval_text(a.exact)}, tweezijdig {nl_p(a.p_exact)}.")
    if a.robust is not None:
        whose = {"peers": "van de vergelijkbare gemeenten", "pool": "van alle gemeenten samen"}.get(
            a.dispersion.origin, "van de eigen reeks")
        lines.append(f"Robuust 95%-interval, met de overdispersie {whose}: {_interval_text(a.robust)}, "
                     f"tweezijdig {nl_p(a.p_robust)}. De zekerheid volgt uit dit robuuste interval.")
    if q == stats.BREAK:
        lines.append("Het interval ligt aan één kant van de grens, maar de reeks is tussen de twee jaren gebroken: "
                     "het verschil is vermoedelijk deels een registratie-effect. Zie de landelijke vergelijking.")
    elif q == stats.WITHIN_NOISE:
        lines.append("Het interval omvat de grens: het verschil met het vereiste niveau valt binnen de toevalsmarge, "
                     "en een volgend jaar kan aan de andere kant van de grens uitkomen.")
    elif a.dispersion is None:
        lines.append("Bij alleen Poisson-toeval ligt het hele interval aan één kant van de grens; of het verschil ook "
                     "groter is dan de gewone jaar-op-jaarschommeling, hangt af van die schommeling (kantelpunt hieronder).")
    else:
        lines.append("Het hele robuuste interval ligt aan één kant van de grens: het verschil is groter dan toeval, ook "
                     "met de geschatte extra jaar-op-jaarschommeling, kan verklaren.")
    return " ".join(lines)


def _pct(x: float) -> str:
    return f"{nl_num(100 * x, 0)}%"


def _parts_text(d: Dispersion, lag: int) -> str:
    """The split of a dispersion estimate: own part (with its uncertainty and any widening for
    autocorrelation), the shared part, the total; what the national comparison uses."""
    if d.tau_idio is None:
        return f"een extra jaar-op-jaarschommeling van {_pct(d.tau)}"
    own = f"een eigen extra jaar-op-jaarschommeling van {_pct(d.tau_idio)}"
    if d.interval is not None:
        own += f" (95%-interval {nl_num(100 * d.interval[0], 0)}–{_pct(d.interval[1])})"
    if d.widened > 1.01:
        own += (f", verbreed met factor {nl_num(math.sqrt(d.widened), 2)} omdat de afwijkingen van opeenvolgende jaren "
                f"samenhangen (autocorrelatie {nl_num(d.rho, 2)}) en de vergelijking {lag} jaar overspant")
    shared = ""
    if d.tau_common is not None:
        shared = (f", plus {_pct(d.tau_common)} schommeling die alle gemeenten delen (uit de landelijke reeks"
                  + (", met de ongewone jaren, omdat het basis- of evaluatiejaar er een is" if d.abnormal else
                     ", zonder ongewone jaren") + f"): samen {_pct(d.tau)}")
    return own + shared


def _dispersion_sentence(ev: Evaluation) -> str:
    """How overdispersion was handled: the estimate (its parts and uncertainty), or the tipping
    point when there is none."""
    a = ev.assessment
    d = ev.dispersion
    lag = ev.year - ev.part.rule.baseline_year if ev.part.rule and ev.part.rule.baseline_year else 0
    skipped = (f" Jaren {', '.join(map(str, d.excluded_years))} tellen niet mee in de schatting (ongewoon jaar of "
               f"reeksbreuk)." if d is not None and d.excluded_years else "")
    national = (" De vergelijking met Nederland gebruikt alleen het eigen deel: gedeelde schommelingen vallen daar weg."
                if d is not None and d.tau_idio is not None else "")
    if d is not None and d.origin in ("peers", "pool"):
        return (f"Overdispersie: politie- en ongevallentellingen schommelen van jaar tot jaar meer dan zuiver "
                f"toeval (Poisson). Geschat uit de landelijke gegevens ({d.years[0]}–{d.years[-1]}), {d.method}: "
                f"{_parts_text(d, lag)}; het robuuste interval rekent die mee.{skipped}{national} Dezelfde schatting "
                f"geldt in de landelijke tabel (`ivb national`).")
    if d is not None:
        mean = ev.series_mean
        weak = (f" Bij tellingen rond {nl_int(mean)} per jaar en {d.df} vrijheidsgraden zegt zo'n schatting weinig: in "
                f"simulaties (docs/methods.md) geeft bij tellingen rond 20 tot de helft van zulke reeksen 0%, ook als de "
                f"werkelijke schommeling 10% is."
                if mean is not None and mean < 50 else "")
        return (f"Overdispersie: politie- en ongevallentellingen schommelen van jaar tot jaar meer dan zuiver "
                f"toeval (Poisson). De eigen reeks van {ev.area_name} ({len(d.years)} jaren, {d.years[0]}–{d.years[-1]}) "
                f"geeft {_parts_text(d, lag)} ({d.method}; Pearson-dispersie {nl_num(d.pearson_phi, 2)}); het "
                f"robuuste interval rekent die mee.{weak}{skipped}{national}")
    short = (f"De eigen reeks van {ev.area_name} heeft {ev.dispersion_years} jaarcijfer(s); voor een schatting zijn er "
             f"minstens {stats.MIN_DISPERSION_YEARS} nodig.")
    if ev.panel:
        short = ("Ook alle gemeenten samen hebben te weinig bruikbare jaren (tellingen van minstens "
                 f"{stats.MIN_PANEL_COUNT} per jaar, zonder reeksbreuk) voor een schatting uit de landelijke gegevens.")
    intro = ("Overdispersie: politie- en ongevallentellingen schommelen van jaar tot jaar vaak meer dan zuiver toeval "
             f"(Poisson). {short}")
    if a is None:
        return intro
    if a.tipping is None:
        return (f"{intro} Al bij alleen Poisson-toeval valt het verschil binnen de ruis; extra schommeling maakt het "
                f"interval alleen breder, dus de conclusie 'binnen de ruis' blijft staan.")
    what = ("als er geen reeksbreuk was, zou het verschil groter zijn dan toeval" if a.qualifier == stats.BREAK else
            f"de conclusie '{ev.qualifier_nl}' blijft staan")
    return (f"{intro} Kantelpunt: {what} zolang die extra schommeling kleiner is dan {nl_num(100 * a.tipping, 0)}% "
            f"per jaar; bij meer zou het verschil binnen de ruis vallen.")


def compare_national(ds: Dataset, ind: Indicator, area: str, base_year: int, year: int,
                     dispersion: Dispersion | None = None) -> NationalComparison | None:
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
    name = ds.area_name(area)
    if lb is None or lv is None or not lb.value or nc.index is None:
        nc.text_nl = nat_txt + f" De verandering in {name} over dezelfde jaren is nog niet bekend, dus een vergelijking ontbreekt."
        return nc
    nc.local_index = 100 * lv.value / lb.value
    r_nat = nc.index / 100
    a = stats.assess_ratio(int(lv.value), int(lb.value), r_nat, dispersion=dispersion)
    nc.assessment = a
    rel = nc.local_index / nc.index
    if abs(rel - 1) < 1e-9:
        how = "precies zoals landelijk"
    elif round(rel, 2) == 1.0:   # the ratio shown is 1,00: 'even sterk', not 'minder sterk'
        how = f"{'steeg' if nc.local_index >= 100 else 'daalde'} even sterk als landelijk"
    else:
        how = ("sterker dan landelijk" if (rel > 1) == (nc.local_index >= 100) else "minder sterk dan landelijk")
        how = f"{'steeg' if nc.local_index >= 100 else 'daalde'} {how}"
        if (nc.local_index >= 100) != (nc.index >= 100):
            how = f"{'steeg' if nc.local_index >= 100 else 'daalde'}, terwijl het landelijk {'steeg' if nc.index >= 100 else 'daalde'}"
    iv = a.decisive
    which = "robuust, met overdispersie" if a.robust is not None else "bij alleen Poisson-toeval"
    if a.qualifier == stats.WITHIN_NOISE:
        noise = "dat verschil met de landelijke ontwikkeling valt binnen de ruis"
    elif dispersion is None:   # the condition first
        noise = ("als de gewone schommeling van jaar tot jaar klein is, is dat verschil met de landelijke ontwikkeling "
                 "groter dan toeval kan verklaren")
    else:
        noise = "dat verschil met de landelijke ontwikkeling is groter dan toeval kan verklaren"
    nc.how_nl, nc.noise_nl = how, noise
    ratio_iv = nl_interval(iv.low / r_nat, iv.high / r_nat)
    nc.text_nl = f"{nat_txt} {name}: index {nl_num(nc.local_index, 0)}. Het aantal {how}; {noise}."
    nc.stats_nl = (f"Vergelijking met Nederland: verhouding gemeente/land {nl_num(rel, 2)}, 95%-interval {ratio_iv} "
                   f"{which}; tweezijdig {nl_p(a.pvalue)}.")
    if dispersion is None and a.tipping is not None:
        nc.text_nl += (f" Met extra jaar-op-jaarschommeling blijft die conclusie staan zolang die schommeling "
                       f"kleiner is dan {nl_num(100 * a.tipping, 0)}%.")
    if ind.breaks_between([base_year, year], area):
        nc.text_nl += (" De landelijke reeks heeft dezelfde registratiewijziging: dit is de beste beschikbare "
                       "vergelijking, als die wijziging hier even sterk doorwerkte als landelijk.")
    return nc


# --- statements of the policy document, checked against the data ---------------------------------
