"""'Kort': the top of every target report, for a council member — the target and year as title,
then the verdict in words, how sure and why in one sentence, the like-for-like comparison with
the Netherlands, the peers in one line, and the data the page rests on. The statistics behind
each line are in the report's folded section for analysts."""
from __future__ import annotations

from ..data.dataset import Dataset
from ..data.datastatus import provenance_nl, with_national
from ..fmt import nl_int, nl_interval, nl_num, nl_pct, nl_value
from ..stats import BREAK, CLEAR_MET, CLEAR_NOT_MET, WITHIN_NOISE
from ..verdict import comparison as peers
from ..verdict.evaluate import Evaluation
from ..verdict.rules import qualifier_label, status_label
from .text import Md


def title_text(ev: Evaluation) -> str:
    """The report's title: the target and where and when it is tested (the page's <title> too)."""
    return f"{ev.part.title} — {ev.area_name}, {ev.year}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _what_line(ev: Evaluation) -> str:
    """The verdict in words with the two figures and what the rule asked."""
    rule, ind = ev.part.rule, ev.indicator
    head = f"**{_cap(ev.status_nl)}.**"
    if not ev.final and rule is not None and ev.status not in ("basisjaar", "onvoldoende_gegevens"):
        head = f"**{_cap(ev.status_nl)}** (het doel geldt voor {rule.target_year})."
    if ev.status == "onvoldoende_gegevens":
        gone = "; ".join(m.text_nl() for m in ev.missing) or "een cijfer"
        return (f"{head} Ontbreekt: {gone}. Zonder dit cijfer is er geen oordeel; hoe het aan te vullen is, staat "
                f"onder ‘Kanttekeningen en ontbrekende cijfers’.")
    if ind is None or ev.observed is None:
        return head
    u = ind.unit
    label = ind.label_nl[:1].lower() + ind.label_nl[1:]
    text = f"{head} {_cap(label)}: {nl_value(ev.observed.value, u)} in {ev.year}"
    if ev.baseline is not None and rule is not None and rule.baseline_year and ev.year != rule.baseline_year:
        text += f", tegen {nl_value(ev.baseline.value, u)} in {rule.baseline_year}"
        if ev.change_pct is not None:
            text += f" ({nl_pct(ev.change_pct, 0)})"
    if ev.allowed is not None:
        when = (f"in {ev.year}" if ev.final else f"op het pad naar {rule.target_year} in {ev.year}"
                if rule.kind == "relative_change" else f"in {rule.target_year}")
        text += f"; het doel vraagt {when} {'ten minste' if rule.lower_bound else 'ten hoogste'} {nl_int(ev.allowed)}"
    elif ev.required is not None:
        text += f"; het doel vraagt {nl_num(ev.required, 1)} {'of hoger' if rule.lower_bound else 'of lager'}"
    return text + "."


def _sure_line(ev: Evaluation) -> str:
    """How sure, and why, in one sentence."""
    a, rule = ev.assessment, ev.part.rule
    if a is None:
        return ev.sure_nl
    iv = a.decisive
    bound = nl_num(a.r0, 2 if round(a.r0, 2) == a.r0 else 3)
    ratio = f"{ev.year}/{rule.baseline_year}"
    poisson = " Dit rust op alleen het toeval van de telling: de schommeling van jaar tot jaar was niet te schatten." \
        if ev.poisson_only else ""
    if a.qualifier in (CLEAR_MET, CLEAR_NOT_MET):
        return (f"**Zekerheid: duidelijk.** Het verschil is groter dan de gewone schommeling van jaar tot jaar: de "
                f"verhouding {ratio} is {nl_num(a.estimate, 2)}, met 95%-marge {nl_interval(iv.low, iv.high)}, helemaal "
                f"aan één kant van de grens {bound}.{poisson}")
    if a.qualifier == WITHIN_NOISE:
        return (f"**Zekerheid: onbeslist, binnen de ruis.** Het verschil met de grens is kleiner dan de gewone "
                f"schommeling van jaar tot jaar: de verhouding {ratio} is {nl_num(a.estimate, 2)}, met 95%-marge "
                f"{nl_interval(iv.low, iv.high)}, en die marge omvat de grens {bound}.{poisson}")
    if a.qualifier == BREAK:
        caveat = next((c for c in ev.indicator.breaks_between([rule.baseline_year, ev.year], ev.area_code)), None)
        what = f"De {caveat.label_nl}" if caveat is not None and caveat.label_nl else "Een wijziging in de registratie"
        return (f"**Zekerheid: onbeslist, reeksbreuk.** {what} maakt {rule.baseline_year} en {ev.year} niet "
                f"rechtstreeks vergelijkbaar: de telling alleen zegt niet of het doel echt gehaald is; de vergelijking "
                f"met Nederland hieronder is het beste antwoord.")
    return ""


def _national_line(ev: Evaluation) -> str:
    nc = ev.national
    if nc is None:
        return ""
    lead = "**Vergeleken met Nederland"
    brk = ev.assessment is not None and ev.assessment.series_break
    lead += " (het antwoord over de reeksbreuk heen)" if brk else ""
    lead += ":**"
    if nc.local_index is None or nc.index is None:
        gone = "; ".join(m.text_nl() for m in nc.missing)
        return f"{lead} nog niet mogelijk" + (f" (ontbreekt: {gone})." if gone else f": de verandering in {ev.area_name} is nog niet bekend.")
    return (f"{lead} {ev.area_name} index {nl_num(nc.local_index, 0)}, Nederland {nl_num(nc.index, 0)} "
            f"({nc.base_year} = 100): het aantal {nc.how_nl}; {nc.noise_nl}.")


