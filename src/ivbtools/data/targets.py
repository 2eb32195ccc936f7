"""The target registry: every target of a policy, quoted, with the rule that checks it.

Targets are data (data/targets/*.yaml); this module only reads and validates them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import IvbError
from ..ids import check_id
from ..yamlio import listing, read_yaml, require_mapping, text
from .registry import Indicator

RULE_KINDS = {
    "relative_change": ("baseline_year", "target_year", "change"),
    "at_or_below_baseline": ("baseline_year", "target_year"),
    "below_baseline": ("baseline_year", "target_year"),
    "at_or_above_baseline": ("baseline_year", "target_year"),
    "above_baseline": ("baseline_year", "target_year"),
    "at_least": ("threshold", "target_year"),
    "at_most": ("threshold", "target_year"),
}
# keys a rule may have besides its kind's own: `bound` (relative_change: upper, the default, or lower
# for an increase target), `thresholds` (at_most / at_least: a value per year instead of one
# threshold), `per` (a rate: the indicator per `per` inhabitants, e.g. 1000)
OPTIONAL_RULE_KEYS = {"relative_change": ("bound", "per"), "at_least": ("thresholds", "per"), "at_most": ("thresholds", "per"),
                      "at_or_below_baseline": ("per",), "below_baseline": ("per",), "at_or_above_baseline": ("per",),
                      "above_baseline": ("per",)}
LOWER_BOUND_KINDS = ("at_least", "at_or_above_baseline", "above_baseline")   # met at or above the required level


@dataclass(frozen=True)
class Rule:
    kind: str
    target_year: int
    baseline_year: int | None = None
    change: float | None = None
    threshold: float | None = None
    bound: str = "upper"                 # relative_change: upper (at most, the default) | lower (at least: an increase)
    thresholds: tuple[tuple[int, float], ...] = ()   # at_most / at_least: (year, value) per year
    per: int | None = None               # a rate: the indicator per `per` inhabitants

    @property
    def is_threshold(self) -> bool:
        """A level given as a number (a threshold), not relative to a baseline year."""
        return self.kind in ("at_least", "at_most")

    @property
    def lower_bound(self) -> bool:
        """Met at or above the required level (an increase, a floor), not at or below it."""
        return self.kind in LOWER_BOUND_KINDS or (self.kind == "relative_change" and self.bound == "lower")

    def threshold_for(self, year: int) -> float | None:
        """The level required in `year`: the year's own value of a row of thresholds, else the one threshold."""
        if self.thresholds:
            known = dict(self.thresholds)
            return known.get(year, known.get(self.target_year) if year >= self.target_year else None)
        return self.threshold

    @property
    def per_nl(self) -> str:
        return f" per {self.per:,} inwoners".replace(",", ".") if self.per else ""

    def describe_nl(self) -> str:
        if self.kind == "relative_change" and self.bound == "lower":   # an increase: value(target) >= base * (1 + change)
            return f"in {self.target_year} minstens {self.change * 100:g}% hoger dan in {self.baseline_year}{self.per_nl}"
        if self.kind == "at_most":
            level = "de streefwaarde van elk jaar" if self.thresholds else str(self.threshold).replace(".", ",")
            return f"in {self.target_year} ten hoogste {level}{self.per_nl}"
        if self.kind == "at_or_above_baseline":
            return f"in {self.target_year} op of boven het niveau van {self.baseline_year}{self.per_nl}"
        if self.kind == "above_baseline":
            return f"in {self.target_year} hoger dan in {self.baseline_year}{self.per_nl}"
        if self.kind == "at_least" and self.thresholds:
            return f"in {self.target_year} de streefwaarde van elk jaar of hoger{self.per_nl}"
        if self.kind == "relative_change":   # an upper limit: value(target) <= value(baseline) * (1 + change)
            if self.change < 0:
                return f"in {self.target_year} minstens {abs(self.change) * 100:g}% lager dan in {self.baseline_year}"
            factor = f"{1 + self.change:g}".replace(".", ",")
            return (f"in {self.target_year} ten hoogste {factor} keer het niveau van {self.baseline_year} "
                    f"(hooguit {self.change * 100:g}% hoger)")
        if self.kind == "at_or_below_baseline":
            return f"in {self.target_year} lager dan of gelijk aan het niveau van {self.baseline_year}"
        if self.kind == "below_baseline":
            return f"in {self.target_year} lager dan in {self.baseline_year}"
        return f"in {self.target_year} {str(self.threshold).replace('.', ',')} of hoger"


