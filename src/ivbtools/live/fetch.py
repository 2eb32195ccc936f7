"""`ivb fetch`: download every figure the targets need into the cache, offline afterwards.

Each kind of source in data/live.yaml is a plug-in (SOURCE_KINDS): `odata` — police and CBS
tables, live/odata_source.py — and `bron` — road accidents, live/bron_source.py. A plug-in reads
its section of live.yaml into sources (`from_config`), and each source fetches for the areas of a
fetch (`fetch`) or for every municipality at once (`fetch_panel`), validates what it got and
cites it by source entries (live/fetchrun.py: what they share). A new kind of source (a CBS
OData v4 table, a survey file) is one module with such a class and one line in SOURCE_KINDS,
and its section in data/live.yaml.

A fetch is a transaction per source and area: the response is downloaded into a staging
folder, validated in full (columns, keys, periods, row shapes, zip layout), turned into a tidy
extract that is validated like any observations CSV, and only then renamed into the cache; the
index entry is replaced last. A bad response leaves the previous entry untouched and usable, and
the next fetch against a healthy server works without --refresh. One source failing never stops
the others; each failure is one line, logged in data/fetch-log.json.

Codes are checked against data/municipalities.csv before anything is downloaded. The cache
knows which years each entry holds; a later fetch that asks for more completes it.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from .. import atomic
from ..data.cache import PANEL, Cache, now
from ..data.municipalities import load_municipalities
from ..errors import IvbError
from ..yamlio import read_yaml
from .bron_source import BronSource, bron_files
from .fetchrun import FetchReport, FetchRun, Outcome
from .odata_source import OdataSource
from .web import Budget

SOURCE_TIMEOUT = 300.0   # seconds for one source (all its requests), besides the per-request timeout

# data/live.yaml section -> the plug-in class that reads it (its `from_config` gives the sources)
SOURCE_KINDS = {"odata": OdataSource, "bron": BronSource}


def sources_of(cfg: dict, where: str = "data/live.yaml") -> list:
    """Every source of a live.yaml, in the file's order of kinds; an unknown section is one line."""
    unknown = sorted(k for k in cfg if k not in SOURCE_KINDS)
    if unknown:
        raise IvbError(f"{where}: unknown source kind(s) {', '.join(unknown)} — known: {', '.join(SOURCE_KINDS)}")
    return [s for kind, section in cfg.items() for s in SOURCE_KINDS[kind].from_config(section)]


def _run_sources(run: FetchRun, areas: list[str], only, source_timeout: float,
                 step: Callable[[object, FetchRun, Budget], None]) -> FetchReport:
    """Each source of data/live.yaml in turn, with its own time budget; one source failing
    (an IvbError, or a full disk) fails only its areas not yet done; source entries last."""
    cfg = read_yaml(run.data_dir / "live.yaml") or {}
    atomic.check_writable(run.cache.root, "cache folder", "or run with --data DIR on a data folder you can write")
    sources = sources_of(cfg, str(run.data_dir / "live.yaml"))
    run.report.indicators = {s.key: s.indicator_ids for s in sources}
    chosen = [s for s in sources if not only or s.key in only]
    for source in tqdm(chosen, desc="sources", unit="table", disable=True if run.quiet else None, leave=False):
        key = source.key
        budget = Budget.start(run.timeout, source_timeout, key)
        try:
            step(source, run, budget)
        except (IvbError, OSError) as exc:   # OSError: a full disk or a permission problem while writing
            done = {o.area for o in run.report.outcomes if o.source == key}
            why = f"{exc} (cache kept)" if isinstance(exc, IvbError) else \
                f"{key}: cannot write the cache ({exc.strerror}); the previous entries are kept"
            run.fail(key, [a for a in areas if a not in done], why)
        finally:
            for line, warn in budget.notes:
                run.report.note(f"{key}: {line}", warn)
    if run.sources:
        run.cache.write_sources(run.sources)
    return run.report


def fetch_panel(data_dir: Path, years: list[int] | None = None, refresh: bool = False, quiet: bool = False,
                timeout: float = 30.0, only: set[str] | None = None, source_timeout: float = SOURCE_TIMEOUT) -> FetchReport:
    """`ivb fetch --all-municipalities`: every municipality and the Netherlands, one filtered
    and paged query per table (never one per municipality), the BRON zip counted for all; the
    same staging, validation and index rules as a fetch for one municipality."""
    data_dir = Path(data_dir)
    codes = load_municipalities(data_dir)
    if codes is None:
        raise IvbError(f"{data_dir}/municipalities.csv not found — the panel needs the municipality code list")
    run = FetchRun(Cache(data_dir), data_dir, years, refresh, timeout, quiet, codes)
    return _run_sources(run, [PANEL], only, source_timeout, lambda source, run, budget: source.fetch_panel(run, budget))


def fetch(data_dir: Path, municipalities: list[str], years: list[int] | None = None, refresh: bool = False,
          quiet: bool = False, timeout: float = 30.0, only: set[str] | None = None,
          source_timeout: float = SOURCE_TIMEOUT) -> FetchReport:
    data_dir = Path(data_dir)
    codes = load_municipalities(data_dir)
    if codes is not None:
        for c in municipalities:
            codes.check(c)   # before anything is downloaded: one line, nothing logged
    areas = list(dict.fromkeys(list(municipalities) + ["NL01"]))
    run = FetchRun(Cache(data_dir), data_dir, years, refresh, timeout, quiet, codes)
    return _run_sources(run, areas, only, source_timeout, lambda source, run, budget: source.fetch(run, areas, budget))


def status_lines(data_dir: Path) -> list[str]:
    """What is cached, from where, retrieved when; damaged entries; failed attempts (for `ivb sources`)."""
    cache = Cache(data_dir)
    lines = []
    for m in cache.all_meta():
        if m.get("damaged"):
            continue
        lines.append(f"cached  {m['file']:40} {m.get('table_id', ''):12} retrieved {m.get('retrieved_at', '')[:19]}  "
                     f"{m.get('bytes', 0):>10} B  {m.get('title', '')}  <{m.get('url', '')}>")
    for line in cache.damaged_lines():
        lines.append(f"DAMAGED {line}")
    for key, e in sorted(cache.read_log().items()):
        if not e.get("ok", True):
            lines.append(f"failed  {key:40} at {str(e.get('at', ''))[:19]}: {e.get('message', '')}")
    return lines or ["cache empty: run `ivb fetch --municipality GM1969` (needs internet)"]


__all__ = ["fetch", "fetch_panel", "FetchReport", "Outcome", "status_lines", "now", "bron_files", "SOURCE_KINDS"]
