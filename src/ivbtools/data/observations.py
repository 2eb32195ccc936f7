"""Validated observations: the tidy table (indicator, area, year, value, source) every step reads.

Reading a CSV checks every line and refuses the whole file at the first problem, with one
line naming the file, the line and the fix. Resolving merges the rows of all providers:
where several sources give a figure for the same (indicator, area, year), a stated
precedence picks one (data layer first: local > cache > panel > snapshot; then source kind:
analyst > official table > policy document > press report) and every other value that
differs is listed as a disagreement.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import IvbError
from .registry import Indicator, Source

REQUIRED_COLUMNS = ["indicator", "area_code", "area_name", "year", "value", "source_id"]
OPTIONAL_COLUMNS = ["note"]
COLUMNS = REQUIRED_COLUMNS + ["source_kind", "layer", "origin"]
# panel: the all-municipality download (`ivb fetch --all-municipalities`), below a fetch for
# the municipality itself and above the embedded snapshot.
LAYER_RANK = {"local": 0, "cache": 1, "panel": 2, "snapshot": 3}
AREA_CODE = re.compile(r"^(GM\d{4}|NL01|PV\d{2}|LD\d{2}|RE\d{2})$")
MIN_YEAR = 1990
HEADER_HINT = ",".join(REQUIRED_COLUMNS)


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise IvbError(f"{path}: not a text file — save the sheet as CSV (UTF-8) with header {HEADER_HINT}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Dutch Excel saves "CSV (gescheiden door lijstscheidingsteken)" as Windows-1252.
        return raw.decode("cp1252", errors="strict")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise IvbError(f"{path}:{line}: byte 0x{raw[exc.start]:02x} is neither UTF-8 nor Windows-1252 text (an old DOS "
                       f"code page?) — save the file as 'CSV UTF-8' and try again") from None


def _parse_count(text: str) -> tuple[float | None, str]:
    if re.fullmatch(r"\d+", text):
        return float(int(text)), ""
    if text == "":
        return None, "value is empty — leave the row out when the figure is missing"
    if re.fullmatch(r"-\s*\d+([.,]\d+)?", text):
        return None, f"value {text!r} is negative — a count is 0 or more"
    if re.fullmatch(r"\d+[.,]\d+", text) or re.fullmatch(r"\d+(\.\d+)?[eE][+-]?\d+", text):
        return None, f"value {text!r} is not a whole number — write the count as digits only, without decimals, separators or exponents"
    return None, f"value {text!r} is not a number — write the count as digits, or leave the row out when the figure is missing"


def _parse_mark(text: str, ind: Indicator) -> tuple[float | None, str]:
    if re.fullmatch(r"\d+([.,]\d+)?", text):
        v = float(text.replace(",", "."))
        if not (ind.min <= v <= ind.max):
            return None, f"value {text!r} is outside {ind.min:g}–{ind.max:g} for {ind.id}"
        return v, ""
    if text == "":
        return None, "value is empty — leave the row out when the figure is missing"
    return None, f"value {text!r} is not a mark — write it like 7.4"


def read_observation_csv(path: Path, indicators: dict[str, Indicator], sources: dict[str, Source],
                         layer: str, municipalities=None) -> pd.DataFrame:
    """Read and validate one observations CSV; raise IvbError at the first bad line. With a
    municipality code list, a GM code must exist and must not carry another municipality's name."""
    path = Path(path)
    try:
        text = _decode(path)
    except OSError as exc:
        raise IvbError(f"{path}: cannot be read ({exc.strerror}) — check the file's permissions") from None
    lines = text.splitlines()
    rows: list[dict] = []
    header: list[str] | None = None
    delimiter = ","
    seen: dict[tuple, int] = {}
    this_year = dt.date.today().year
    for lineno, line in enumerate(lines, start=1):
        # blank lines, comments, and a spreadsheet's empty rows (';;;;;', ',,,,,') are skipped
        if not line.strip(" \t,;") or line.lstrip().startswith("#"):
            continue
        if header is None:
            if ";" in line and "," not in line:
                delimiter = ";"  # Dutch Excel default
            header = [c.strip().lower() for c in next(csv.reader([line], delimiter=delimiter))]
            while header and header[-1] == "":   # a spreadsheet's empty columns after the last one used
                header.pop()
            if not set(header) & set(REQUIRED_COLUMNS):
                raise IvbError(f"{path}:{lineno}: does not look like an observations CSV — the first line must be the header {HEADER_HINT}")
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise IvbError(f"{path}:{lineno}: missing column(s) {', '.join(missing)} — the header must be {HEADER_HINT}")
            unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
            if unknown:
                raise IvbError(f"{path}:{lineno}: unknown column(s) {', '.join(unknown)} — allowed are {HEADER_HINT} and an optional 'note'")
            if len(set(header)) != len(header):
                raise IvbError(f"{path}:{lineno}: a column appears twice in the header — keep one")
            continue
        cells = next(csv.reader([line], delimiter=delimiter))
        where = f"{path}:{lineno}"
        if all(not c.strip() for c in cells):   # e.g. '"";""' : empty all the same
            continue
        while len(cells) > len(header) and not cells[-1].strip():   # empty cells after the last column
            cells.pop()
        if len(cells) != len(header):
            raise IvbError(f"{where}: {len(cells)} fields where the header has {len(header)} — check for a stray "
                           f"'{delimiter}' (a decimal comma needs quotes) or a missing value")
        rec = {k: v.strip() for k, v in zip(header, cells)}
        empty = [k for k in REQUIRED_COLUMNS if not rec[k] and k != "value"]
        if empty:
            raise IvbError(f"{where}: a partly empty row ({', '.join(empty)} empty) — fill in the missing "
                           f"field{'s' if len(empty) > 1 else ''}, or delete the row")
        ind = indicators.get(rec["indicator"])
        if ind is None:
            raise IvbError(f"{where}: unknown indicator {rec['indicator']!r} — use one of {', '.join(sorted(indicators))} (data/indicators.yaml)")
        src = sources.get(rec["source_id"])
        if src is None:
            raise IvbError(f"{where}: unknown source id {rec['source_id']!r} — add it to data/sources.yaml "
                           f"(or data/local/sources.yaml for analyst figures)")
        if not AREA_CODE.match(rec["area_code"]):
            raise IvbError(f"{where}: area_code {rec['area_code']!r} is not a CBS code — write e.g. GM1969 (GM + 4 digits) or NL01")
        if municipalities is not None and rec["area_code"].startswith("GM"):
            problem = municipalities.problem(rec["area_code"], rec["area_name"])
            if problem:
                raise IvbError(f"{where}: {problem}")
        if not rec["area_name"]:
            raise IvbError(f"{where}: area_name is empty — write the municipality's name, e.g. Westerkwartier")
        if not re.fullmatch(r"\d{4}", rec["year"]) or not (MIN_YEAR <= int(rec["year"]) <= this_year):
            raise IvbError(f"{where}: year {rec['year']!r} is not a year between {MIN_YEAR} and {this_year} — write the calendar year, e.g. 2023")
        value, problem = _parse_count(rec["value"]) if ind.is_count else _parse_mark(rec["value"], ind)
        if problem:
            raise IvbError(f"{where}: {problem}")
        if ind.is_count and ind.max_plausible is not None and value > ind.max_plausible:
            raise IvbError(f"{where}: value {int(value)} is implausibly large for {ind.id} (more than "
                           f"{ind.max_plausible}) — check for a typing error")
        key = (rec["indicator"], rec["area_code"], int(rec["year"]), rec["source_id"])
        if key in seen:
            raise IvbError(f"{where}: duplicate of line {seen[key]} (same indicator, area, year and source) — keep one of the two")
        seen[key] = lineno
        rows.append({
            "indicator": rec["indicator"], "area_code": rec["area_code"], "area_name": rec["area_name"],
            "year": int(rec["year"]), "value": value, "source_id": rec["source_id"],
            "source_kind": src.kind, "layer": layer, "origin": f"{path.name}:{lineno}",
        })
    if header is None:
        raise IvbError(f"{path}: the file is empty — it needs the header {HEADER_HINT} and one row per figure")
    if not rows and layer == "local":
        raise IvbError(f"{path}: only a header, no figures — add one row per figure, or remove the file")
    return pd.DataFrame(rows, columns=COLUMNS)