@dataclass(frozen=True)
class Part:
    id: str
    theme_id: str
    theme_name: str
    theme_quote: str
    title: str
    quote: str
    indicator: str | None = None
    rule: Rule | None = None
    qualitative: bool = False
    account: str = ""
    note: str = ""            # how the part is measured (any municipality)
    document_note: str = ""   # what the policy document itself says (its own municipality only)
    reading: str = ""         # one line for the overview grid: how the target is read where that is not literal
    unscored: str = ""        # why a part is listed but never scored (an output, a rank, a figure to supply, …)
    needs_figure: str = ""    # the figure an analyst must supply before the part can be scored
    draft: dict | None = None  # `ivb draft`: confidence, reasons, reviewed

    @property
    def measurable(self) -> bool:
        return not self.qualitative

    @property
    def reviewed(self) -> bool:
        """True unless `ivb draft` proposed this part and no analyst has confirmed it yet."""
        return self.draft is None or bool(self.draft.get("reviewed"))


RESERVED = {"scorecard", "index", "run", "_failed", "national", "monitor"}   # page and folder names of a year's outputs
CHECK_KINDS = ("change", "direction", "direction_national", "lowest_in", "rate_below_national", "needs_figure")


@dataclass(frozen=True)
class Check:
    """A statement in the policy document that the data can confirm (never used to fill gaps)."""
    id: str
    kind: str
    indicator: str | None                # None only for needs_figure: the data hold no such figure
    area: str
    from_year: int
    to_year: int
    quote: str
    source_id: str
    stated_change: float | None = None   # kind change: e.g. 0.63 for +63%
    direction: str | None = None         # kind direction(_national): up | down
    reading: str = ""                    # how the statement is read, when that needs saying
    factor: float = 1.0                  # kind rate_below_national: national at least factor x local
    needs: str = ""                      # kind needs_figure: the figure an analyst must supply


@dataclass
class Policy:
    id: str
    title: str
    municipality: str
    period: tuple[int, int]
    source_id: str
    where: str
    parts: list[Part] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    path: Path | None = None
    drafted_from: str = ""                     # `ivb draft`: the document the targets were drafted from
    source: dict | None = None                 # the policy document's own source entry (drafts carry it)

    @property
    def unreviewed(self) -> list[str]:
        """Ids of parts `ivb draft` proposed that no analyst has confirmed yet."""
        return [p.id for p in self.parts if not p.reviewed]

    @property
    def short_title(self) -> str:
        """'IVB 2020-2023': the policy's abbreviation with its period (for running text)."""
        return f"IVB {self.period[0]}-{self.period[1]}"

    @property
    def where_short(self) -> str:
        """Where the targets are quoted, without the chapter title: 'IVB 2024-2027, hoofdstuk 3'."""
        return self.where.split(" '")[0] if self.where else self.source_id

    @property
    def document_short(self) -> str:
        """The document that quotes the targets: 'IVB 2024-2027'."""
        return self.where_short.split(",")[0]

    def part(self, part_id: str) -> Part:
        for p in self.parts:
            if p.id == part_id:
                return p
        raise IvbError(f"unknown target id {part_id!r} — valid ids: {', '.join(self.measurable_ids())}")

    def measurable_ids(self) -> list[str]:
        return [p.id for p in self.parts if p.measurable]

    def themes(self) -> list[tuple[str, str, str]]:
        seen: dict[str, tuple[str, str, str]] = {}
        for p in self.parts:
            seen.setdefault(p.theme_id, (p.theme_id, p.theme_name, p.theme_quote))
        return list(seen.values())


