"""The `ivb` command: run the batch, list targets and sources, check the data."""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from .errors import IvbError


def _years(args) -> list[int]:
    if args.year is not None and args.years is not None:
        raise IvbError("give --year or --years, not both")
    option = "--years" if args.years is not None else "--year"
    spec = args.years if args.years is not None else (str(args.year) if args.year is not None else None)
    if spec is None:
        raise IvbError("no year given — pass --year 2023 or --years 2020-2023")
    m = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?", spec) if option == "--years" else \
        re.fullmatch(r"\s*(\d{4})\s*", spec)
    if not m:
        raise IvbError(f"{option} {spec!r} is not a year{' or range' if option == '--years' else ''} — write "
                       f"{'2023 or 2020-2023' if option == '--years' else '2023 (a range: --years 2020-2023)'}")
    lo, hi = int(m.group(1)), int(m.group(2) or m.group(1)) if option == "--years" else int(m.group(1))
    if lo > hi:
        raise IvbError(f"--years {spec!r} runs backwards — write the earlier year first, e.g. 2020-2023")
    return list(range(lo, hi + 1))


def _data_dir(args) -> Path:
    from .data.dataset import find_data_dir

    if args.data is not None and not Path(args.data).exists():
        raise IvbError(f"data folder {args.data} not found — run ivb from the project folder or pass --data DIR")
    return find_data_dir(args.data)


def _load(args):
    from .data.dataset import load

    return load(_data_dir(args))


def _find_notebooks(data_root: Path) -> Path:
    """--notebooks, else the notebooks/ beside the data folder, in the working folder, or in the checkout."""
    for cand in (data_root.parent / "notebooks", Path.cwd() / "notebooks", Path(__file__).resolve().parents[2] / "notebooks"):
        if (cand / "target.ipynb").is_file():
            return cand
    return data_root.parent / "notebooks"


def _warn(ds) -> None:
    for w in ds.warnings:
        print(f"ivb: warning: {w}", file=sys.stderr)


def cmd_run(args) -> int:
    from .batch.run import run_batch
    from .present.params import check_municipality, check_year

    years = _years(args)
    ds = getattr(args, "preloaded", None) or _load(args)
    if args.targets and args.output == "outputs":   # another policy's reports beside, never over, the default's
        args.output = str(Path("outputs") / ds.policy.id)
    if args.municipalities and args.municipality_given:
        raise IvbError("give --municipality or --municipalities, not both")
    if args.municipalities:
        spec = args.municipalities.strip()
        if spec.lower() == "all":
            if ds.municipalities is None:
                raise IvbError("--municipalities all needs data/municipalities.csv")
            t = ds.observations.table
            codes = sorted(set(t[t.area_code.str.startswith("GM")].area_code) & set(ds.municipalities.by_code))
        else:
            codes = [c.strip().upper() for c in spec.split(",") if c.strip()]
        if not codes:
            raise IvbError(f"--municipalities {spec!r} names no municipality — write codes like GM1969,GM0014, or all")
        municipality = [check_municipality(ds, c) for c in dict.fromkeys(codes)]
    else:
        municipality = check_municipality(ds, args.municipality)
    for y in years:
        check_year(ds, y)
    _refuse_worse(ds, years, [municipality] if isinstance(municipality, str) else municipality, Path(args.output))
    _warn(ds)
    if args.jobs < 1:
        raise IvbError(f"--jobs {args.jobs} must be 1 or more")
    if args.timeout < 1:
        raise IvbError(f"--timeout {args.timeout} must be a number of seconds, 1 or more")
    notebooks = Path(args.notebooks) if args.notebooks else _find_notebooks(ds.root)
    executor = None
    if args.scheduler and args.executor != "dask":
        raise IvbError("--scheduler needs --executor dask")
    if args.executor == "dask":
        from .batch.executors import DaskExecutor

        executor = DaskExecutor(args.scheduler, workers=args.jobs)
    res = run_batch(ds, years, municipality, ds.root, notebooks.resolve(), Path(args.output), jobs=args.jobs,
                    timeout=args.timeout, quiet=args.quiet, force=args.force, executor=executor)
    ok = len(res.jobs) - len(res.failed)
    fresh = len(res.up_to_date)
    if res.interrupted:
        done = ", ".join(map(str, res.published_years)) or "none"
        print(f"ivb: interrupted — years published: {done}; every other year's outputs are unchanged", file=sys.stderr)
        return 130
    for j in res.failed:
        print(f"FAILED {j.year} {j.name}: {j.error}", file=sys.stderr)
    print(f"{ok} of {len(res.jobs)} notebooks ok for {', '.join(map(str, years))} ({fresh} up to date, "
          f"{len(res.jobs) - fresh} run); outputs in {args.output}/"
          + (f"; {len(res.failed)} failed (previous reports kept and marked stale)" if res.failed else "")
          )
    return 1 if res.failed else 0


