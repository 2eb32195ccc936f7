"""Registries of indicators and sources: what a figure may measure and where it comes from."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import IvbError
from ..ids import check_id
from ..yamlio import read_yaml, require_mapping, text

SOURCE_KINDS = {
    # kind: (rank within one data layer, Dutch label, one-letter mark for the coverage matrix)
    "analyst_supplied": (0, "aangeleverd door analist", "A"),
    "official_table": (1, "officiële tabel", "O"),
    "policy_document": (2, "beleidsdocument", "D"),
    "press_report": (3, "persbericht/analyse met politie- of RWS-cijfers", "P"),
}
UNITS = {"count", "mark"}


CAVEAT_KINDS = ("note", "break", "abnormal_year")


@dataclass(frozen=True)
class Caveat:
    """A known limitation of a series, shown wherever it applies.

    kind: note (context), break (a registration change: figures on two sides are not like for
    like, so a count comparison across it can never be called clear), abnormal_year (an
    unusual year, e.g. a lockdown year, as baseline or evaluation year)."""
    text_nl: str
    kind: str = "note"
    crosses_year: int | None = None
    before_year: int | None = None
    in_years: tuple[int, ...] = ()
    areas: tuple[str, ...] = ()
    label_nl: str = ""     # short name for charts, e.g. "registratiewijziging maart 2020"

    def applies(self, years: list[int], area: str) -> bool:
        if self.areas and area not in self.areas:
            return False
        ys = [y for y in years if y is not None]
        if not ys:
            return False
        if self.crosses_year is not None and not (min(ys) < self.crosses_year <= max(ys)):
            return False
        if self.before_year is not None and not min(ys) < self.before_year:
            return False
        if self.in_years and not set(ys) & set(self.in_years):
            return False
        return True


@dataclass(frozen=True)
class Indicator:
    id: str
    label_nl: str
    unit: str
    better: str
    definition: str
    national_indicator: str | None
    national_area: str | None
    min: float | None = None
    max: float | None = None
    max_plausible: int | None = None
    caveats: tuple[Caveat, ...] = ()

    @property
    def is_count(self) -> bool:
        return self.unit == "count"

    # One meaning of breaks and abnormal years for every layer (evaluation, panel tau, charts).
    def caveats_for(self, years: list[int], area: str) -> list[Caveat]:
        """Every caveat that applies when `years` of `area` are compared (or shown)."""
        return [c for c in self.caveats if c.applies(years, area)]

    def breaks_between(self, years: list[int], area: str) -> list[Caveat]:
        """The registration breaks that lie between the years compared, for this area."""
        return [c for c in self.caveats if c.kind == "break" and c.applies(years, area)]

    def break_years(self, area: str | None = None) -> list[int]:
        """The years in which the series breaks: everywhere (area None), or for `area` (its own
        breaks and those that apply everywhere)."""
        return sorted({c.crosses_year for c in self.caveats if c.kind == "break" and c.crosses_year is not None
                       and (not c.areas or (area is not None and area in c.areas))})

    def abnormal_years(self, area: str | None = None) -> list[int]:
        """The abnormal years (e.g. lockdown years): everywhere (area None), or for `area`."""
        return sorted({y for c in self.caveats if c.kind == "abnormal_year"
                       and (not c.areas or (area is not None and area in c.areas)) for y in c.in_years})

    def is_abnormal(self, years: list[int], area: str) -> bool:
        """Whether one of the years compared is an abnormal year of this indicator for `area`."""
        return any(c.kind == "abnormal_year" and c.applies(years, area) for c in self.caveats)

    def area_specific(self) -> set[str]:
        """Areas with a break or abnormal year of their own."""
        return {a for c in self.caveats if c.kind in ("break", "abnormal_year") for a in c.areas}


@dataclass(frozen=True)
class Source:
    id: str
    kind: str
    publisher: str
    title: str
    document: str
    url: str | None
    retrieved: str
    note: str = ""
    provisional_years: tuple[int, ...] = ()   # years the publisher marks provisional ('Voorlopig')
    nl_title: str = ""    # the title in Dutch, for reports (registry key title_nl); empty: `title` is Dutch already
    nl_note: str = ""     # the note in Dutch (registry key note_nl)

    @property
    def title_nl(self) -> str:
        return self.nl_title or self.title

    @property
    def note_nl(self) -> str:
        return self.nl_note or self.note

    def is_provisional(self, year: int) -> bool:
        return int(year) in self.provisional_years

    @property
    def kind_rank(self) -> int:
        return SOURCE_KINDS[self.kind][0]

    @property
    def kind_label(self) -> str:
        return SOURCE_KINDS[self.kind][1]

    @property
    def kind_mark(self) -> str:
        return SOURCE_KINDS[self.kind][2]


def load_indicators(path: Path) -> dict[str, Indicator]:
    doc = require_mapping(read_yaml(path), path, "the indicator registry")
    items = require_mapping(doc.get("indicators"), path, "'indicators'")
    out: dict[str, Indicator] = {}
    for iid, d in items.items():
        check_id(iid, f"{path}: an indicator", "id")
        d = require_mapping(d, path, f"indicator {iid!r}")
        where = f"{path}: indicator {iid!r}"
        for key in ("label_nl", "unit", "better", "definition"):
            if not d.get(key):
                raise IvbError(f"{where}: '{key}' is missing — add it")
            text(d, key, where)
        if d["unit"] not in UNITS:
            raise IvbError(f"{where}: unit {d['unit']!r} is unknown — use one of {sorted(UNITS)}")
        if d["better"] not in ("lower", "higher", "none"):
            raise IvbError(f"{where}: better must be 'lower', 'higher' or 'none', got {d['better']!r}")
        if d["unit"] == "mark" and (d.get("min") is None or d.get("max") is None):
            raise IvbError(f"{where}: a mark needs 'min' and 'max' — add them (e.g. min: 1, max: 10)")
        nat = d.get("national") or {}
        caveats = []
        for c in d.get("caveats") or ():
            c = require_mapping(c, path, f"a caveat of indicator {iid!r}")
            kind = c.get("kind", "note")
            if kind not in CAVEAT_KINDS:
                raise IvbError(f"{where}: caveat kind {kind!r} is unknown — use one of {', '.join(CAVEAT_KINDS)}")
            if not c.get("text_nl"):
                raise IvbError(f"{where}: a caveat needs text_nl — add the Dutch sentence a reader sees")
            if kind == "break" and c.get("crosses_year") is None:
                raise IvbError(f"{where}: a caveat of kind break needs crosses_year (the first year of the new registration)")
            if kind == "abnormal_year" and not c.get("in_years"):
                raise IvbError(f"{where}: a caveat of kind abnormal_year needs in_years, e.g. [2020]")
            caveats.append(Caveat(text_nl=" ".join(str(c["text_nl"]).split()), kind=kind,
                                  crosses_year=c.get("crosses_year"), before_year=c.get("before_year"),
                                  in_years=tuple(c.get("in_years") or ()), areas=tuple(c.get("areas") or ()),
                                  label_nl=str(c.get("label_nl") or "")))
        caveats = tuple(caveats)
        out[iid] = Indicator(
            id=iid,
            label_nl=d["label_nl"],
            unit=d["unit"],
            better=d["better"],
            definition=d["definition"],
            national_indicator=nat.get("indicator"),
            national_area=nat.get("area"),
            min=d.get("min"),
            max=d.get("max"),
            max_plausible=d.get("max_plausible"),
            caveats=caveats,
        )
    for ind in out.values():
        if ind.national_indicator and ind.national_indicator not in out:
            raise IvbError(f"{path}: indicator {ind.id!r} names unknown national indicator {ind.national_indicator!r}")
    return out


_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def _years_list(value, where: str) -> tuple[int, ...]:
    if value in (None, "", []):
        return ()
    if not isinstance(value, list) or not all(isinstance(y, int) for y in value):
        raise IvbError(f"{where}: provisional_years must be a list of years, e.g. [2024]")
    return tuple(sorted(value))


def load_sources(paths: list[Path]) -> dict[str, Source]:
    """Load the sources registry, plus any analyst registry (data/local/sources.yaml)."""
    out: dict[str, Source] = {}
    for path in paths:
        if not Path(path).exists():
            continue
        doc = require_mapping(read_yaml(path), path, "a sources registry")
        entries = doc.get("sources") or []
        if not isinstance(entries, list):
            raise IvbError(f"{path}: 'sources' must be a list of entries starting with '- id:'")
        for i, d in enumerate(entries, start=1):
            d = require_mapping(d, path, f"source entry {i}")
            sid = d.get("id")
            where = f"{path}: source {sid if isinstance(sid, str) else '#' + str(i)}"
            if not sid:
                raise IvbError(f"{where}: 'id' is missing — give every source a short id")
            if sid in out:
                raise IvbError(f"{where}: id {sid!r} is defined twice — rename one")
            out[sid] = source_entry(d, where, f"{path}: source #{i}")
    return out


def source_entry(d: dict, where: str, id_where: str | None = None) -> Source:
    """One source entry of a registry (or of a policy file's own `policy.source`), checked."""
    sid = d.get("id")
    check_id(sid, id_where or where, "id")
    for key in ("publisher", "title", "document", "note", "title_nl", "note_nl", "url"):
        text(d, key, where, required=False)
    for key in ("kind", "publisher", "title", "retrieved"):
        if not d.get(key):
            raise IvbError(f"{where}: '{key}' is missing — add it")
    if d["kind"] not in SOURCE_KINDS:
        raise IvbError(f"{where}: kind {d['kind']!r} is unknown — use one of {sorted(SOURCE_KINDS)}")
    retrieved = d["retrieved"]
    if isinstance(retrieved, (dt.date, dt.datetime)):
        retrieved = retrieved.isoformat()[:10]
    retrieved = str(retrieved)
    if not _DATE.match(retrieved):
        raise IvbError(f"{where}: retrieved {retrieved!r} is not a date — write YYYY-MM-DD (or YYYY-MM)")
    if not (d.get("url") or d.get("document")):
        raise IvbError(f"{where}: give a 'url' or a 'document' so a reader can find the source")
    return Source(
        id=sid,
        kind=d["kind"],
        publisher=str(d["publisher"]),
        title=str(d["title"]),
        document=str(d.get("document") or ""),
        url=d.get("url"),
        retrieved=retrieved,
        note=str(d.get("note") or ""),
        provisional_years=_years_list(d.get("provisional_years"), where),
        nl_title=str(d.get("title_nl") or ""),
        nl_note=str(d.get("note_nl") or ""),
    )