def _abnormal_line(ev: Evaluation) -> str:
    rule = ev.part.rule
    if ev.indicator is None or rule is None or not rule.baseline_year:
        return ""
    abnormal = ev.indicator.abnormal_years(ev.area_code)
    odd = [y for y in (rule.baseline_year, ev.year) if y in abnormal]
    if not odd:
        return ""
    years = " en ".join(str(y) for y in sorted(set(odd)))
    return (f"Let op: {years} {'was een ongewoon jaar' if len(set(odd)) == 1 else 'waren ongewone jaren'} (zie de "
            f"kanttekeningen); de vergelijking met Nederland houdt daar rekening mee.")


def _peers_line(ds: Dataset, ev: Evaluation) -> str:
    rule = ev.part.rule
    if ev.indicator is None or rule is None or rule.is_threshold or ev.year <= (rule.baseline_year or ev.year):
        return ""
    cmp = peers.compare(ds, ev.part.id, ev.area_code, ev.year)
    if cmp is None:
        return ""
    verb = "haalden hetzelfde doel" if ev.final else "voldeden aan dezelfde regel"
    return (f"**Vergelijkbare gemeenten:** {cmp.k_met} van {cmp.n} {verb} in {ev.year} "
            f"({cmp.k_clear} duidelijk).")


CONCEPT = "Concept: doelen nog niet door een analist bevestigd."


def concept_detail(ds: Dataset) -> str:
    n, total = len(ds.policy.unreviewed), len(ds.policy.parts)
    return (f"De doelen zijn opgesteld door ivb draft uit {ds.policy.drafted_from or 'het beleidsdocument'}; {n} van de "
            f"{total} delen zijn nog niet nagelopen.")


def source_title(ds: Dataset, sid: str) -> str:
    src = ds.sources.get(sid)
    return src.title_nl if src is not None else sid


def source_lines(ds: Dataset, ev: Evaluation) -> list[str]:
    """Where sources give different figures that change the verdict: one line per source that decides it
    ('Met de cijfers van … (61 in 2023): niet gehaald.'); where only the certainty differs, that, and
    never 'the verdict depends on it'. In Kort, so on screen and on paper."""
    if not ev.source_sensitive:
        return []
    rule = ev.part.rule
    unit = ev.indicator.unit if ev.indicator is not None else ""

    def fig(f) -> str:
        return f"{nl_value(f.value, unit)} in {f.year} uit {source_title(ds, f.source_id)}"

    def which(s) -> str:
        differs = [f for f, others in ((s.baseline, {x.baseline for x in ev.scenarios}),
                                       (s.observed, {x.observed for x in ev.scenarios})) if len(others) > 1]
        return " en ".join(fig(f) for f in differs or [s.observed])

    statuses = {s.status for s in ev.scenarios}
    if len(statuses) > 1:
        lines = ["De bronnen geven verschillende cijfers, en daarmee een ander oordeel:"]
        lines += [f"met {which(s)}: {status_label(s.status, rule)}"
                  + (f" ({q})" if (q := qualifier_label(s.status, rule, s.qualifier, ev.dispersion is None)) else "")
                  + (" — dit cijfer telt volgens de voorrangsregel" if s.chosen else "") + "." for s in ev.scenarios]
        return [" ".join(lines[:1]) + " " + " ".join(x[:1].upper() + x[1:] for x in lines[1:])]
    label = status_label(next(iter(statuses)), rule)
    parts = [f"met {which(s)}: {qualifier_label(s.status, rule, s.qualifier, ev.dispersion is None) or 'geen oordeel over de zekerheid'}"
             for s in ev.scenarios]
    return [f"De bronnen geven verschillende cijfers, maar het oordeel is onder elke bron hetzelfde ({label}); alleen de "
            f"zekerheid verschilt — " + "; ".join(parts) + "."]


def kort_md(ds: Dataset, ev: Evaluation) -> Md:
    """The title and the 'Kort' lines of a target report."""
    lines = [f"# {title_text(ev)}", ""]
    if ds.policy.unreviewed:   # a draft of `ivb draft`: every page says so until an analyst confirmed each part
        lines += [f"**{CONCEPT}** {concept_detail(ds)}", ""]
    if ev.benchmark:
        lines += [f"*De doelen van {ev.policy_owner} ({ev.policy.short_title}), hier als maatstaf toegepast op "
                  f"{ev.area_name}.*", ""]
    lines += ["## Kort", ""]
    if ev.indicator is None:
        return Md("\n".join(lines + ["- Dit doel is kwalitatief en wordt niet met cijfers getoetst."]))
    items = [_what_line(ev), _sure_line(ev), _abnormal_line(ev)]
    provisional = ev.observed is not None and ds.sources.get(ev.observed.source_id) is not None and \
        ds.sources[ev.observed.source_id].is_provisional(ev.year)
    if provisional:
        items.append(f"Het cijfer van {ev.year} is voorlopig: de bron kan het nog bijstellen, en daarmee dit oordeel.")
    items += source_lines(ds, ev)
    items += [_national_line(ev), _peers_line(ds, ev)]
    ind = ev.indicator
    areas = [ev.area_code] + ([ind.national_area] if ind.national_area else [])
    items.append(provenance_nl(ds, areas, with_national(ds, [ind.id])))
    lines += [f"- {i}" for i in items if i]
    return Md("\n".join(lines))