def cmd_fetch(args) -> int:
    from .live.fetch import fetch, fetch_panel
    from .present.params import MUNICIPALITY

    if args.all_municipalities and args.municipality:
        raise IvbError("give --municipality or --all-municipalities, not both")
    if args.check:
        return _preflight(args)
    if not args.all_municipalities and not args.municipality:
        raise IvbError("no municipality given — pass --municipality GM1969, or --all-municipalities for the national panel")
    codes = [c.strip().upper() for c in args.municipality or []]
    for c in codes:
        if not MUNICIPALITY.match(c):
            raise IvbError(f"--municipality {c!r} is not a CBS municipality code — write GM and four digits, e.g. GM1969")
    if args.timeout <= 0 or args.source_timeout <= 0:
        raise IvbError("--timeout and --source-timeout must be a number of seconds above 0")
    years = _years(args) if (args.year or args.years) else None
    data = _data_dir(args)
    if not (data / "live.yaml").is_file():
        raise IvbError(f"{data}/live.yaml not found — run ivb from the project folder or pass --data DIR")
    only = set(args.only.split(",")) if args.only else None
    if args.all_municipalities:
        rep = fetch_panel(data, years, refresh=args.refresh, quiet=args.quiet, timeout=args.timeout, only=only,
                          source_timeout=args.source_timeout)
    else:
        rep = fetch(data, codes, years, refresh=args.refresh, quiet=args.quiet, timeout=args.timeout, only=only,
                    source_timeout=args.source_timeout)
    if rep.outcomes and len(rep.failed) == len(rep.outcomes):
        first = rep.failed[0].message
        line = (f"fetch failed for every source ({first}); the cache is unchanged and `ivb run` keeps using "
                f"{_cache_basis(data)}")
        if args.best_effort:
            print(f"ivb: {line}", file=sys.stderr)
            return 0
        raise IvbError(line)
    for line in rep.notes:   # the services differ from what ivb assumes, and it changes the figures used
        print(f"ivb: note: {line}", file=sys.stderr)
    for o in rep.outcomes:
        if o.ok and not args.quiet:
            print(f"ok      {o.source:16} {o.area:6} {o.message}")
    for line in ([] if args.quiet else rep.log):
        print(f"note    {line}")
    for o in rep.failed:
        print(f"FAILED  {o.source} {o.area}: {o.message} (cache kept; runs use cached or snapshot figures)", file=sys.stderr)
    return 1 if rep.failed and not args.best_effort else 0


def _preflight(args) -> int:
    """`ivb fetch --check`: each assumption about the services, ok or what differs (live/preflight.py)."""
    from .live.preflight import check
    from .present.params import MUNICIPALITY

    if args.all_municipalities or args.refresh or args.year or args.years:
        raise IvbError("--check asks the services about their tables, not for figures: give it alone (with "
                       "--municipality for the population check)")
    if args.timeout <= 0 or args.source_timeout <= 0:
        raise IvbError("--timeout and --source-timeout must be a number of seconds above 0")
    codes = [c.strip().upper() for c in args.municipality or []]
    for c in codes:
        if not MUNICIPALITY.match(c):
            raise IvbError(f"--municipality {c!r} is not a CBS municipality code — write GM and four digits, e.g. GM1969")
    data = _data_dir(args)
    if not (data / "live.yaml").is_file():
        raise IvbError(f"{data}/live.yaml not found — run ivb from the project folder or pass --data DIR")
    area = codes[0] if codes else _load(args).policy.municipality
    only = set(args.only.split(",")) if args.only else None
    pf = check(data, area, timeout=args.timeout, source_timeout=min(args.source_timeout, 120.0), only=only)
    if pf.unreachable and len(pf.differs) == len(pf.rows):
        line = f"preflight: no service answered ({next(iter(pf.unreachable.values()))}); nothing was checked"
        if args.best_effort:
            print(f"ivb: {line}", file=sys.stderr)
            return 0
        raise IvbError(line)
    for line in pf.lines(quiet=args.quiet):
        print(line)
    n = len(pf.differs)
    print(f"preflight: {len(pf.rows)} checks, {n} differ{'s' if n == 1 else ''} from what data/live.yaml assumes"
          + (" — each line above names the setting" if n else ""), file=sys.stderr if n else sys.stdout)
    return 1 if n and not args.best_effort else 0


