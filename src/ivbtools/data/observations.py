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
import io
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


def _partial_year(year: int, ind: Indicator, layer: str, this_year: int) -> str:
    """An analyst's count for the year not over yet would be compared as a whole year: refused."""
    if layer == "local" and ind.is_count and ind.better != "none" and year >= this_year:
        return (f"{year} is not over yet — a count for part of a year would be compared with whole years "
                f"(a false 'lower than expected'); leave the row out until the year is over")
    return ""


def _read_lines(path: Path, lines: list[str], indicators: dict[str, Indicator], sources: dict[str, Source],
                layer: str, municipalities=None) -> pd.DataFrame:
    """The line-by-line validator: the first problem, with its exact line and message."""
    rows: list[dict] = []
    header: list[str] | None = None
    delimiter = ","
    seen: dict[tuple, int] = {}
    checked: dict[tuple, str] = {}   # (code, name) -> the code list's verdict, once per pair
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
            pair = (rec["area_code"], rec["area_name"])
            problem = checked.get(pair)
            if problem is None:
                problem = checked[pair] = municipalities.problem(*pair)
            if problem:
                raise IvbError(f"{where}: {problem}")
        if not rec["area_name"]:
            raise IvbError(f"{where}: area_name is empty — write the municipality's name, e.g. Westerkwartier")
        if not re.fullmatch(r"\d{4}", rec["year"]) or not (MIN_YEAR <= int(rec["year"]) <= this_year):
            raise IvbError(f"{where}: year {rec['year']!r} is not a year between {MIN_YEAR} and {this_year} — write the calendar year, e.g. 2023")
        partial = _partial_year(int(rec["year"]), ind, layer, this_year)
        if partial:
            raise IvbError(f"{where}: {partial}")
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


# An analyst's observations file: at most 20 MB (about 350,000 rows), checked in seconds; a larger
# file is refused with one line (benchmarks/local_csv.py measures both).
MAX_CSV_BYTES = 20_000_000


