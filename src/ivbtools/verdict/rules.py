"""What a rule means: status and qualifier codes, their Dutch labels, the required ratio, the
allowed count and whether figures meet the rule — one definition for the evaluation of one
municipality (evaluate.py), the all-municipality table (alltable.py), the peer comparison and
the pages (docs/methods.md, section 1).
"""
from __future__ import annotations

import math

import numpy as np

from .. import stats
from ..data.targets import Rule

# verdict codes: the rule's test in the target year, the progress note before it
MET = frozenset({"gehaald", "op_koers", "op_niveau"})
NOT_MET = frozenset({"niet_gehaald", "niet_op_koers", "niet_op_niveau"})
NO_VERDICT = frozenset({"onvoldoende_gegevens", "niet_te_beoordelen", "basisjaar"})

STATUS_NL = {
    "gehaald": "gehaald",
    "niet_gehaald": "niet gehaald",
    "op_koers": "tussenstand: op koers",
    "niet_op_koers": "tussenstand: niet op koers",
    "op_niveau": "tussenstand: op het vereiste niveau",
    "niet_op_niveau": "tussenstand: niet op het vereiste niveau",
    "basisjaar": "nog niet te beoordelen (basisjaar)",
    "onvoldoende_gegevens": "onvoldoende gegevens",
    "niet_te_beoordelen": "niet te beoordelen",
    "niet_meetbaar": "niet meetbaar (kwalitatief)",
}

# qualifier codes (stats.py): clear either way, within noise, across a registration break
CLEAR = frozenset({stats.CLEAR_MET, stats.CLEAR_NOT_MET})
QUALIFIER_NL = {
    stats.CLEAR_MET: "duidelijk",
    stats.CLEAR_NOT_MET: "duidelijk",
    stats.WITHIN_NOISE: "onbeslist: binnen de ruis",
    stats.BREAK: "onbeslist: reeksbreuk",
}
# plain Dutch for council pages (issue #29): the clear verdict holds if the year-to-year variation is small
POISSON_ONLY_NL = "als de gewone schommeling van jaar tot jaar klein is"

# Counts are whole numbers and required levels products of them: a count equal to the required
# level up to floating-point error meets an 'at most' rule.
TOLERANCE = 1e-9


def required_ratio(rule: Rule, year: int) -> float:
    """Ratio to the baseline required in `year`: the straight path to the target, then flat;
    1 for the fixed-level rules."""
    if rule.kind != "relative_change":
        return 1.0
    frac = min(1.0, (year - rule.baseline_year) / (rule.target_year - rule.baseline_year))
    return 1.0 + rule.change * frac


def strict(rule: Rule) -> bool:
    """'below' / 'above the baseline' (strictly) against 'at most' / 'at least'."""
    return rule.kind in ("below_baseline", "above_baseline")


def meets(rule: Rule, observed, base, ratio):
    """Whether the observed count meets the rule against `base × ratio`: scalars or numpy arrays
    alike (the one definition of 'met' for every table and report). A threshold rule passes the
    threshold as `base` with ratio 1; a lower-bound rule (an increase, a floor) is met at or above."""
    required = np.multiply(base, ratio)
    if rule.lower_bound:
        if strict(rule):
            return np.greater(observed, required)
        return np.greater_equal(observed, required - TOLERANCE)
    if strict(rule):
        return np.less(observed, required)
    return np.less_equal(observed, required + TOLERANCE)


def allowed_count(rule: Rule, required: float) -> int:
    """The whole count the rule allows: the largest that meets an upper bound (288 for 'at most
    288.8', 74 for 'below 75'), the smallest that meets a lower bound (121 for 'at least 120.2')."""
    if rule.lower_bound:
        if strict(rule):
            return math.floor(required + TOLERANCE) + 1
        return math.ceil(required - TOLERANCE)
    if strict(rule):
        return math.ceil(required - TOLERANCE) - 1
    return math.floor(required + TOLERANCE)