def read_panel_csv(path: Path, indicators: dict[str, Indicator], sources: dict[str, Source],
                   municipalities=None, layer: str = "panel") -> pd.DataFrame:
    """Read an all-municipality extract (written and validated line by line by `ivb fetch
    --all-municipalities`, sha256-verified on read) with vectorised checks: the same rules as
    read_observation_csv for the columns, indicators, sources, codes, years and counts, at a
    speed that suits tens of thousands of rows. The first bad row is named with its line."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    except (OSError, ValueError) as exc:
        raise IvbError(f"{path}: cannot be read as an observations CSV ({exc}) — run `ivb fetch --all-municipalities --refresh`") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise IvbError(f"{path}: missing column(s) {', '.join(missing)} — run `ivb fetch --all-municipalities --refresh`")
    df = df[REQUIRED_COLUMNS].apply(lambda c: c.str.strip())
    this_year = dt.date.today().year
    years = pd.to_numeric(df.year.where(df.year.str.fullmatch(r"\d{4}")), errors="coerce")
    values = pd.to_numeric(df.value.where(df.value.str.fullmatch(r"\d+")), errors="coerce")
    known = set(municipalities.by_code) if municipalities is not None else None
    problems = [
        (~df.indicator.isin(list(indicators)), "unknown indicator"),
        (~df.source_id.isin(list(sources)), "unknown source id"),
        (~df.area_code.str.fullmatch(AREA_CODE.pattern), "area_code is not a CBS code"),
        (df.area_code.str.startswith("GM") & ~df.area_code.isin(list(known)) if known is not None
         else pd.Series(False, index=df.index), "not a municipality in data/municipalities.csv"),
        (years.isna() | (years < MIN_YEAR) | (years > this_year), "year is not a calendar year"),
        (values.isna(), "value is not a whole count"),
        (df.duplicated(["indicator", "area_code", "year", "source_id"]), "duplicate (indicator, area, year, source)"),
    ]
    for mask, what in problems:
        if mask.any():
            i = int(mask.to_numpy().nonzero()[0][0])
            raise IvbError(f"{path}:{i + 2}: {what} ({', '.join(df.iloc[i].tolist())}) — run "
                           f"`ivb fetch --all-municipalities --refresh`")
    kinds = {sid: s.kind for sid, s in sources.items()}
    out = pd.DataFrame({
        "indicator": df.indicator, "area_code": df.area_code, "area_name": df.area_name, "year": years.astype(int),
        "value": values.astype(float), "source_id": df.source_id, "source_kind": df.source_id.map(kinds),
        "layer": layer, "origin": path.name + ":" + (df.index + 2).astype(str),
    })
    return out[COLUMNS]


@dataclass
class Observations:
    """Resolved observations plus everything needed to explain the choice."""

    table: pd.DataFrame          # one row per (indicator, area_code, year): the chosen figure
    all_rows: pd.DataFrame       # every row of every provider
    disagreements: pd.DataFrame  # other sources whose value differs from the chosen one

    _index: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def _ensure_index(self) -> dict:
        """Row positions per (indicator, area) and the area names of `table`, built once per
        table so that a report's many lookups do not scan it each time; built again when the
        table is replaced or changes length (rows dropped or added in place)."""
        ix = self._index
        if ix.get("table") is not self.table or ix.get("length") != len(self.table):
            ix.clear()
            ix.update(table=self.table, length=len(self.table),
                      rows=self.table.groupby(["indicator", "area_code"], sort=False).indices,
                      names=dict(self.table.drop_duplicates("area_code")[["area_code", "area_name"]].itertuples(index=False)))
        return ix

    def _rows(self, indicator: str, area: str) -> np.ndarray:
        return self._ensure_index()["rows"].get((indicator, area), np.empty(0, dtype=int))

    def copy(self) -> Observations:
        """A copy whose tables are pandas copy-on-write copies: changing either never changes the
        other, and nothing is copied until then. The index is shared (same rows)."""
        new = Observations(self.table.copy(deep=False), self.all_rows.copy(deep=False),
                           self.disagreements.copy(deep=False))
        if self._index.get("table") is self.table:
            new._index.update(self._index, table=new.table)
        return new

    def get(self, indicator: str, area: str, year: int) -> pd.Series | None:
        s = self.series(indicator, area)
        hit = s[s.year == year]
        return None if hit.empty else hit.iloc[0]

    def alternatives(self, indicator: str, area: str, year: int) -> list[pd.Series]:
        """Other sources' figures for the same (indicator, area, year) whose value differs from
        the chosen one, one per distinct value, in order of precedence."""
        d = self.disagreements
        hit = d[(d.indicator == indicator) & (d.area_code == area) & (d.year == year)]
        out, seen = [], set()
        for r in hit.itertuples():
            if round(r.other_value, 6) in seen:
                continue
            seen.add(round(r.other_value, 6))
            out.append(pd.Series({"year": year, "value": r.other_value, "source_id": r.other_source, "origin": r.other_origin}))
        return out

    def series(self, indicator: str, area: str) -> pd.DataFrame:
        return self.table.iloc[self._rows(indicator, area)].sort_values("year").reset_index(drop=True)

    def areas(self) -> dict[str, str]:
        return dict(self._ensure_index()["names"])

    def area_name(self, code: str) -> str:
        return self._ensure_index()["names"].get(code, code)

    def years(self) -> tuple[int, int] | None:
        if self.table.empty:
            return None
        return int(self.table.year.min()), int(self.table.year.max())


# Differences up to this size are rounding (marks have one decimal); counts differ by 1 or more.
ROUNDING = 0.05


def resolve(frames: list[pd.DataFrame], sources: dict[str, Source]) -> Observations:
    """Merge provider rows: pick one figure per (indicator, area, year) by stated precedence.
    Vectorised (sort, first of each group, compare with it), so a panel of every municipality
    resolves in a fraction of a second."""
    frames = [f for f in frames if not f.empty]
    all_rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    if all_rows.empty:
        return Observations(all_rows.copy(), all_rows, pd.DataFrame(columns=_DISAGREE_COLUMNS))
    keys = ["indicator", "area_code", "year"]
    kind_rank = {sid: s.kind_rank for sid, s in sources.items()}
    ranked = all_rows.assign(
        _layer=all_rows.layer.map(LAYER_RANK),
        _kind=all_rows.source_id.map(kind_rank),
    ).sort_values(keys + ["_layer", "_kind", "source_id"], kind="stable")
    first = ~ranked.duplicated(keys, keep="first")
    best = ranked[first]
    merged = ranked.merge(best[keys + ["_layer", "_kind", "value", "source_id", "origin"]], on=keys,
                          suffixes=("", "_best"), how="left")
    merged.index = ranked.index
    same_rank = (merged._layer == merged._layer_best) & (merged._kind == merged._kind_best)
    clash = merged[same_rank & ((merged.value - merged.value_best).abs() > 1e-9)]
    if not clash.empty:
        other = clash.iloc[0]
        raise IvbError(
            f"conflicting figures of equal precedence for {other.indicator} {other.area_code} {other.year}: "
            f"{other.value_best:g} ({other.origin_best}, {other.source_id_best}) vs {other.value:g} ({other.origin}, "
            f"{other.source_id}) — remove the wrong row, or keep the better one in data/local/ so it takes precedence")
    others = merged[~first.to_numpy() & ((merged.value - merged.value_best).abs() > ROUNDING).to_numpy()]
    disagreements = pd.DataFrame({
        "indicator": others.indicator, "area_code": others.area_code, "year": others.year.astype(int),
        "chosen_value": others.value_best, "chosen_source": others.source_id_best, "chosen_origin": others.origin_best,
        "other_value": others.value, "other_source": others.source_id, "other_origin": others.origin,
        "difference": others.value - others.value_best,
    }, columns=_DISAGREE_COLUMNS).reset_index(drop=True)
    table = best[COLUMNS].reset_index(drop=True)
    table["year"] = table["year"].astype(int)
    return Observations(table, all_rows[COLUMNS], disagreements)


_DISAGREE_COLUMNS = ["indicator", "area_code", "year", "chosen_value", "chosen_source", "chosen_origin",
                     "other_value", "other_source", "other_origin", "difference"]


def implausible_local_figure(obs: Observations, indicators: dict[str, Indicator]) -> str:
    """'' or one line for the first analyst figure (data/local) of a municipality that cannot be
    right: a count of events larger than the municipality's population (same year, else the
    nearest), or larger than the national figure of the same year. The registry's fixed
    `max_plausible` is national; this limit scales with the municipality."""
    t = obs.all_rows
    local = t[(t.layer == "local") & t.area_code.str.startswith("GM")]
    events = [i for i, ind in indicators.items() if ind.is_count and ind.better != "none"]
    local = local[local.indicator.isin(events)]
    if local.empty:
        return ""
    table = obs.table
    pop = table[table.indicator == "population"]
    for r in local.itertuples():
        p = pop[pop.area_code == r.area_code]
        if not p.empty:
            near = p.iloc[(p.year - r.year).abs().argsort()].iloc[0]
            if r.value > near.value:
                return (f"data/local/{r.origin}: {int(r.value):,} for {r.indicator} is more than the "
                        f"{int(near.value):,} inhabitants of {r.area_name} ({int(near.year)}) — check for a typing error")
        ind = indicators[r.indicator]
        nat = table[(table.indicator == (ind.national_indicator or r.indicator)) & (table.area_code == (ind.national_area or "NL01"))
                    & (table.year == r.year)]
        if not nat.empty and r.value > nat.value.iloc[0]:
            return (f"data/local/{r.origin}: {int(r.value):,} for {r.indicator} in {r.area_name} is more than the "
                    f"national figure for {r.year} ({int(nat.value.iloc[0]):,}) — check for a typing error")
    return ""