def _cache_basis(data: Path) -> str:
    """What runs use while the services do not answer: the cache of <date of its newest download>,
    or the embedded snapshot."""
    from .data.cache import Cache, Damaged

    try:
        index = Cache(data).index() if (data / "cache").is_dir() else {}
    except Damaged:
        index = {}
    days = sorted(str(e.get("retrieved_at", ""))[:10] for e in index.values() if isinstance(e, dict) and e.get("retrieved_at"))
    if not days:
        return "the embedded snapshot (no download cached yet)"
    return (f"the cached figures downloaded {days[0]}" + (f" to {days[-1]}" if days[-1] != days[0] else "")
            + " and the embedded snapshot")


def cmd_national(args) -> int:
    import time

    from .batch.run import refuse_output_in_data
    from .panel.view import has_panel
    from .present.params import check_year
    from .publish.national import publish_national
    from .publish.overview import publish_overview

    years = _years(args)
    ds = _load(args)
    _warn(ds)
    refuse_output_in_data(Path(args.output), ds.root)
    for y in years:
        check_year(ds, y)
    missing = [y for y in years if not has_panel(ds, y)]
    if missing:
        t = ds.observations.table
        n = t[(t.indicator == "population") & t.area_code.str.startswith("GM")].area_code.nunique()
        line = (f"no national panel in the data for {', '.join(map(str, missing))} (population figures for {n} "
                f"municipalities; at least 20 needed) — run `ivb fetch --all-municipalities` (needs internet)")
        if args.skip_without_panel:
            print(f"ivb: national table skipped: {line}", file=sys.stderr)
            return 0
        raise IvbError(line + ", then try again")
    for year in years:
        t0 = time.perf_counter()
        res = publish_national(ds, year, Path(args.output), force=args.force)
        seconds = time.perf_counter() - t0
        if not res["written"]:
            print(f"{year}: up to date (figures, code and policy unchanged) in {res['folder']}/ — --force writes it again")
            continue
        print(f"{year}: {res['rows']} rows ({res['municipalities']} municipalities x {res['parts']} target "
              f"parts) evaluated and written in {seconds:.2f} s to {res['folder']}/ (national.csv, national.parquet, "
              f"index.html)")
    publish_overview(Path(args.output), ds.policy.municipality)
    return 0


def cmd_monitor(args) -> int:
    from .batch.run import refuse_output_in_data
    from .present.params import check_monitor_year, check_municipality
    from .publish.monitor import publish_monitor
    from .publish.overview import publish_overview

    ds = _load(args)
    _warn(ds)
    if ds.monitor is None:
        raise IvbError(f"{ds.root}/monitor: no monitor file — add one like data/monitor/ivb-2024-2027.yaml")
    refuse_output_in_data(Path(args.output), ds.root)
    year = check_monitor_year(ds, args.year, "--year")
    first = ds.monitor.period[0]
    area = check_municipality(ds, args.municipality) if args.municipality else ds.monitor.municipality
    res = publish_monitor(ds, year, Path(args.output), area, force=args.force)
    if not res["written"]:
        print(f"monitor {first}–{year} for {ds.area_name(area)}: up to date (figures, code and year unchanged) in "
              f"{res['folder']}/ — --force writes it again")
    else:
        print(f"monitor {first}–{year} for {ds.area_name(area)}: {res['rows']} signals, {res['statements']} statements; "
              f"written to {res['folder']}/ (index.html, signals.csv, statements.csv, months.csv)")
    publish_overview(Path(args.output), ds.policy.municipality)
    return 0