def read_observation_csv(path: Path, indicators: dict[str, Indicator], sources: dict[str, Source],
                         layer: str, municipalities=None) -> pd.DataFrame:
    """Read and validate one observations CSV; raise IvbError at the first bad line. With a
    municipality code list, a GM code must exist and must not carry another municipality's name.

    Every rule is first checked on whole columns at once (a million rows in seconds,
    benchmarks/local_csv.py); a file that passes is built from those columns. When any rule
    fails, the line-by-line validator reads the file up to the first failing line and names it
    with its exact message — the same messages as before, at the same line."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise IvbError(f"{path}: {size / 1e6:,.0f} MB — more than the {MAX_CSV_BYTES / 1e6:.0f} MB (about 350,000 rows) "
                           f"an observations file of ivb may have; keep only the indicators, areas and years you need, or "
                           f"split it over several files")
        text = _decode(path)
    except OSError as exc:
        raise IvbError(f"{path}: cannot be read ({exc.strerror}) — check the file's permissions") from None
    lines = text.splitlines()
    try:
        fast = _screen(path, lines, indicators, sources, layer, municipalities)
    except _Fallback:
        fast = None
    if isinstance(fast, pd.DataFrame):
        return fast
    # a problem at line `fast` (or a file the column checks cannot judge): the exact line and message
    upto = lines if fast is None else lines[:fast]
    out = _read_lines(path, upto, indicators, sources, layer, municipalities)
    return out if fast is None else _read_lines(path, lines, indicators, sources, layer, municipalities)


def _number(col: pd.Series, pattern: str) -> np.ndarray:
    """The cells that match `pattern` as numbers, NaN elsewhere (an Arrow cast: fast on a million rows)."""
    col = col.astype("str")
    return col.where(col.str.fullmatch(pattern)).astype("float64").to_numpy()


class _Fallback(Exception):
    """The column checks cannot judge this file (e.g. a quoted field across lines)."""


def _screen(path: Path, lines: list[str], indicators: dict[str, Indicator], sources: dict[str, Source],
            layer: str, municipalities) -> pd.DataFrame | int:
    """The rules of _read_lines on whole columns: the validated table, or the (1-based) number of
    the first line that breaks a rule."""
    all_lines = pd.Series(lines, dtype="str")   # Arrow-backed: the string operations below run in C
    stripped = all_lines.str.strip(" \t,;")
    skip = (stripped == "") | all_lines.str.lstrip().str.startswith("#")
    kept = np.flatnonzero(~skip.to_numpy())
    if not len(kept):
        raise _Fallback
    first = int(kept[0])
    head = lines[first]
    delimiter = ";" if ";" in head and "," not in head else ","
    header = [c.strip().lower() for c in next(csv.reader([head], delimiter=delimiter))]
    while header and header[-1] == "":
        header.pop()
    if (set(header) - set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)) or any(c not in header for c in REQUIRED_COLUMNS) \
            or len(set(header)) != len(header):
        return first + 1
    numbers = kept[1:] + 1                       # 1-based line numbers of the rows
    if not len(numbers):
        if layer == "local":
            return len(lines)
        return pd.DataFrame(columns=COLUMNS)
    body = all_lines.iloc[numbers - 1].reset_index(drop=True)
    width = len(header)
    # fields per line: counted for lines without quotes, parsed for the few with quotes
    nfields = body.str.count(re.escape(delimiter)).to_numpy() + 1
    quoted = np.flatnonzero(body.str.contains('"', regex=False).to_numpy())
    for i in quoted:
        nfields[i] = len(next(csv.reader([body.iat[i]], delimiter=delimiter), []))
    ncols = max(width, int(nfields.max()))
    try:
        df = pd.read_csv(io.StringIO("\n".join(body.tolist())), sep=delimiter, header=None, names=list(range(ncols)),
                         dtype=str, na_filter=False, skip_blank_lines=False, engine="c")
    except (ValueError, csv.Error):
        raise _Fallback from None
    if len(df) != len(body):
        raise _Fallback   # a quoted field across lines: judged line by line
    df = df.apply(lambda col: col.str.strip())
    empty_row = (df == "").all(axis=1).to_numpy()
    extra_filled = (df.iloc[:, width:] != "").any(axis=1).to_numpy() if ncols > width else np.zeros(len(df), bool)
    wrong_width = ~empty_row & ((nfields < width) | extra_filled)
    df = df.iloc[:, :width]
    df.columns = header
    keep = ~empty_row
    df, line_of, wrong_width = df[keep].reset_index(drop=True), numbers[keep], wrong_width[keep]
    this_year = dt.date.today().year
    ind = df.indicator.astype("category")
    known = np.array([c in indicators for c in ind.cat.categories] + [False])
    codes = ind.cat.codes.to_numpy()   # -1 for none: the extra last entry

    def per_indicator(attr, default):
        table = [getattr(indicators[c], attr) if c in indicators else default for c in ind.cat.categories] + [default]
        table = [default if v is None else v for v in table]
        return np.asarray(table, dtype=object)[codes]

    ind_ok = known[codes]
    is_count = per_indicator("is_count", True).astype(bool)
    years = _number(df.year, r"\d{4}")
    counts = _number(df.value, r"\d+")
    marks = _number(df.value.str.replace(",", ".", regex=False), r"\d+(\.\d+)?")
    lo = per_indicator("min", np.nan).astype(float)
    hi = per_indicator("max", np.nan).astype(float)
    plausible = per_indicator("max_plausible", np.nan).astype(float)
    events = per_indicator("better", "none") != "none"
    value = np.where(is_count, counts, marks)
    partial = (years >= this_year) & is_count & events if layer == "local" else np.zeros(len(df), bool)
    gm = df.area_code.str.startswith("GM").to_numpy()
    muni_bad = np.zeros(len(df), bool)
    if municipalities is not None and gm.any():
        pair = df.area_code + "\x00" + df.area_name
        bad = [k for k in pair[gm].unique() if municipalities.problem(*k.split("\x00", 1))]
        muni_bad = gm & pair.isin(bad).to_numpy()
    key = ["indicator", "area_code", "year", "source_id"]
    with np.errstate(invalid="ignore"):
        problems = (
            wrong_width
            | (df[[k for k in REQUIRED_COLUMNS if k != "value"]] == "").any(axis=1).to_numpy()
            | ~ind_ok | ~df.source_id.isin(list(sources)).to_numpy()
            | ~df.area_code.str.fullmatch(AREA_CODE.pattern).to_numpy() | muni_bad
            | np.isnan(years) | (years < MIN_YEAR) | (years > this_year) | partial
            | np.isnan(value) | (~is_count & ((value < lo) | (value > hi)))
            | (is_count & ~np.isnan(plausible) & (value > plausible))
            | df.duplicated(key).to_numpy()
        )
    if problems.any():
        return int(line_of[int(problems.nonzero()[0][0])])
    kinds = {sid: src.kind for sid, src in sources.items()}
    origin = path.name + ":" + pd.Series(line_of).astype(str)
    return pd.DataFrame({
        "indicator": df.indicator, "area_code": df.area_code, "area_name": df.area_name, "year": years.astype(int),
        "value": value.astype(float), "source_id": df.source_id,
        "source_kind": df.source_id.astype("category").map(kinds).astype(object),
        "layer": layer, "origin": origin,
    }, columns=COLUMNS)


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
            # row positions of each (indicator, area), in order of year
            order = np.argsort(self.table.year.to_numpy(), kind="stable")
            ix.update(table=self.table, length=len(self.table),
                      rows={k: order[v] for k, v in self.table.iloc[order].groupby(["indicator", "area_code"], sort=False).indices.items()},
                      names=dict(self.table.drop_duplicates("area_code")[["area_code", "area_name"]].itertuples(index=False)))
        return ix

    def _rows(self, indicator: str, area: str) -> np.ndarray:
        return self._ensure_index()["rows"].get((indicator, area), np.empty(0, dtype=int))

    def copy(self) -> Observations:
        """A copy whose tables are pandas copy-on-write copies: changing either never changes the
        other, and nothing is copied until then. The index is shared (same rows)."""
        new = Observations(self.table.copy(deep=False), self.all_rows.copy(deep=False),
                           self.disagreements.copy(deep=False))
        # built here once, so that every copy of a loaded data set (one per report in a warm kernel)
        # shares it instead of building its own (30 ms with the panel)
        new._index.update(self._ensure_index(), table=new.table)
        return new

    def get(self, indicator: str, area: str, year: int) -> pd.Series | None:
        rows = self._rows(indicator, area)
        at = rows[self.table.year.to_numpy()[rows] == year]
        return None if not len(at) else self.table.iloc[int(at[0])].rename(None)

    def rows_of(self, indicators, areas) -> pd.DataFrame:
        """The chosen figures of these indicators in these areas, in the table's order: what
        `table[table.indicator.isin(indicators) & table.area_code.isin(areas)]` gives, found
        through the index instead of comparing every row's text."""
        pos = [self._rows(i, a) for i in dict.fromkeys(indicators) for a in dict.fromkeys(areas)]
        return self.table.iloc[np.sort(np.concatenate(pos)) if pos else np.empty(0, dtype=int)]

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
        return self.table.iloc[self._rows(indicator, area)].reset_index(drop=True)   # the rows are in order of year

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
    `max_plausible` is national; this limit scales with the municipality. Vectorised (a million
    analyst rows are checked in seconds): the nearest year's population by an as-of join in both
    directions, the national figure by a join on indicator and year."""
    t = obs.all_rows
    local = t[(t.layer == "local") & t.area_code.str.startswith("GM")]
    events = [i for i, ind in indicators.items() if ind.is_count and ind.better != "none"]
    local = local[local.indicator.isin(events)]
    if local.empty:
        return ""
    local = local.reset_index(drop=True).assign(_order=lambda d: np.arange(len(d)), year=lambda d: d.year.astype(int))
    table = obs.table
    pop = table[table.indicator == "population"][["area_code", "year", "value"]].astype({"year": int})
    pop = pop.rename(columns={"value": "pop", "year": "pop_year"}).sort_values("pop_year")
    left = local.sort_values("year")
    near = [pd.merge_asof(left, pop, left_on="year", right_on="pop_year", by="area_code", direction=d)
            for d in ("backward", "forward")]
    both = near[0].merge(near[1][["_order", "pop", "pop_year"]], on="_order", suffixes=("_b", "_f"))
    gap_b, gap_f = (both.year - both.pop_year_b).abs(), (both.pop_year_f - both.year).abs()
    take_f = both.pop_b.isna() | (gap_f < gap_b)   # the nearest year; a tie goes to the earlier year, as before
    both["pop"] = np.where(take_f, both.pop_f, both.pop_b)
    both["pop_year"] = np.where(take_f, both.pop_year_f, both.pop_year_b)
    cats = both.indicator.astype("category")
    both["nat_indicator"] = cats.map({i: ind.national_indicator or i for i, ind in indicators.items()}).astype(str)
    both["nat_area"] = cats.map({i: ind.national_area or "NL01" for i, ind in indicators.items()}).astype(str)
    nat = table[["indicator", "area_code", "year", "value"]].astype({"year": int}).drop_duplicates(
        ["indicator", "area_code", "year"]).rename(columns={"indicator": "nat_indicator", "area_code": "nat_area",
                                                           "value": "nat"})
    both = both.merge(nat, on=["nat_indicator", "nat_area", "year"], how="left").sort_values("_order")
    too_many = both["pop"].notna() & (both.value > both["pop"])
    above_nat = both.nat.notna() & (both.value > both.nat)
    bad = both[too_many | above_nat]
    if bad.empty:
        return ""
    r = bad.iloc[0]
    if too_many.loc[bad.index[0]]:
        return (f"data/local/{r.origin}: {int(r.value):,} for {r.indicator} is more than the "
                f"{int(r['pop']):,} inhabitants of {r.area_name} ({int(r.pop_year)}) — check for a typing error")
    return (f"data/local/{r.origin}: {int(r.value):,} for {r.indicator} in {r.area_name} is more than the "
            f"national figure for {r.year} ({int(r.nat):,}) — check for a typing error")