def status_for(rule: Rule, year: int, met: bool) -> str:
    if year >= rule.target_year:
        return "gehaald" if met else "niet_gehaald"
    if rule.kind == "relative_change":
        return "op_koers" if met else "niet_op_koers"
    return "op_niveau" if met else "niet_op_niveau"


def status_label(status: str, rule: Rule | None) -> str:
    """The Dutch label of a status; fixed-level progress notes name the level, not a path."""
    if status in ("op_niveau", "niet_op_niveau") and rule is not None:
        ok = status == "op_niveau"
        if rule.kind == "at_or_below_baseline":
            return "tussenstand: " + ("op of onder het vereiste niveau" if ok else "boven het vereiste niveau")
        if rule.kind == "below_baseline":
            return "tussenstand: " + ("onder het vereiste niveau" if ok else "niet onder het vereiste niveau")
        if rule.kind in ("at_least", "at_or_above_baseline"):
            return "tussenstand: " + ("op of boven het vereiste niveau" if ok else "onder het vereiste niveau")
        if rule.kind == "above_baseline":
            return "tussenstand: " + ("boven het vereiste niveau" if ok else "niet boven het vereiste niveau")
        if rule.kind == "at_most":
            return "tussenstand: " + ("op of onder het vereiste niveau" if ok else "boven het vereiste niveau")
    return STATUS_NL[status]


def qualifier_label(status: str, rule: Rule | None, code: str | None, poisson_only: bool = False) -> str:
    """'duidelijk gehaald', 'duidelijk boven het vereiste niveau', 'onbeslist: binnen de ruis', …;
    a clear verdict without any estimate of the overdispersion says that it rests on Poisson
    noise alone ('duidelijk gehaald, als de gewone schommeling van jaar tot jaar klein is'), never plain 'duidelijk'."""
    if code is None:
        return ""
    if code in CLEAR:
        label = "duidelijk " + status_label(status, rule).replace("tussenstand: ", "")
        return f"{label}, {POISSON_ONLY_NL}" if poisson_only else label
    return QUALIFIER_NL[code]


# One vocabulary for every page (overview grid, year index, national page and chart): the class
# of a verdict and its words. Across a series break a verdict is neither clearly met nor clearly
# not met: one class, whose answer is the national comparison.
CLASS_ORDER = ("clear-met", "met", "break", "not-met", "clear-not-met", "missing", "neutral")
CLASS_NL = {
    "clear-met": "gehaald / op koers — duidelijk",
    "met": "gehaald / op koers — binnen de ruis",
    "break": "onbeslist: reeksbreuk (zie de vergelijking met Nederland)",
    "not-met": "niet gehaald / niet op koers — binnen de ruis",
    "clear-not-met": "niet gehaald / niet op koers — duidelijk",
    "missing": "onvoldoende gegevens",
    "neutral": "basisjaar, niet te beoordelen, geen toets",
}

# The same classes in a word or two, for a table's column heads (the legend gives CLASS_NL).
CLASS_SHORT_NL = {"clear-met": "duidelijk gehaald", "met": "gehaald, binnen de ruis", "break": "reeksbreuk",
                  "not-met": "niet gehaald, binnen de ruis", "clear-not-met": "duidelijk niet gehaald",
                  "missing": "geen gegevens", "neutral": "geen toets"}


def verdict_class(status: str, qualifier: str | None) -> str:
    """The class of a verdict (a key of CLASS_NL)."""
    if status == "onvoldoende_gegevens":
        return "missing"
    if qualifier == stats.BREAK and status in MET | NOT_MET:
        return "break"
    if status in MET:
        return "clear-met" if qualifier == stats.CLEAR_MET else "met"
    if status in NOT_MET:
        return "clear-not-met" if qualifier == stats.CLEAR_NOT_MET else "not-met"
    return "neutral"
