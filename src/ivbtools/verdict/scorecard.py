"""The scorecard of a year: every target part (measurable and qualitative) with its verdict,
qualifier and key figures at full precision, and a Holm-adjusted p-value across the target-year
tests of a family fixed by the policy (docs/methods.md, section 5)."""
from __future__ import annotations

import pandas as pd

from ..data.dataset import Dataset, shared
from ..fmt import nl_p
from .comparison import scorecard_cell
from .evaluate import evaluate


def test_family(ds: Dataset, area: str) -> list[str]:
    """The target-year tests corrected together (Holm), fixed by the policy before any figure is
    seen: every count target of the policy whose baseline and target year do not straddle a
    known registration break (a test across a break is never 'duidelijk' and stays outside)."""
    out = []
    for p in ds.policy.parts:
        if not p.measurable or p.rule.is_threshold:
            continue
        if ds.indicators[p.indicator].breaks_between([p.rule.baseline_year, p.rule.target_year], area):
            continue
        out.append(p.id)
    return out


def _attention(part, ev) -> str:
    """One line for the overview grid: how the target is read where the measure is not literal,
    and a registration break between the baseline and the target year."""
    notes = [part.reading] if part.reading else []
    rule, ind = part.rule, ev.indicator
    if rule is not None and ind is not None and rule.baseline_year:
        for c in ind.breaks_between([rule.baseline_year, rule.target_year], ev.area_code):
            notes.append(f"reeksbreuk {c.crosses_year}" + (f" ({c.label_nl})" if c.label_nl else "")
                         + ": de vergelijking met Nederland is het antwoord")
    return "; ".join(notes)


def scorecard_name(state: str, year: int, area: str) -> str:
    """The name under which a batch hands a year's scorecard from its notebook to the publisher."""
    return f"scorecard-{state}-{year}-{area}"


def scorecard(ds: Dataset, year: int, area: str) -> pd.DataFrame:
    """Every target part (measurable and qualitative) for one year: verdict, qualifier and key
    figures at full precision, plus a Holm-adjusted p-value across the target-year tests.

    In a batch the scorecard notebook works it out and leaves it in the batch's handover folder
    (data/dataset.py `shared`), named by the data state, year and area; the batch publishes that
    one instead of working it out again (batch/run.py)."""
    if not ds.state:
        return _scorecard(ds, year, area)
    return shared(scorecard_name(ds.state, year, area), lambda: _scorecard(ds, year, area))


def _scorecard(ds: Dataset, year: int, area: str) -> pd.DataFrame:
    from statsmodels.stats.multitest import multipletests


    rows = []
    for part in ds.policy.parts:
        ev = evaluate(ds, part.id, year, area)
        rule, a, nat = part.rule, ev.assessment, ev.national
        rows.append({
            "thema": part.theme_name,
            "doel_id": part.id,
            "doel": part.title,
            "oordeel": ev.status_nl,
            "zekerheid": ev.qualifier_nl,
            "status": ev.status,
            "kwalificatie": ev.qualifier,
            "doeljaar": rule.target_year if rule else None,
            "basisjaar": rule.baseline_year if rule else None,
            "basiswaarde": ev.baseline.value if ev.baseline else None,
            "jaar": year,
            "waarde": ev.observed.value if ev.observed else None,
            "vereist": ev.required,
            "vereist_hoogstens": ev.allowed,
            # a lower-bound rule (an increase, a floor): the required count is a minimum, not a maximum
            "ondergrens": bool(rule.lower_bound) if rule else False,
            "verandering_pct": ev.change_pct,
            "verhouding": a.estimate if a else None,
            "vereiste_verhouding": a.r0 if a else None,
            "interval_poisson_laag": a.exact.low if a else None,
            "interval_poisson_hoog": a.exact.high if a else None,
            "interval_robuust_laag": a.robust.low if a and a.robust else None,
            "interval_robuust_hoog": a.robust.high if a and a.robust else None,
            "overdispersie_tau": ev.dispersion.tau if ev.dispersion else None,
            "overdispersie_eigen": ev.dispersion.tau_idio if ev.dispersion else None,
            "overdispersie_gedeeld": ev.dispersion.tau_common if ev.dispersion else None,
            "overdispersie_bron": {"peers": "vergelijkbare gemeenten", "pool": "alle gemeenten", "own": "eigen reeks"}.get(
                ev.dispersion.origin, "") if ev.dispersion else "",
            "kantelpunt_tau": a.tipping if a else None,
            "reeksbreuk": bool(a.series_break) if a else None,
            "p_waarde": a.pvalue if a else None,
            "p_waarde_tekst": nl_p(a.pvalue) if a else "",
            "landelijk_index": nat.index if nat else None,
            "gemeente_index": nat.local_index if nat else None,
            "landelijk_verschil_duidelijk": nat.clear if nat else None,
            "bronafhankelijk": ev.source_sensitive if a is not None else None,
            "basiscijfer_controle": ev.baseline_check_nl if ev.part.measurable else "",
            "vergelijkbare_gemeenten": scorecard_cell(ds, part, year, area),
            "ontbreekt": "; ".join(m.text_nl() for m in ev.missing),
            "bronnen": ", ".join(sorted({f.source_id for f in (ev.baseline, ev.observed) if f})),
            "toelichting": ev.verdict_nl,
            "aandachtspunt": _attention(part, ev),
        })
    card = pd.DataFrame(rows)
    family = test_family(ds, area)
    card["in_familie"] = card.doel_id.isin(family)
    card["p_holm"] = None
    final = card.in_familie & card.status.isin(["gehaald", "niet_gehaald"])
    if final.any():
        # the family is fixed in advance (test_family): a part without a p-value counts with p = 1,
        # so the correction never depends on which figures happen to exist
        p = card.loc[card.in_familie, "p_waarde"].astype(float).fillna(1.0)
        adjusted = pd.Series(multipletests(p, method="holm")[1], index=p.index)
        card.loc[final, "p_holm"] = adjusted[final[final].index]
    card["p_holm"] = card["p_holm"].astype(float)
    card["p_holm_tekst"] = [nl_p(p) if pd.notna(p) else "" for p in card.p_holm]
    for col in ("doeljaar", "basisjaar", "jaar", "vereist_hoogstens"):
        card[col] = card[col].astype("Int64")
    return card