def _int(value, where: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise IvbError(f"{where}: {key} must be a year like 2023, got {value!r}")
    if not 1990 <= value <= 2100:
        raise IvbError(f"{where}: {key} {value} is not a plausible year — write e.g. 2023")
    return value


def _rule(d: dict, where: str, ind: Indicator) -> Rule:
    d = require_mapping(d, where, "the rule")
    kind = d.get("kind")
    if kind not in RULE_KINDS:
        raise IvbError(f"{where}: unknown rule kind {kind!r} — use one of {', '.join(RULE_KINDS)}")
    needed = RULE_KINDS[kind]
    optional = OPTIONAL_RULE_KEYS.get(kind, ())
    if kind in ("at_least", "at_most") and d.get("thresholds") is not None:
        needed = tuple(k for k in needed if k != "threshold")
    missing = [k for k in needed if d.get(k) is None]
    if missing:
        raise IvbError(f"{where}: rule {kind} needs {', '.join(missing)} — add it")
    extra = [k for k in d if k not in needed + optional and k != "kind" and not (k == "threshold" and kind in ("at_least", "at_most"))]
    if extra:
        raise IvbError(f"{where}: rule {kind} does not take {', '.join(extra)} — remove it (it takes "
                       f"{', '.join(needed + optional)})")
    target_year = _int(d["target_year"], where, "target_year")
    baseline_year = _int(d["baseline_year"], where, "baseline_year") if "baseline_year" in needed else None
    if baseline_year is not None and baseline_year >= target_year:
        raise IvbError(f"{where}: baseline_year {baseline_year} is not before target_year {target_year} — swap or correct them")
    change = threshold = None
    bound = str(d.get("bound") or "upper")
    if bound not in ("upper", "lower"):
        raise IvbError(f"{where}: bound must be upper (at most, the default) or lower (at least: an increase), got {bound!r}")
    if kind == "relative_change":
        change = d["change"]
        if isinstance(change, bool) or not isinstance(change, (int, float)):
            raise IvbError(f"{where}: change must be a number like -0.20, got {change!r}")
        if not -1 < change < (10 if bound == "lower" else 1) or change == 0:
            raise IvbError(f"{where}: change {change!r} must be a fraction between -1 and 1, not 0 — "
                           f"write -0.20 for '20% lower' (not -20 or 20)")
        if bound == "lower" and change < 0:
            raise IvbError(f"{where}: bound: lower asks for an increase, but change {change:g} is a fall — for a fall "
                           f"drop 'bound: lower'")
        change = float(change)
    thresholds = ()
    if kind in ("at_least", "at_most"):
        if d.get("thresholds") is not None:
            rows = require_mapping(d["thresholds"], where, "thresholds (year: value)")
            try:
                thresholds = tuple(sorted((_int(int(y), where, "a year of thresholds"), _level(v, where, ind))
                                          for y, v in rows.items()))
            except (TypeError, ValueError):
                raise IvbError(f"{where}: thresholds must map years to numbers, e.g. {{2025: 300, 2026: 280}}") from None
            if not thresholds:
                raise IvbError(f"{where}: thresholds is empty — give a value per year, or one threshold")
            if target_year not in dict(thresholds):
                raise IvbError(f"{where}: thresholds has no value for target_year {target_year}")
        else:
            threshold = _level(d["threshold"], where, ind)
    per = d.get("per")
    if per is not None and (isinstance(per, bool) or not isinstance(per, int) or per not in (1, 100, 1000, 10_000, 100_000)):
        raise IvbError(f"{where}: per must be 1000 (or 100, 10000, 100000): a rate per that many inhabitants, got {per!r}")
    if kind != "at_least" and ind.unit != "count":
        raise IvbError(f"{where}: rule {kind} compares counts, but {ind.id} is a {ind.unit} — use at_least")
    if per and ind.unit != "count":
        raise IvbError(f"{where}: per applies to counts, but {ind.id} is a {ind.unit}")
    return Rule(kind=kind, target_year=target_year, baseline_year=baseline_year, change=change, threshold=threshold,
                bound=bound, thresholds=thresholds, per=per)


def _level(value, where: str, ind: Indicator) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise IvbError(f"{where}: threshold must be a number like 7.5, got {value!r}")
    if ind.unit == "mark" and not ind.min <= value <= ind.max:
        raise IvbError(f"{where}: threshold {value} is outside {ind.min:g}–{ind.max:g} for {ind.id} — write a mark like 7.5")
    if value < 0:
        raise IvbError(f"{where}: threshold {value} is negative — a count or rate is 0 or more")
    return float(value)


LOWER = re.compile(r"\b(lager|minder|daling|dalen|daalt|gedaald|afname|afnemen|afgenomen|neemt af|vermindering|"
                   r"verminderd|verminderen|reductie|omlaag)\b", re.I)
HIGHER = re.compile(r"\b(hoger|meer|stijging|stijgen|stijgt|gestegen|toename|toenemen|toegenomen|neemt toe|groei|groeit|"
                    r"omhoog)\b", re.I)
CAP = re.compile(r"\b(hooguit|maximaal|ten hoogste|niet meer dan|niet hoger dan)\b", re.I)


def _check_rule_words(rule: Rule, title: str, quote: str, ind: Indicator, where: str) -> None:
    """A relative change is an upper limit (value <= baseline x (1 + change)). Its sign must agree
    with the target's own words and with the indicator's better direction: `change: 0.2` in a
    target titled '20% lager' would allow a rise of 20% and call it met."""
    if rule.kind != "relative_change" or rule.bound == "lower":
        return
    text = f"{title} {quote}"
    lower, higher, cap = LOWER.search(text), HIGHER.search(text), CAP.search(text)
    pct = f"{abs(rule.change) * 100:g}%"
    if rule.change > 0:
        if lower and not (higher and cap):
            raise IvbError(f"{where}: change {rule.change:g} allows a rise of up to {pct} (ten hoogste "
                           f"{1 + rule.change:g} keer het basisjaar), but the target says '{lower.group(0)}' — for "
                           f"'{pct} lager' write change: -{rule.change:g}")
        if ind.better == "lower" and not cap:
            raise IvbError(f"{where}: change {rule.change:g} allows {ind.id} to rise by up to {pct}, but lower is better "
                           f"for {ind.id} (data/indicators.yaml) — for a fall write change: -{rule.change:g}; a target "
                           f"that allows a limited rise says so ('hooguit {pct} meer')")
    else:
        if higher and not lower:
            raise IvbError(f"{where}: change {rule.change:g} demands a fall of at least {pct}, but the target says "
                           f"'{higher.group(0)}' — for a limited rise write change: {abs(rule.change):g}")
        if ind.better == "higher":
            raise IvbError(f"{where}: change {rule.change:g} demands a fall of {ind.id}, but higher is better for "
                           f"{ind.id} (data/indicators.yaml) — a relative_change is an upper limit; for a level to "
                           f"reach use at_least")


def read_header(section: dict, path: Path, name: str) -> dict:
    """The header a policy file opens with (`policy:` of the targets, `monitor:` of the monitor):
    id, title, municipality, period (two years), source_id and where, checked alike for both."""
    for key in ("id", "title", "municipality", "period", "source_id"):
        if not section.get(key):
            raise IvbError(f"{path}: {name}.{key} is missing — add it")
    period = section["period"]
    if not (isinstance(period, list) and len(period) == 2 and all(isinstance(y, int) and not isinstance(y, bool)
                                                                     for y in period)):
        raise IvbError(f"{path}: {name}.period must be two years like [2024, 2027]")
    if not 1990 <= period[0] <= period[1] <= 2100:
        raise IvbError(f"{path}: {name}.period {period[0]}–{period[1]} is not a period of years (the first year first, "
                       f"e.g. [2024, 2027])")
    where = f"{path}: {name}"
    municipality = text(section, "municipality", where)
    if not re.fullmatch(r"GM\d{4}", municipality):
        raise IvbError(f"{where}.municipality {municipality!r} is not a municipality code — write GM and four digits, e.g. GM1969")
    return dict(id=check_id(section["id"], where, "id"), title=text(section, "title", where), municipality=municipality,
                period=(period[0], period[1]), source_id=check_id(section["source_id"], where, "source_id"),
                where=text(section, "where", where, required=False))


def load_policy(path: Path, indicators: dict[str, Indicator]) -> Policy:
    path = Path(path)
    doc = require_mapping(read_yaml(path), path, "a targets file")
    pol = require_mapping(doc.get("policy"), path, "'policy'")
    policy = Policy(**read_header(pol, path, "policy"), path=path,
                    drafted_from=text(pol, "drafted_from", f"{path}: policy", required=False))
    if pol.get("source") is not None:   # the document's own source entry (registered with the sources)
        policy.source = dict(require_mapping(pol["source"], path, "'policy.source'"))
        if policy.source.get("id") != policy.source_id:
            raise IvbError(f"{path}: policy.source.id {policy.source.get('id')!r} must be policy.source_id "
                           f"{policy.source_id!r}")
    for k, item in enumerate(listing(doc, "skipped", str(path)), start=1):   # what ivb draft passed over: shape only
        text(item, "quote", f"{path}: skipped item {k}", required=False)
    themes = doc.get("themes")
    if not isinstance(themes, list) or not themes:
        raise IvbError(f"{path}: 'themes' must be a non-empty list — see the comment at the top of the file")
    ids: set[str] = set()
    for t in listing(doc, "themes", str(path)):
        where_t = f"{path}: theme {t.get('id', '?')!r}"
        for key in ("id", "name", "quote", "parts"):
            if not t.get(key):
                raise IvbError(f"{where_t}: '{key}' is missing — add it")
        theme_id = check_id(t["id"], f"{path}: a theme", "id")
        for p in listing(t, "parts", where_t):
            pid = p.get("id")
            if not pid:
                raise IvbError(f"{path}: a part of theme {theme_id!r} has no 'id' — add a short id like verkeer-ongevallen")
            pid = check_id(pid, f"{path}: a part of theme {theme_id!r}", "id")
            where = f"{path}: target {pid!r}"
            if pid.lower() in RESERVED:
                raise IvbError(f"{where}: {pid!r} is the name of a page of its own ({pid}.html) — choose another id")
            if pid in ids:
                raise IvbError(f"{where}: id is used twice — every target part needs its own id")
            ids.add(pid)
            for key in ("title", "quote"):
                if not p.get(key):
                    raise IvbError(f"{where}: '{key}' is missing — quote the policy text")
            common = dict(id=pid, theme_id=theme_id, theme_name=text(t, "name", where_t), theme_quote=text(t, "quote", where_t),
                          title=text(p, "title", where), quote=text(p, "quote", where),
                          note=text(p, "note", where, required=False),
                          document_note=text(p, "document_note", where, required=False),
                          reading=text(p, "reading", where, required=False))
            draft = _draft_block(p, where)
            if p.get("scored") is False:
                reason = text(p, "reason", where)
                iid = p.get("indicator")
                if iid is not None and (not isinstance(iid, str) or iid not in indicators):
                    raise IvbError(f"{where}: unknown indicator {iid!r} — use one of {', '.join(sorted(indicators))}")
                if p.get("rule"):
                    raise IvbError(f"{where}: a part with scored: false has no rule — keep the proposal under "
                                   f"proposed_rule, or remove 'scored: false' once it can be tested")
                if p.get("proposed_rule") is not None:
                    require_mapping(p["proposed_rule"], where, "proposed_rule")
                policy.parts.append(Part(**common, indicator=iid, qualitative=True, unscored=reason, draft=draft,
                                         needs_figure=text(p, "needs_figure", where, required=False),
                                         account=text(p, "account", where, required=False)))
                continue
            if p.get("qualitative"):
                if not p.get("account"):
                    raise IvbError(f"{where}: a qualitative part needs 'account' (what the document says was done)")
                if p.get("rule") or p.get("indicator"):
                    raise IvbError(f"{where}: a qualitative part has no indicator or rule — remove them or drop 'qualitative'")
                policy.parts.append(Part(**common, qualitative=True, account=text(p, "account", where), draft=draft))
                continue
            iid = p.get("indicator")
            if not iid:
                raise IvbError(f"{where}: 'indicator' is missing — name one from data/indicators.yaml, or mark the part qualitative: true")
            if not isinstance(iid, str) or iid not in indicators:
                raise IvbError(f"{where}: unknown indicator {iid!r} — use one of {', '.join(sorted(indicators))}")
            if not p.get("rule"):
                raise IvbError(f"{where}: 'rule' is missing — see the rule kinds at the top of the file")
            rule = _rule(p["rule"], where, indicators[iid])
            _check_rule_words(rule, common["title"], common["quote"], indicators[iid], where)
            policy.parts.append(Part(**common, indicator=iid, rule=rule, draft=draft))
    seen_checks: set[str] = set()
    for c in listing(doc, "checks", str(path)):
        where = f"{path}: check {c.get('id', '?')!r}"
        kind = c.get("kind", "change")
        if kind not in CHECK_KINDS:
            raise IvbError(f"{where}: unknown kind {kind!r} — use one of {', '.join(CHECK_KINDS)}")
        needed = ["id", "area", "from_year", "to_year", "quote", "source_id"]
        needed += {"change": ["indicator", "stated_change"], "direction": ["indicator", "direction"],
                   "direction_national": ["indicator", "direction"], "lowest_in": ["indicator"],
                   "rate_below_national": ["indicator"], "needs_figure": ["needs"]}[kind]
        missing = [k for k in needed if c.get(k) is None]
        if missing:
            raise IvbError(f"{where}: {', '.join(missing)} missing — add it")
        cid = check_id(c["id"], f"{path}: a check", "id")
        if cid in seen_checks:
            raise IvbError(f"{where}: id is used twice — every check needs its own id")
        seen_checks.add(cid)
        if kind.startswith("direction") and c["direction"] not in ("up", "down"):
            raise IvbError(f"{where}: direction must be up or down, got {c['direction']!r}")
        if c.get("indicator") is not None and (not isinstance(c["indicator"], str) or c["indicator"] not in indicators):
            raise IvbError(f"{where}: unknown indicator {c['indicator']!r}")
        area = text(c, "area", where)
        if not re.fullmatch(r"GM\d{4}|NL01", area):
            raise IvbError(f"{where}: area {area!r} is not a municipality code — write GM and four digits, e.g. GM1969")
        from_year, to_year = _int(c["from_year"], where, "from_year"), _int(c["to_year"], where, "to_year")
        one_year = kind in ("rate_below_national", "needs_figure")   # a statement about one year may name it twice
        if from_year > to_year or (from_year == to_year and not one_year):
            raise IvbError(f"{where}: from_year {from_year} is not before to_year {to_year} — a statement about a change "
                           f"runs from the earlier year to the later one")
        if to_year >= _this_year():
            raise IvbError(f"{where}: to_year {to_year} is not over yet — a statement in the document is about years that "
                           f"are over; correct the year")
        stated = None
        if kind == "change":
            stated = c["stated_change"]
            if isinstance(stated, bool) or not isinstance(stated, (int, float)):
                raise IvbError(f"{where}: stated_change must be a number like 0.63, got {stated!r}")
            if not -1 < stated <= 10 or stated == 0:
                raise IvbError(f"{where}: stated_change {stated!r} must be a fraction — write 0.63 for '+63%' "
                               f"and -0.20 for '20% lower' (not 63 or -20)")
            stated = float(stated)
        factor = c.get("factor") or 1.0
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 1 <= factor <= 100:
            raise IvbError(f"{where}: factor {factor!r} must be a number of at least 1, e.g. 1.5 for 'veel hoger'")
        policy.checks.append(Check(id=cid, kind=kind, indicator=c.get("indicator"), area=area,
                                   from_year=from_year, to_year=to_year,
                                   quote=text(c, "quote", where), source_id=check_id(c["source_id"], where, "source_id"),
                                   stated_change=stated,
                                   direction=c.get("direction"), reading=text(c, "reading", where, required=False),
                                   factor=float(factor), needs=text(c, "needs", where, required=False)))
    return policy


def _draft_block(p: dict, where: str) -> dict | None:
    """The `draft:` block `ivb draft` writes: confidence, reasons, reviewed (a reviewed part may drop it)."""
    d = p.get("draft")
    if d is None:
        return None
    d = require_mapping(d, where, "the draft block")
    if d.get("confidence") not in (None, "high", "medium", "low"):
        raise IvbError(f"{where}: draft.confidence must be high, medium or low, got {d.get('confidence')!r}")
    if not isinstance(d.get("reviewed", False), bool):
        raise IvbError(f"{where}: draft.reviewed must be true or false")
    listing(d, "reasons", where, of=str)
    return {"confidence": d.get("confidence"), "reviewed": bool(d.get("reviewed", False)),
            "reasons": list(d.get("reasons") or []), "where": str(d.get("where") or "")}


def _this_year() -> int:
    import datetime as dt

    return dt.date.today().year


def load_policies(folder: Path, indicators: dict[str, Indicator], choose: str | None = None) -> Policy:
    """The policy a run uses, from the targets files of `folder` (several may live side by side, e.g.
    drafts of other municipalities): the one `choose` names (a policy id or a file name of the
    folder; `ivb run --targets`, IVB_TARGETS), else the only one, else the only one not drafted by
    `ivb draft`. Every file is checked, so `ivb check` names a broken draft too."""
    files = sorted(Path(folder).glob("*.yaml")) + sorted(Path(folder).glob("*.yml"))
    if not files:
        raise IvbError(f"{folder}: no targets file — add one like data/targets/ivb-2020-2023.yaml")
    policies = [load_policy(f, indicators) for f in files]
    seen: dict[str, Path] = {}
    for p in policies:
        if p.id in seen:
            raise IvbError(f"{p.path}: policy id {p.id!r} is also the id of {seen[p.id].name} — every policy needs its own id")
        seen[p.id] = p.path
    if choose:
        name = Path(choose).name
        hit = [p for p in policies if p.id == choose or p.path.name == name]
        if not hit:
            raise IvbError(f"--targets {choose!r}: no such policy in {folder} — choose one of "
                           f"{', '.join(p.path.name for p in policies)} (a file of data/targets/)")
        return hit[0]
    if len(policies) == 1:
        return policies[0]
    own = [p for p in policies if not p.drafted_from]
    if len(own) == 1:
        return own[0]
    raise IvbError(f"{folder}: {len(policies)} targets files ({', '.join(f.name for f in files)}) and none is the "
                   f"default — choose one with --targets (or IVB_TARGETS)")