def cmd_draft(args) -> int:
    """`ivb draft FILE... --municipality GMxxxx`: draft a targets file (and its review page) from a
    municipality's policy documents or budget pages, for an analyst to review."""
    from .data.municipalities import load_municipalities
    from .data.registry import load_indicators
    from .draft.documents import read_document
    from .draft.propose import Draft, Drafter, Lexicon
    from .draft.write import write
    from .present.params import MUNICIPALITY

    code = args.municipality.strip().upper()
    if not MUNICIPALITY.match(code):
        raise IvbError(f"--municipality {args.municipality!r} is not a CBS municipality code — write GM and four digits, e.g. GM0014")
    data = _data_dir(args)
    codes = load_municipalities(data)
    if codes is not None:
        codes.check(code)
    period = None
    if args.period:
        m = re.fullmatch(r"\s*(\d{4})\s*-\s*(\d{4})\s*", args.period)
        if not m or int(m.group(1)) > int(m.group(2)):
            raise IvbError(f"--period {args.period!r} is not a period — write e.g. 2024-2027")
        period = (int(m.group(1)), int(m.group(2)))
    docs = [read_document(Path(f)) for f in args.files]
    indicators = load_indicators(data / "indicators.yaml")
    drafter = Drafter(Lexicon(data / "draft" / "lexicon.yaml"), indicators, period)
    drafts = [drafter.draft(d) for d in docs]
    merged = drafts[0]
    for d in drafts[1:]:   # several documents of one municipality: one targets file
        merged = Draft(merged.document, merged.parts + d.parts, merged.skipped + d.skipped)
    name = codes.name(code) if codes is not None else code
    out = Path(args.output) if args.output else data / "targets" / f"draft-{code.lower()}-{_slug(docs[0].path.stem)}.yaml"
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise IvbError(f"--output {out} must end in .yaml")
    if out.exists() and not args.force:
        raise IvbError(f"{out} exists — a reviewed draft is never overwritten; give another --output, or --force")
    labels = {i: ind.label_nl for i, ind in indicators.items()}
    path, page = write(merged, out, code, name, labels)
    n = merged.summary()
    print(f"draft: {n['found']} targets found ({n['measurable']} measurable, {n['needing a figure']} needing a figure, "
          f"{n['not scored']} not scored), {n['qualitative']} qualitative, {n['skipped']} passages skipped; written to "
          f"{path} and {page.name} — review every part, then set reviewed: true")
    return 0


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "beleid"


def cmd_targets(args) -> int:
    ds = _load(args)
    for p in ds.policy.parts:
        kind = p.rule.describe_nl() if p.rule else "kwalitatief (niet gescoord)"
        print(f"{p.id:32} {p.theme_name:28} {kind}")
    return 0


def cmd_sources(args) -> int:
    from .live.fetch import status_lines

    ds = _load(args)
    for line in status_lines(ds.root):
        print(line)
    print()
    counts = ds.observations.table.source_id.value_counts()
    for s in ds.sources.values():
        print(f"{s.id:32} {s.kind:17} {int(counts.get(s.id, 0)):4} figures  retrieved {s.retrieved:10}  {s.publisher}: {s.title}")
    return 0


def _damage_line(ds) -> str:
    """One line about a damaged download cache (ds.warnings: entries that are not used)."""
    more = len(ds.warnings) - 1
    return (f"the download cache is damaged: {ds.warnings[0]}"
            + (f" (and {more} more damaged entr{'y' if more == 1 else 'ies'}: `ivb sources` lists them)" if more else ""))


