"""Tables and text for the notebooks and HTML reports (Dutch, for a council member)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.datastatus import data_status_text as data_status_text  # re-exported: part of the report API
from ..data.datastatus import policy_indicators, provenance_nl
from ..data.rates import per_1000 as rate_per_1000
from ..fmt import nl_date, nl_int, nl_interval, nl_num, nl_p, nl_pct, nl_ratio, nl_value
from ..panel.table import boundary_note
from ..panel.view import membership
from ..verdict import comparison as peers
from ..verdict.evaluate import Evaluation
from ..verdict.rules import CLEAR, MET, NOT_MET
from ..verdict.signals import signal_label
from ..verdict.statements import evaluate_check
from .statements import statement_text
from .summary import CONCEPT, concept_detail
from .summary import kort_md as kort_md  # re-exported: part of the report API
from .text import Md as Md  # re-exported: part of the report API
from .text import strength_nl


def indicators_of(ev: Evaluation) -> list[str]:
    """The indicators a target report shows: its own, the national counterpart, the population."""
    ind = ev.indicator
    if ind is None:
        return []
    return [i for i in dict.fromkeys([ind.id, ind.national_indicator, "population"]) if i]


def verdict_md(ev: Evaluation) -> Md:
    """The verdict and its qualifier in bold, the verdict sentence, what lies beside it (a break,
    an abnormal year, a benchmark, figures that differ per source), the statistics and how
    overdispersion was handled."""
    head = f"**Oordeel: {ev.status_nl.upper()}**"
    if ev.qualifier_nl:
        head += f" · **Zekerheid: {ev.qualifier_nl}**"
    parts = [head, "", ev.verdict_nl]
    for c in ev.context_nl:
        parts += ["", f"- {c}"]
    if ev.scenarios:
        sens = ("Het oordeel hangt af van welke bron telt." if ev.source_sensitive
                else "Het oordeel is onder elke bron hetzelfde.")
        parts += ["", f"**Bronnen geven verschillende cijfers.** {sens}"]
        parts += [f"- {s.text_nl[:1].upper() + s.text_nl[1:]}" for s in ev.scenarios]
    if ev.stats_nl:
        parts += ["", ev.stats_nl]
    if ev.dispersion_nl:
        parts += ["", ev.dispersion_nl]
    if ev.national and ev.national.stats_nl:
        parts += ["", ev.national.stats_nl]
    if supply_text(ev):
        parts += ["", supply_text(ev)]
    return Md("\n".join(parts))


def target_md(ev: Evaluation) -> Md:
    """The target as quoted, whose targets they are and where the policy file says they are quoted."""
    p = ev.part
    owner, short, where = ev.policy_owner, ev.policy.short_title, ev.policy.where_short
    lines = []
    if ev.benchmark:
        lines += [f"**Let op: dit zijn de doelen van {owner} ({short}), hier als maatstaf toegepast op "
                  f"{ev.area_name}.** {ev.area_name} heeft deze doelen niet zelf vastgesteld; de toelichtingen uit het "
                  f"beleidsdocument van {owner} worden hier niet getoond.", ""]
    lines += [f"> “{p.quote}”", "", f"Thema: {p.theme_name}. Bron van het doel: {where}.", ""]
    if p.rule:
        lines.append(f"- Getoetste regel: {p.rule.describe_nl()}. Het doeljaar {p.rule.target_year} is de toets; "
                     f"eerdere jaren zijn tussenstanden.")
    if ev.indicator is not None:
        lines.append(f"- Indicator: {ev.indicator.label_nl}. {ev.indicator.definition}")
    if p.note:
        lines.append(f"- Meetwijze: {p.note}")
    if p.document_note and not ev.benchmark:
        lines.append(f"- Wat het beleidsdocument zelf zegt: {p.document_note}")
    return Md("\n".join(lines))


def national_md(ev: Evaluation) -> Md:
    return Md(ev.national.text_nl if ev.national else "Geen landelijke reeks voor deze indicator.")


def caveats_missing_md(ev: Evaluation) -> Md:
    return Md("**Kanttekeningen**\n\n" + caveats_text(ev) + "\n\n**Ontbrekende cijfers**\n\n" + missing_text(ev))


def data_table(ds: Dataset, ev: Evaluation) -> pd.DataFrame:
    """Every figure of this indicator for the municipality and the national series, with source."""
    ind = ev.indicator
    frames = [ds.observations.series(ind.id, ev.area_code)]
    if ind.national_indicator:
        frames.append(ds.observations.series(ind.national_indicator, ind.national_area))
    t = pd.concat(frames, ignore_index=True)
    if t.empty:
        return Md(f"Nog geen cijfers van {ind.label_nl.lower()} voor {ev.area_name} of Nederland.")
    rate = ind.is_count and ind.better != "none"
    return pd.DataFrame({
        "gebied": t.area_name + " (" + t.area_code + ")",
        "jaar": t.year.astype(int),
        "waarde": [nl_value(v, ind.unit) + (" (voorlopig)" if ds.sources[s].is_provisional(y) else "")
                   for v, s, y in zip(t.value, t.source_id, t.year)],
        **({"per 1.000 inwoners": [per_1000(ds, a, int(y), v) for a, y, v in zip(t.area_code, t.year, t.value)]} if rate else {}),
        "bron": [f"{ds.sources[s].publisher}: {ds.sources[s].title_nl}" for s in t.source_id],
        "soort bron": [ds.sources[s].kind_label for s in t.source_id],
        "opgehaald": [nl_date(ds.sources[s].retrieved) for s in t.source_id],
    }).set_index(["gebied", "jaar"])


def per_1000(ds: Dataset, area: str, year: int, value: float) -> str:
    """A rate per 1,000 inhabitants with the population of the same year only — the one rate rule
    of every notebook and chart (panel/view.py `rates` divides by the same year's population too);
    without that year's population '–', saying which population is missing."""
    pop = ds.observations.get("population", area, int(year))
    if pop is None or not pop.value:
        m = ds.municipalities.by_code.get(area) if ds.municipalities is not None else None
        if m is not None and m.valid_from and int(year) < m.valid_from:
            # CBS counts population on each year's own boundaries: no inhabitants before the municipality
            # existed, and no rate from its predecessors either (docs/methods.md, rates and boundaries)
            return f"– ({m.name} bestaat sinds {m.valid_from}: geen inwonertal voor {int(year)})"
        return f"– (geen inwonertal {int(year)})"
    return nl_num(rate_per_1000(value, pop.value), 2)


def _iv(iv) -> str:
    return nl_interval(iv.low, iv.high)


def key_figures(ev: Evaluation) -> pd.DataFrame:
    """Baseline, observed, change, required level, verdict, qualifier and the intervals, one row each."""
    u = ev.indicator.unit if ev.indicator else "count"
    rule = ev.part.rule
    rows = [("Oordeel", ev.status_nl)]
    if ev.qualifier_nl:
        rows.append(("Zekerheid", ev.qualifier_nl))
    if rule and rule.baseline_year:
        rows.append((f"Basiswaarde {rule.baseline_year}", nl_value(ev.baseline.value, u) if ev.baseline else "ontbreekt"))
    rows.append((f"Waarde {ev.year}", nl_value(ev.observed.value, u) if ev.observed else "ontbreekt"))
    if ev.change_abs is not None:
        rows.append(("Verandering", f"{'+' if ev.change_abs > 0 else ''}{nl_value(ev.change_abs, u)}"
                     + (f" ({nl_pct(ev.change_pct)})" if ev.change_pct is not None else "")))
    if ev.allowed is not None:
        label = (f"Vereist in {ev.year}" if ev.final else f"Op het pad naar het doel in {ev.year}"
                 if rule.kind == "relative_change" else f"Vereist niveau (doeljaar {rule.target_year})")
        rows.append((label, f"ten hoogste {nl_int(ev.allowed)}"
                     + (f" (exact {nl_num(ev.required, 1)})" if abs(ev.required - round(ev.required)) > 1e-9 else "")))
    elif ev.required is not None:
        rows.append((f"Vereist in {ev.year}", f"{nl_num(ev.required, 1)} of hoger"))
    a = ev.assessment
    if a is not None:
        rows += [(f"Verhouding {ev.year}/{rule.baseline_year}", f"{nl_num(a.estimate, 2)} (vereist "
                  f"{'kleiner dan' if a.strict else 'ten hoogste'} {nl_num(a.r0, 3 if round(a.r0, 2) != a.r0 else 2)})"),
                 ("95%-interval (Poisson, exact)", f"{_iv(a.exact)} · tweezijdig {nl_p(a.p_exact)}")]
        if a.robust is not None:
            rows.append(("95%-interval (robuust, met overdispersie)", f"{_iv(a.robust)} · tweezijdig {nl_p(a.p_robust)}"))
        if ev.dispersion is not None:
            rows.append(("Overdispersie (extra jaar-op-jaarschommeling)", f"{nl_num(100 * ev.dispersion.tau, 0)}% "
                         f"(geschat uit {len(ev.dispersion.years)} jaren)"))
        else:
            rows.append(("Overdispersie", "niet te schatten (te weinig jaren)"
                         + (f"; kantelpunt {nl_num(100 * a.tipping, 0)}%" if a.tipping is not None else "")))
        if a.series_break:
            rows.append(("Reeksbreuk tussen de jaren", "ja"))
    if ev.scenarios:
        rows.append(("Bronafhankelijk", "ja: zie het oordeel" if ev.source_sensitive else "nee (bronnen verschillen, oordeel niet)"))
    return pd.DataFrame(rows, columns=["", "waarde"]).set_index("")


def _missing(ev: Evaluation) -> list:
    return list(ev.missing) + (list(ev.national.missing) if ev.national else [])


def missing_text(ev: Evaluation) -> str:
    """The missing figures for a council member: which, and that an analyst can supply them (how is in
    the analysts' part, supply_text)."""
    items = _missing(ev)
    if not items:
        return "Geen ontbrekende cijfers voor dit doel en jaar."
    lines = ["Deze cijfers ontbreken (de analist kan ze aanleveren; hoe staat in het deel voor analisten):", ""]
    lines += [f"- {m.text_nl()}." for m in items]
    return "\n".join(lines)


def supply_text(ev: Evaluation) -> str:
    """For the analyst: how to supply each missing figure ('' when none is missing)."""
    items = _missing(ev)
    if not items:
        return ""
    return "\n".join(["**Ontbrekende cijfers aanvullen**", ""] + [f"- {m.text_nl()}: {m.how_to_supply()}" for m in items])


def caveats_text(ev: Evaluation) -> str:
    if not ev.caveats:
        return "Geen bijzondere kanttekeningen bij deze reeks."
    return "\n".join(f"- {c}" for c in ev.caveats)


UNIT_NL = {"count": "aantal", "mark": "rapportcijfer"}
BETTER_NL = {"lower": "lager", "higher": "hoger", "none": "geen richting"}


def indicators_view(ds: Dataset) -> Table:
    """Every indicator of the data folder for an analyst, in Dutch: its id (for the parameters), name,
    unit and which direction is better."""
    return Table(pd.DataFrame([{"id": i.id, "indicator": i.label_nl, "eenheid": UNIT_NL.get(i.unit, i.unit),
                                "beter is": BETTER_NL.get(i.better, i.better)} for i in ds.indicators.values()]))


def observations_overview(ds: Dataset) -> Table:
    """What the validated observations hold, per indicator: areas, years, figures, sources — instead
    of the whole table (tens of thousands of rows with a national panel; `ds.observations.table`
    has them all)."""
    t = ds.observations.table
    rows = []
    for iid, grp in t.groupby("indicator", sort=False):
        ind = ds.indicators.get(iid)
        rows.append({"indicator": ind.label_nl if ind else iid, "id": iid,
                     "gebieden": nl_int(grp.area_code.nunique()),
                     "jaren": f"{int(grp.year.min())}–{int(grp.year.max())}",
                     "cijfers": nl_int(len(grp)), "bronnen": nl_int(grp.source_id.nunique())})
    return Table(pd.DataFrame(rows, columns=["indicator", "id", "gebieden", "jaren", "cijfers", "bronnen"]))


def sources_table(ds: Dataset, source_ids) -> Table:
    rows = [{"bron_id": s.id, "uitgever": s.publisher, "titel": s.title_nl, "vindplaats": s.url or s.document,
             "opgehaald": nl_date(s.retrieved), "soort": s.kind_label, "opmerking": s.note_nl}
            for sid in sorted(set(source_ids)) for s in [ds.sources[sid]]]
    return Table(pd.DataFrame(rows, columns=["bron_id", "uitgever", "titel", "vindplaats", "opgehaald", "soort", "opmerking"]))


def sources_for(ds: Dataset, ev: Evaluation) -> Table:
    ind = ev.indicator
    areas = [ev.area_code] + ([ind.national_area] if ind and ind.national_area else [])
    return sources_table(ds, ds.observations.rows_of([ind.id, ind.national_indicator], areas).source_id)


def disagreements(ds: Dataset, indicators: list[str] | None = None) -> pd.DataFrame:
    d = ds.observations.disagreements
    if indicators is not None:
        d = d[d.indicator.isin(indicators)]
    return d.reset_index(drop=True)


def qualitative_table(ds: Dataset, area: str | None = None) -> Table:
    """The qualitative parts with the policy document's own account — only for the policy's own
    municipality; for another one the parts are listed without the policy municipality's account."""
    own = area is None or area == ds.policy.municipality
    col = f"wat er volgens het {ds.policy.document_short} is gedaan"
    return Table(pd.DataFrame([{"thema": p.theme_name, "doel": p.quote,
                                col: p.account if own else (f"(verslag van {ds.area_name(ds.policy.municipality)}; niet van "
                                                            f"toepassing op {ds.area_name(area)})")}
                               for p in ds.policy.parts if p.qualitative], columns=["thema", "doel", col]))


def checks_text(ds: Dataset, area: str | None = None) -> str:
    """The policy document's statements, checked against the data — for the area they are about."""
    checks = [c for c in ds.policy.checks if area is None or c.area == area]
    if not checks:
        if ds.policy.checks:
            return (f"De controleerbare uitspraken van het beleidsdocument gaan over "
                    f"{ds.area_name(ds.policy.checks[0].area)}; voor {ds.area_name(area)} zijn er geen.")
        return "Geen controleerbare uitspraken."
    out = []
    for c in checks:
        r = evaluate_check(ds, c)
        out.append(f"- “{c.quote}” — **{r.status}**. {statement_text(ds, r)}")
    return "\n".join(out)


def _dash(v, fmt) -> str:
    return "–" if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else fmt(v)


# a cell that holds only a figure ('1.234', '+5%', '0,95', '–'): right-aligned; every other cell reads from the left
_FIGURE_CELL = re.compile(r"\s*([-+−]?\d[\d.,]*\s*%?|–)\s*")


class Table:
    """A table for a reader: HTML without pandas' index artefacts, text cells left-aligned and
    figures right-aligned (class `num`; the report stylesheet's `ivb-table`); plain text for a
    terminal and for nbval."""

    def __init__(self, df: pd.DataFrame):
        self.df = df

    def _repr_html_(self) -> str:
        out = self.df.to_html(index=False, classes="ivb-table", border=0, na_rep="–", escape=True)
        return re.sub(r"<td>([^<]*)</td>", lambda m: f'<td class="num">{m.group(1)}</td>'
                      if _FIGURE_CELL.fullmatch(m.group(1)) else m.group(0), out)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(self.df.to_string(index=False))


def _num(v) -> str:
    return _dash(v, lambda x: nl_num(x, 1 if x != int(x) else 0))


def scorecard_view(card: pd.DataFrame) -> Table:
    """The council's scorecard: per measurable target its verdict, certainty, value, what was
    required and how many peers met it — six columns that fit a screen of 800 px and A4 paper.
    The statistics are in `scorecard_stats_view`."""
    rows = [r for r in card.itertuples(index=False) if r.status != "niet_meetbaar"]
    return Table(pd.DataFrame({
        "doel": [r.doel for r in rows],
        "oordeel": [r.oordeel for r in rows],
        "zekerheid": [r.zekerheid or "–" for r in rows],
        "waarde": [_num(r.waarde) + ("" if pd.isna(r.basiswaarde) or pd.isna(r.basisjaar) else
                                     f" (basis {r.basisjaar}: {_num(r.basiswaarde)})") for r in rows],
        "vereist": [_dash(r.vereist_hoogstens, lambda x, low=getattr(r, "ondergrens", False): f"{'≥' if low else '≤'} {nl_int(x)}")
                    if pd.notna(r.vereist_hoogstens) else _dash(r.vereist, lambda x: f"≥ {nl_num(x, 1)}") for r in rows],
        "vergelijkbare gemeenten die het haalden": [r.vergelijkbare_gemeenten
                                                    if re.match(r"\d+ van \d+", str(r.vergelijkbare_gemeenten))
                                                    else "–" for r in rows],
    }))


def scorecard_stats_view(card: pd.DataFrame) -> Table:
    """The statistics behind the scorecard, for analysts: ratio with its 95% interval, p (Holm),
    the index against the Netherlands, whether the verdict depends on the source."""
    def interval(r):
        if pd.isna(r.verhouding):
            return "–"
        lo, hi = (r.interval_robuust_laag, r.interval_robuust_hoog) if pd.notna(r.interval_robuust_laag) else \
            (r.interval_poisson_laag, r.interval_poisson_hoog)
        kind = "robuust" if pd.notna(r.interval_robuust_laag) else "Poisson"
        return f"{nl_num(r.verhouding, 2)} ({nl_interval(lo, hi)}, {kind})"

    rows = [r for r in card.itertuples(index=False) if r.status != "niet_meetbaar"]
    return Table(pd.DataFrame({
        "doel": [r.doel_id for r in rows],
        "verhouding (95%-interval)": [interval(r) for r in rows],
        "vereiste verhouding": [_dash(r.vereiste_verhouding, lambda x: nl_num(x, 3 if round(x, 2) != x else 2)) for r in rows],
        "p (Holm)": [(r.p_waarde_tekst or "–") + (f" ({r.p_holm_tekst})" if r.p_holm_tekst else "") for r in rows],
        "index gemeente / NL": ["–" if pd.isna(r.gemeente_index) or pd.isna(r.landelijk_index)
                                else f"{nl_num(r.gemeente_index, 0)} / {nl_num(r.landelijk_index, 0)}" for r in rows],
        "bronafhankelijk": ["–" if r.bronafhankelijk is None or pd.isna(r.bronafhankelijk) else
                            ("ja" if r.bronafhankelijk else "nee") for r in rows],
    }))


def scorecard_kort_md(ds: Dataset, area: str, year: int, card: pd.DataFrame) -> Md:
    """Title and 'Kort' of a scorecard: how many targets were met, how sure, what is missing,
    the data basis; for another municipality, that these are the policy municipality's targets."""
    own = ds.policy.municipality
    lines = [f"# Scorekaart {ds.policy.title} — {ds.area_name(area)}, {year}", ""]
    if ds.policy.unreviewed:
        lines += [f"**{CONCEPT}** {concept_detail(ds)}", ""]
    if area != own:
        lines += [f"*De doelen van {ds.area_name(own)}, hier als maatstaf toegepast op {ds.area_name(area)}; "
                  f"verslagen en uitspraken uit het beleidsdocument van {ds.area_name(own)} gelden niet voor "
                  f"{ds.area_name(area)}.*", ""]
    m = card[card.status != "niet_meetbaar"]
    met = m[m.status.isin(MET)]
    not_met = m[m.status.isin(NOT_MET)]
    missing = m[m.status == "onvoldoende_gegevens"]
    clear = m.kwalificatie.isin(CLEAR)
    finals = int((m.doeljaar <= year).sum())
    word = "gehaald of op koers" if finals < len(m) else "gehaald"
    items = [f"**{len(met)} van de {len(m)} meetbare doelen {word}, {len(not_met)} niet**"
             + (f"; voor {len(missing)} ontbreken cijfers" if len(missing) else "") + "."
             + (f" {year} ligt vóór het doeljaar: dit zijn tussenstanden." if finals == 0 else ""),
             f"**Zekerheid:** {int(clear.sum())} van deze oordelen {'is' if int(clear.sum()) == 1 else 'zijn'} duidelijk "
             f"(groter dan de gewone schommeling van jaar tot jaar); de rest is onbeslist: binnen de ruis of over een "
             f"reeksbreuk heen, waar de vergelijking met Nederland het antwoord is (zie het rapport van dat doel).",
             f"{int((card.status == 'niet_meetbaar').sum())} doelen zijn niet meetbaar (kwalitatief); ze staan onderaan, "
             f"niet gescoord.",
             provenance_nl(ds, [area, "NL01"], policy_indicators(ds))]
    lines += ["## Kort", ""] + [f"- {i}" for i in items]
    return Md("\n".join(lines))


def disagreements_text(ds: Dataset, ev: Evaluation | None = None, listed: int = 8) -> str:
    """Figures two sources give differently: summarised per pair of sources (how many figures
    and indicators, the largest difference), then the first `listed` of them with labels and
    Dutch numbers; the rest are in `ds.observations.disagreements`."""
    inds = None
    if ev is not None and ev.indicator is not None:
        inds = [ev.indicator.id] + ([ev.indicator.national_indicator] if ev.indicator.national_indicator else [])
    d = disagreements(ds, inds)
    if d.empty:
        return "Geen verschillen tussen bronnen voor deze cijfers."

    def name(sid: str) -> str:
        src = ds.sources.get(sid)
        return f"{src.title_nl} ({nl_date(src.retrieved)})" if src else sid

    def label(iid: str) -> str:
        return ds.indicators[iid].label_nl if iid in ds.indicators else iid

    lines = ["Bronnen die een ander cijfer geven. Gekozen is volgens de vaste voorrangsregel: data/local, dan de cache, "
             "dan de landelijke download, dan de snapshot; daarbinnen analist, officiële tabel, beleidsdocument, persbericht.", ""]
    rel = (d.other_value - d.chosen_value).abs() / d.chosen_value.abs().where(d.chosen_value != 0)
    for (chosen, other), grp in d.assign(rel=rel).groupby(["chosen_source", "other_source"], sort=True):
        big = grp.rel.max()
        lines.append(f"- {name(other)} wijkt voor {grp.indicator.nunique()} indicator(en) ({len(grp)} cijfers) af van de "
                     f"gekozen {name(chosen)}" + (f"; het grootste verschil is {nl_num(100 * big, 1)}%." if pd.notna(big) else "."))
    shown = d.head(listed)
    lines += ["", "Voorbeelden:" if len(d) > listed else "De cijfers:"]
    def num(v: float) -> str:
        return nl_num(v, 0 if v == int(v) else 1)

    for r in shown.itertuples():
        lines.append(f"- {label(r.indicator)}, {ds.area_name(r.area_code)}, {r.year}: gekozen {num(r.chosen_value)}, "
                     f"ook {num(r.other_value)}")
    if len(d) > listed:
        lines.append(f"- … en {len(d) - listed} meer (in JupyterLab: `ds.observations.disagreements`).")
    return "\n".join(lines)


def verdicts_text(card: pd.DataFrame) -> str:
    """Per measurable target the verdict sentence (the qualitative ones have their own table)."""
    lines = [f"- **{r.doel}** ({r.oordeel}" + (f"; {r.zekerheid}" if r.zekerheid else "") + f"): {r.toelichting}"
             + (f" {r.basiscijfer_controle}" if getattr(r, "basiscijfer_controle", "") else "")
             for r in card.itertuples() if r.status != "niet_meetbaar"]
    return "\n".join(lines)


def family_text(card: pd.DataFrame) -> str:
    """How sure the set of target-year verdicts is as a whole (the Holm family, fixed in advance)."""
    fam = card[card.in_familie]
    m = len(fam)
    if m == 0:
        return ""
    names = ", ".join(fam.doel_id)
    chance = 100 * (1 - 0.95 ** m)
    text = (f"**De verdicten samen.** {m} doelen vormen de vooraf vastgelegde familie van toetsen in het doeljaar "
            f"({names}; een toets over een reeksbreuk heen telt niet mee, want die is nooit 'duidelijk'). Per doel "
            f"betekent 'duidelijk': buiten de 95%-marge. Zonder correctie is de kans dat minstens één van {m} zulke "
            f"oordelen bij toeval 'duidelijk' uitvalt ongeveer {nl_num(chance, 0)}%; de kolom p (Holm) corrigeert "
            f"daarvoor, zodat die kans voor de hele set ten hoogste 5% is.")
    tested = fam[fam.p_holm.notna()]
    if tested.empty:
        return text + " Het doeljaar is nog niet bereikt, of de cijfers ontbreken: er is nog geen gecorrigeerde toets."
    sure = tested[(tested.p_holm < 0.05) & tested.kwalificatie.isin(["duidelijk_gehaald", "duidelijk_niet_gehaald"])]
    loose = tested[(tested.p_holm >= 0.05) & tested.kwalificatie.isin(["duidelijk_gehaald", "duidelijk_niet_gehaald"])]
    text += (f" Na correctie blijven {len(sure)} van de {len(tested)} getoetste doelen duidelijk"
             + (f"; {', '.join(loose.doel_id)} {'is' if len(loose) == 1 else 'zijn'} per doel duidelijk, maar als deel "
                f"van de set niet (p (Holm) ≥ 0,05)" if len(loose) else "") + ".")
    return text


def series_table(ds: Dataset, indicator: str, area: str) -> pd.DataFrame:
    """Municipality and national values side by side per year, with the source ids."""
    ind = ds.indicators[indicator]
    local = ds.observations.series(indicator, area).set_index("year")
    cols = {f"{ds.area_name(area)}": local.value, "bron gemeente": local.source_id}
    if ind.national_indicator:
        nat = ds.observations.series(ind.national_indicator, ind.national_area).set_index("year")
        cols.update({"Nederland": nat.value, "bron landelijk": nat.source_id})
    t = pd.DataFrame(cols).sort_index()
    t.index.name = "jaar"
    def mark(sid, year) -> str:
        return " (voorlopig)" if isinstance(sid, str) and sid in ds.sources and ds.sources[sid].is_provisional(year) else ""
    for c, src in ((ds.area_name(area), "bron gemeente"), ("Nederland", "bron landelijk")):
        if c in t:
            t[c] = [nl_value(v, ind.unit) + mark(sid, y) if pd.notna(v) else "·" for v, sid, y in zip(t[c], t[src], t.index)]
    return t.fillna("·")


def _peer_comparison(ds: Dataset, ev: Evaluation):
    """The peer comparison of a report, or the sentence that says why there is none."""
    rule = ev.part.rule
    if ev.indicator is None or rule is None:
        return None, "Niet van toepassing: dit doel is kwalitatief."
    if rule.is_threshold and not ev.indicator.is_count:
        return None, ("Geen vergelijking met andere gemeenten: dit cijfer komt uit de eigen inwonersenquête van de "
                      "gemeente en bestaat niet als open data voor andere gemeenten.")
    if rule.is_threshold:
        return None, ("Geen vergelijking met andere gemeenten: het doel is een vaste grens van deze gemeente, geen "
                      "verandering die andere gemeenten met dezelfde regel kunnen halen.")
    if ev.year <= rule.baseline_year:
        return None, (f"Nog geen vergelijking met vergelijkbare gemeenten: {ev.year} ligt niet na het basisjaar "
                      f"{rule.baseline_year}.")
    cmp = peers.compare(ds, ev.part.id, ev.area_code, ev.year)
    if cmp is None:
        return None, peers.missing_text(ds, ev.indicator.id, ev.area_code, ev.year, how=False)
    return cmp, ""


def peers_md(ds: Dataset, ev: Evaluation) -> Md:
    """The peer section for a council member: how many peers met the same rule (k of n, how many
    clearly), how the group was chosen, and that the rule is a yardstick for them."""
    cmp, why = _peer_comparison(ds, ev)
    if cmp is None:
        return Md(why)
    word = "voldeden aan dezelfde regel" if not ev.final else "haalden hetzelfde doel"
    head = (f"**{cmp.k_met} van de {cmp.n} vergelijkbare gemeenten {word} in {ev.year}** ({cmp.k_clear} duidelijk); "
            f"{cmp.k_not} niet ({cmp.k_clear_not} duidelijk niet)"
            + (f"; {cmp.k_missing} zonder cijfers" if cmp.k_missing else "") + ".")
    if ev.assessment is not None and ev.assessment.series_break:
        head += (" Over de reeksbreuk heen is bij geen enkele gemeente een verschil 'duidelijk'; wat de groep laat zien, "
                 "is hoe sterk de breuk overal doorwerkt.")
    how = {"nearest": " De band gaf te weinig gemeenten, dus zijn de gemeenten gekozen die qua inwonertal het dichtst "
                      "bij liggen.", "list": " De groep is een vaste lijst van de analist."}.get(cmp.how, "")
    used = membership(ds, ev.year).pop_year.get(ev.area_code)
    if used != ev.year:
        how += (f" Het inwonertal van {ev.year} ontbreekt voor {ev.area_name}: de groep is gekozen met dat van {used}."
                if used is not None else f" Voor {ev.area_name} ontbreekt een inwonertal tot en met {ev.year}.")
    owner = ds.area_name(ds.policy.municipality)
    lines = [head, "", f"De groep: {cmp.n} {cmp.rule_nl}.{how} Het doel is van {owner}; voor de andere gemeenten is de "
             f"regel een maatstaf, geen oordeel over hun beleid."]
    return Md("\n".join(lines))


def peers_detail_md(ds: Dataset, ev: Evaluation) -> Md:
    """The peer section for an analyst: the group by name, the funnel positions of the change and
    the rate, the between-municipality spread that widens the funnel, boundary changes."""
    cmp, why = _peer_comparison(ds, ev)
    if cmp is None:
        missing = why.startswith("Voor de vergelijking met vergelijkbare gemeenten zijn cijfers van alle gemeenten")
        return Md(why + (f" {peers.SUPPLY_NL}" if missing else ""))
    rule = ev.part.rule
    lines = ["In de groep (alfabetisch): " + ", ".join(sorted(ds.area_name(c) for c in cmp.peers)) + "."]
    for f in (cmp.change, cmp.rate):
        if f is None:
            continue
        own = f.data[f.data.is_self]
        if f.what == "verandering":
            val = nl_ratio(float(own.y.iloc[0])) if not own.empty else f"geen cijfer ({_why_missing(ds, ev, True)})"
            lines.append(f"- Verandering {rule.baseline_year}–{ev.year}: {ev.area_name} {val}; de groep samen "
                         f"{nl_ratio(f.centre)}; vereist {nl_ratio(f.required)}. Positie in de trechter: {f.position(ev.area_code)}.")
        else:
            val = nl_num(float(own.y.iloc[0]), 2) if not own.empty else f"geen cijfer ({_why_missing(ds, ev, False)})"
            lines.append(f"- Per 1.000 inwoners in {ev.year}: {ev.area_name} {val}; de groep samen {nl_num(f.centre, 2)}. "
                         f"Positie in de trechter: {f.position(ev.area_code)}.")
    taus = [f"{nl_num(100 * np.sqrt(f.tau2), 0)}% ({f.what})" for f in (cmp.change, cmp.rate) if f is not None]
    if taus:
        lines.append(f"- Trechtergrenzen (95% en 99,8%) verbreed voor de verschillen tussen gemeenten die groter zijn dan "
                     f"toeval (Spiegelhalter 2005; DerSimonian-Laird, zonder trimmen, rond één middelpunt: de groep "
                     f"samen; bij kleine aantallen exacte Poisson-kansen): {', '.join(taus)}. "
                     f"Een positie binnen de grenzen is ruis, geen prestatie; daarom geen ranglijst.")
    merged = [c for c in cmp.peers if boundary_note(ds, c, rule.baseline_year, ev.year)]
    if merged:
        lines.append(f"- {len(merged)} van de vergelijkbare gemeenten zijn tussen {rule.baseline_year} en {ev.year} "
                     f"heringedeeld ({', '.join(ds.area_name(c) for c in merged[:6])}{', …' if len(merged) > 6 else ''}); "
                     f"hun cijfers staan op de huidige grens.")
    return Md("\n".join(lines))


def _why_missing(ds: Dataset, ev: Evaluation, change: bool) -> str:
    """Why the municipality has no point in a funnel: which figure of which year is missing."""
    ind, area, year = ev.indicator, ev.area_code, ev.year
    wanted = [(ind.id, ev.part.rule.baseline_year), (ind.id, year)] if change else [(ind.id, year), ("population", year)]
    gone = [(i, y) for i, y in wanted if ds.observations.get(i, area, y) is None]
    if not gone:
        return "niet te berekenen"
    return "; ".join(f"{'inwonertal' if i == 'population' else ds.indicators[i].label_nl.lower()} {y} ontbreekt"
                     for i, y in gone)


def peer_series_view(ds: Dataset, indicator: str, municipality: str, year: int):
    """The explore notebook's peer view as a table (Dutch number format), or what is missing."""

    s = peers.peer_series(ds, indicator, municipality, year)
    if s is None:
        return Md(peers.missing_text(ds, indicator, municipality, year))
    def f(v):
        return "–" if pd.isna(v) else nl_num(v, 2)
    return pd.DataFrame({
        "jaar": s.jaar,
        f"{ds.area_name(municipality)} per 1.000 inwoners": [f(v) for v in s.gemeente],
        "groep: 25%": [f(v) for v in s.groep_p25],
        "groep: mediaan": [f(v) for v in s.groep_mediaan],
        "groep: 75%": [f(v) for v in s.groep_p75],
        "gemeenten in de groep met een cijfer": s.groep_n,
    }).set_index("jaar")


def priority_md(ds: Dataset, priority_id: str) -> Md:
    """A priority of the monitored policy: its 2027 goal quoted, its indicators with their reading."""
    mon = ds.monitor
    p = next((q for q in mon.priorities if q.id == priority_id), None) if mon else None
    if p is None:
        return Md("Geen monitor in de gegevens (data/monitor/).")
    lines = [f"**{p.name}** — {mon.title}", "", "Doelstelling 2027 (kwalitatief, niet gescoord):", "",
             f"> “{p.goal_2027}”", "", f"Bron: {mon.where}.", ""]
    lines += [f"- {ds.indicators[i.indicator].label_nl} (`{i.indicator}`): {i.reading}" for i in p.indicators]
    if p.no_indicator:
        lines.append(f"- {p.no_indicator}")
    lines += [f"- Nog niet in de gegevens: {w} — {n}" for w, n in p.wanted]
    return Md("\n".join(lines))


def monitor_view(table: pd.DataFrame) -> Table:
    """The monitor's rows for a reader: Dutch numbers, the range as one text."""
    from ..verdict.monitor import range_text

    def num(v):
        return "–" if v is None or pd.isna(v) else nl_int(v)

    return Table(pd.DataFrame({
        "indicator": table.indicator_naam, "periode": table.periode, "aantal": [num(v) for v in table.waarde],
        "verwachte marge (95%)": [range_text(lo, hi) for lo, hi in zip(table.verwacht_laag, table.verwacht_hoog)],
        "signaal": [signal_label(s) + strength_nl(k) for s, k in zip(table.signaal, table.sterkte)],
        "landelijk": [signal_label(s) or "–" for s in table.landelijk_signaal],
        "vergelijkbare gemeenten": [s or "–" for s in table.vergelijkbare_gemeenten],
        "marge ruimer door": [f"{s} (zelf buiten de verwachting)" if s else "–" for s in table.basis_buiten_verwachting]}))


def months_view(ds: Dataset, indicator: str, area: str) -> Table | Md:
    """The monthly figures of one indicator for an analyst: a row per year, a column per month, and
    the sum of the months published (the figures behind the year to date)."""
    from ..data.months import MONTHS_NL

    t = ds.months.table
    t = t[(t.indicator == indicator) & (t.area_code == area)]
    if t.empty:
        return Md(f"Geen maandcijfers voor {ds.indicators[indicator].label_nl} in de gegevens (alleen hele jaren).")
    grid = t.pivot_table(index="year", columns="month", values="value", aggfunc="sum")
    out = pd.DataFrame({"jaar": [str(int(y)) for y in grid.index]})
    for m in range(1, 13):
        col = grid[m] if m in grid.columns else pd.Series(index=grid.index, dtype=float)
        out[MONTHS_NL[m - 1][:3]] = ["–" if pd.isna(v) else nl_int(v) for v in col]
    out["som (maanden met cijfer)"] = [nl_int(grid.loc[y].sum()) for y in grid.index]
    return Table(out)


def backtest_view(bt: pd.DataFrame) -> Table | Md:
    if bt.empty:
        return Md("Nog geen reeks in de gegevens om op terug te kijken (`ivb fetch` haalt de jaarcijfers op).")

    def num(v, d=0):
        return "–" if v is None or pd.isna(v) else nl_num(v, d)

    return Table(pd.DataFrame({"jaar": bt.jaar, "aantal": [num(v) for v in bt.waarde], "verwacht": [num(v, 1) for v in bt.verwacht],
                               "marge (95%)": bt.marge, "basisjaren": bt.basisjaren, "trend": bt.trend,
                               "phi": [num(v, 2) for v in bt.overdispersie_phi], "signaal": [signal_label(s) for s in bt.signaal]}))