def _refuse_worse(ds, years: list[int], municipalities: list[str], out_dir: Path) -> None:
    """With a damaged cache, a run would publish reports from fewer figures: refuse to replace
    reports that were built from downloaded figures (run.json of each year says so)."""
    from .batch.run import output_folder
    from .publish.year import RUN_FILE

    if not ds.warnings:
        return
    better = []
    for m in municipalities:
        for y in years:
            run = output_folder(out_dir, ds, m, y) / RUN_FILE
            try:
                layers = json.loads(run.read_text(encoding="utf-8")).get("figures_by_layer", {})
            except (OSError, ValueError):
                continue
            if int(layers.get("cache", 0)) + int(layers.get("panel", 0)) > 0:
                better.append(f"{m} {y}")
    if better:
        raise IvbError(f"{_damage_line(ds)} — the published reports for {', '.join(better[:4])}"
                       f"{' …' if len(better) > 4 else ''} were built from downloaded figures and are kept; repair the "
                       f"cache first with `ivb fetch --refresh` (or remove data/cache to run on the snapshot alone)")


def _targets_choice(args) -> str:
    """--targets as the policy id or file name the loader chooses by; a file outside data/targets/ is
    one line (a batch freezes the data folder: the policy must live in it)."""
    value = args.targets.strip()
    path = Path(value)
    if path.suffix.lower() in (".yaml", ".yml") or "/" in value:
        folder = _data_dir(args) / "targets"
        if not path.is_absolute() and not path.exists():
            path = folder / path.name
        if not path.is_file():
            raise IvbError(f"--targets {value!r}: file not found — give a file of data/targets/ or a policy id")
        if path.resolve().parent != folder.resolve():
            raise IvbError(f"--targets {value!r} is not in {folder} — put the file there (several policies can live "
                           f"side by side), then run again")
        return path.name
    return value


def cmd_check(args) -> int:
    ds = _load(args)
    if ds.warnings:
        print(f"ivb: error: {_damage_line(ds)}", file=sys.stderr)
        return 1
    t = ds.observations.table
    print(f"data ok: {len(ds.observations.all_rows)} rows from {len(ds.providers)} providers, {len(t)} figures after "
          f"precedence, {len(ds.observations.disagreements)} disagreements, {len(ds.policy.parts)} target parts, "
          f"snapshot {ds.snapshot_version}")
    have = set(t.indicator)
    if ds.policy.unreviewed:
        print(f"draft: {len(ds.policy.unreviewed)} of {len(ds.policy.parts)} parts of {ds.policy.path.name} not reviewed yet "
              f"({', '.join(ds.policy.unreviewed[:6])}{' …' if len(ds.policy.unreviewed) > 6 else ''}) — every page says "
              f"'Concept' until each has reviewed: true")
    for p in ds.policy.parts:
        if p.measurable and p.indicator not in have:
            print(f"warning: target {p.id}: no figures at all for {p.indicator} — its reports will say "
                  f"'onvoldoende gegevens' and name the missing figures; add them under data/local/")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ivb", description="Test IVB safety-policy targets against the data.")
    p.add_argument("--data", default=None, help="the ivb data folder (default: the project's data/)")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the notebooks for one or more years into outputs/")
    r.add_argument("--year", type=str, default=None, help="one year, e.g. 2023")
    r.add_argument("--years", type=str, default=None, help="a range, e.g. 2020-2023")
    r.add_argument("--municipality", default=None, help="CBS code, e.g. GM1969 (default: the policy's municipality)")
    r.add_argument("--municipalities", default=None,
                   help="several codes, e.g. GM1969,GM0014, or 'all' (every municipality with figures); reports land "
                        "under outputs/<code>/<year>/")
    r.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local: worker processes on this machine (default); dask: a dask.distributed cluster")
    r.add_argument("--scheduler", default=None,
                   help="address of a Dask scheduler, e.g. tcp://10.0.0.5:8786 (default with --executor dask: a "
                        "LocalCluster of --jobs workers)")
    r.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                   help="worker processes (each with a warm kernel) running notebooks in parallel")
    r.add_argument("--timeout", type=int, default=600, help="seconds allowed per notebook (default 600)")
    r.add_argument("--output", default="outputs", help="output folder (default: ./outputs)")
    r.add_argument("--notebooks", default=None, help="folder with target.ipynb and scorecard.ipynb")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--force", action="store_true", help="rerun every report, also those whose inputs did not change")
    r.add_argument("--targets", default=None,
                   help="the policy to test: a file of data/targets/ or its id (default: the only one not drafted by ivb draft)")
    r.set_defaults(func=cmd_run)
    f = sub.add_parser("fetch", help="download police, CBS and BRON figures into data/cache/ (needs internet)")
    f.add_argument("--municipality", action="append", default=None, help="CBS code, e.g. GM1969 (repeatable)")
    f.add_argument("--all-municipalities", action="store_true",
                   help="the national panel: every municipality and NL01, one filtered query per table (for peers "
                        "and `ivb national`)")
    f.add_argument("--year", type=str, default=None, help="one year (default: all years)")
    f.add_argument("--years", type=str, default=None, help="a range, e.g. 2017-2024 (default: all years)")
    f.add_argument("--refresh", action="store_true", help="download again even when cached")
    f.add_argument("--only", default=None, help="comma-separated source keys from data/live.yaml, e.g. police-crimes,bron")
    f.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    f.add_argument("--source-timeout", type=float, default=300.0,
                   help="seconds for all requests of one source together (default 300)")
    f.add_argument("--best-effort", action="store_true",
                   help="exit 0 when sources fail (e.g. no network): runs then use the cache and the snapshot")
    f.add_argument("--quiet", action="store_true", help="no progress bars")
    f.add_argument("--check", action="store_true",
                   help="download nothing: ask each assumption about the services once (table status, newest year, "
                        "columns, next-page host, BRON files and header, population per year) and print ok or what differs")
    f.set_defaults(func=cmd_fetch)
    n = sub.add_parser("national", help="every target part for every municipality of the national panel (CSV, Parquet, overview)")
    n.add_argument("--year", type=str, default=None, help="evaluation year, e.g. 2023")
    n.add_argument("--years", type=str, default=None, help="a range, e.g. 2020-2023")
    n.add_argument("--skip-without-panel", action="store_true",
                   help="without a national panel: one line and exit 0 (for make report)")
    n.add_argument("--output", default="outputs", help="output folder (default: ./outputs); writes national/<year>/")
    n.add_argument("--force", action="store_true", help="work the table out and write it again, also when its inputs did not change")
    n.set_defaults(func=cmd_national)
    m = sub.add_parser("monitor", help="the 2024-2027 monitor: expected range and signal per priority indicator")
    m.add_argument("--year", required=True, help="the last year to show, e.g. 2026")
    m.add_argument("--municipality", default=None, help="a municipality code (default: the policy's own)")
    m.add_argument("--output", default="outputs", help="output folder (default: ./outputs); writes monitor/<year>/")
    m.add_argument("--force", action="store_true", help="write the page again, also when its inputs did not change")
    m.set_defaults(func=cmd_monitor)
    dr = sub.add_parser("draft", help="draft a municipality's targets file from its policy documents or budget pages "
                                      "(.pdf, .html, .txt), for an analyst to review")
    dr.add_argument("files", nargs="+", help="policy documents or budget pages")
    dr.add_argument("--municipality", required=True, help="CBS code of the municipality, e.g. GM0014")
    dr.add_argument("--output", default=None, help="the targets file to write (default data/targets/draft-<code>-<document>.yaml)")
    dr.add_argument("--period", default=None, help="the policy period, e.g. 2024-2027 (for 'in deze collegeperiode')")
    dr.add_argument("--force", action="store_true", help="overwrite an existing file")
    dr.set_defaults(func=cmd_draft)
    sub.add_parser("targets", help="list the target parts and their rules").set_defaults(func=cmd_targets)
    sub.add_parser("sources", help="list the sources and how many figures each gives").set_defaults(func=cmd_sources)
    ck = sub.add_parser("check", help="validate the data folder (and list the parts of a draft not reviewed yet)")
    ck.add_argument("--targets", default=None, help="the policy to check: a file of data/targets/ or its id")
    ck.set_defaults(func=cmd_check)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # charts are drawn into files, never a window: the command chooses the backend (present/ only renders)
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        if getattr(args, "targets", None):   # every load in this run, and in its workers and kernels, uses it
            os.environ["IVB_TARGETS"] = _targets_choice(args)
        if args.command == "run":
            args.municipality_given = args.municipality is not None
            if args.municipality is None:   # loaded once: cmd_run uses the same data set
                args.preloaded = _load(args)
                args.municipality = args.preloaded.policy.municipality
        return args.func(args)
    except IvbError as exc:
        print(f"ivb: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ivb: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`
        return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
