"""Batch per year: run the target notebook for every measurable target and the scorecard.

For each year, notebooks run through papermill in separate processes (runner.py), into a
staging folder. Only when a year's runs are over are the finished files renamed into
`outputs/<year>/`: a failed notebook keeps the previous good report (marked stale in the
index), an interrupted batch publishes nothing for the years it did not finish.
"""
from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import html
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import atomic
from .dataset import Dataset
from .errors import IvbError
from .evaluate import STATUS_NL, scorecard
from .overview import write_overview

RUN_FILE = "run.json"


@dataclass
class Job:
    year: int
    name: str          # output file stem: the target id, or "scorecard"
    notebook: str      # source notebook file name
    parameters: dict
    title: str
    ok: bool = False
    error: str = ""


@dataclass
class BatchResult:
    jobs: list[Job] = field(default_factory=list)
    interrupted: bool = False
    published_years: list[int] = field(default_factory=list)

    @property
    def failed(self) -> list[Job]:
        return [j for j in self.jobs if not j.ok]


def output_folder(out_dir: Path, ds: Dataset, municipality: str, year: int) -> Path:
    """outputs/<year>/ for the policy's own municipality, outputs/<code>/<year>/ for others."""
    base = Path(out_dir) if municipality == ds.policy.municipality else Path(out_dir) / municipality
    return base / str(year)


def plan(ds: Dataset, years: list[int], municipality: str, data_dir: Path) -> list[Job]:
    jobs = []
    for year in years:
        common = {"year": year, "municipality": municipality, "data_dir": str(data_dir)}
        for part in ds.policy.parts:
            if part.measurable:
                jobs.append(Job(year, part.id, "target.ipynb", {"target_id": part.id, **common}, part.title))
        jobs.append(Job(year, "scorecard", "scorecard.ipynb", common, "Scorekaart: alle doelen"))
    return jobs


class _Children:
    """The runner processes in flight, so an interrupt can stop them all."""

    def __init__(self):
        self.procs: set[subprocess.Popen] = set()
        self.lock = threading.Lock()
        self.stopping = False

    def start(self, args) -> subprocess.Popen:
        with self.lock:
            if self.stopping:
                raise KeyboardInterrupt
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    start_new_session=True)
            self.procs.add(proc)
            return proc

    def done(self, proc) -> None:
        with self.lock:
            self.procs.discard(proc)

    def kill_all(self) -> None:
        with self.lock:
            self.stopping = True
            for proc in self.procs:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its kernel
                except (ProcessLookupError, PermissionError):
                    pass


def _run_job(job: Job, notebooks: Path, stage: Path, timeout: int, children: _Children) -> Job:
    stage.mkdir(parents=True, exist_ok=True)
    spec = {"input": str(notebooks / job.notebook), "output_notebook": str(stage / f"{job.name}.ipynb"),
            "output_html": str(stage / f"{job.name}.html"), "parameters": job.parameters,
            "cwd": str(notebooks), "timeout": timeout}
    spec_file = stage / f"{job.name}.job.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    proc = children.start([sys.executable, "-m", "ivbtools.runner", str(spec_file)])
    try:
        _, stderr = proc.communicate(timeout=timeout + 60)
        lines = [ln for ln in stderr.splitlines() if ln.strip() and "WARNING" not in ln]
        job.ok = proc.returncode == 0 and (stage / f"{job.name}.html").exists()
        if not job.ok:
            job.error = lines[-1] if lines else f"runner exited with code {proc.returncode}"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        job.ok, job.error = False, f"timed out after {timeout + 60} s"
    finally:
        children.done(proc)
    return job


def _read_run(folder: Path) -> dict:
    try:
        return json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _publish_year(ds: Dataset, year: int, municipality: str, jobs: list[Job], stage: Path, dest: Path,
                  started: str) -> None:
    """Write everything new into the staging folder first (where a full disk shows up), then
    rename the finished files into place. Failed jobs keep their previous good file (stale)."""
    previous = _read_run(dest).get("parts", {})
    parts, moves = {}, []
    for job in jobs:
        if job.ok:
            moves += [(stage / f"{job.name}.{ext}", dest / f"{job.name}.{ext}") for ext in ("ipynb", "html")]
            parts[job.name] = {"title": job.title, "status": "ok", "produced_at": started, "stale": False, "error": ""}
        else:
            if (stage / f"{job.name}.ipynb").exists():
                moves.append((stage / f"{job.name}.ipynb", dest / "_failed" / f"{job.name}.ipynb"))
            prev = previous.get(job.name, {})
            have_previous = (dest / f"{job.name}.html").exists()
            parts[job.name] = {"title": job.title, "status": "failed", "error": job.error, "stale": have_previous,
                               "produced_at": prev.get("produced_at") if have_previous else None}
    card = scorecard(ds, year, municipality)
    layers = ds.observations.table.layer.value_counts()
    meta = {"year": year, "municipality": municipality, "municipality_name": ds.area_name(municipality),
            "policy": ds.policy.title, "snapshot": ds.snapshot_version, "generated_at": started,
            "figures_by_layer": {k: int(layers.get(k, 0)) for k in ("local", "cache", "snapshot")},
            "sources": sorted(set(ds.observations.table.source_id))}
    run = {**meta, "parts": parts}
    built = {
        "scorecard.csv": card.to_csv(index=False),
        "scorecard.json": json.dumps({"meta": meta, "parts": json.loads(card.to_json(orient="records"))},
                                     ensure_ascii=False, indent=2),
        RUN_FILE: json.dumps(run, ensure_ascii=False, indent=2),
        "index.html": _index_html(run, card, "../index.html" if municipality == ds.policy.municipality else "../../index.html"),
    }
    for name, text in built.items():
        atomic.write_text(stage / name, text)
        moves.append((stage / name, dest / name))
    for job in jobs:
        if job.ok:
            (dest / "_failed" / f"{job.name}.ipynb").unlink(missing_ok=True)
    for src, target in moves:  # renames only: no new disk space needed from here on
        atomic.move_into_place(src, target)


def _index_html(run: dict, card, overview_link: str) -> str:
    esc = html.escape
    verdict = {r["doel_id"]: r["oordeel"] + (f" · {r['zekerheid']}" if r["zekerheid"] else "") for r in card.to_dict("records")}
    rows = []
    for name, p in run["parts"].items():
        if p["status"] == "ok":
            state = "bijgewerkt"
        elif p["stale"]:
            state = f"MISLUKT — verouderde versie van {esc(str(p['produced_at']))} getoond ({esc(p['error'])})"
        else:
            state = f"MISLUKT — geen rapport ({esc(p['error'])})"
        link = f'<a href="{esc(name)}.html">{esc(p["title"])}</a>' if (p["status"] == "ok" or p["stale"]) else esc(p["title"])
        rows.append(f"<tr><td>{link}</td><td>{esc(verdict.get(name, '') if name != 'scorecard' else '')}</td>"
                    f"<td>{state}</td></tr>")
    return f"""<!doctype html><html lang="nl"><head><meta charset="utf-8">
<title>IVB-toets {run['year']} — {esc(run['municipality_name'])}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}}</style>
</head><body>
<h1>{esc(run['policy'])}: toets {run['year']}</h1>
<p>{esc(run['municipality_name'])} ({esc(run['municipality'])}) · gebruikte cijfers: {run['figures_by_layer']['local']} uit data/local,
{run['figures_by_layer']['cache']} opgehaald (cache), {run['figures_by_layer']['snapshot']} uit snapshot {esc(run['snapshot'])} · gemaakt {esc(run['generated_at'])}</p>
<table><tr><th>Rapport</th><th>Oordeel</th><th>Status van deze run</th></tr>
{''.join(rows)}
</table>
<p>Scorekaart als <a href="scorecard.csv">CSV</a> en <a href="scorecard.json">JSON</a>. Alle cijfers in de rapporten noemen hun bron.
<a href="{overview_link}">Overzicht van alle jaren</a>.</p>
<p>Oordelen: {esc(', '.join(STATUS_NL.values()))}.</p>
</body></html>
"""


def run_batch(ds: Dataset, years: list[int], municipality: str, data_dir: Path, notebooks: Path, out_dir: Path,
              jobs: int = 1, timeout: int = 600, quiet: bool = False) -> BatchResult:
    out_dir = Path(out_dir)
    for nb in ("target.ipynb", "scorecard.ipynb"):
        if not (Path(notebooks) / nb).is_file():
            raise IvbError(f"{notebooks}/{nb} not found — run from the project folder or pass --notebooks DIR")
    atomic.check_writable(out_dir)
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    all_jobs = plan(ds, years, municipality, Path(data_dir))
    result = BatchResult(jobs=all_jobs)
    stage_root = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    by_year = {y: [j for j in all_jobs if j.year == y] for y in years}
    remaining = {y: len(js) for y, js in by_year.items()}
    children = _Children()
    pool = cf.ThreadPoolExecutor(max_workers=max(1, jobs))
    futures = {}
    try:
        futures = {pool.submit(_run_job, j, Path(notebooks), stage_root / str(j.year), timeout, children): j
                   for j in all_jobs}
        with tqdm(total=len(all_jobs), desc="notebooks", unit="nb", disable=True if quiet else None, file=sys.stderr) as bar:
            for fut in cf.as_completed(futures):
                job = fut.result()
                bar.update(1)
                bar.set_postfix_str(f"{job.year} {job.name}: {'ok' if job.ok else 'MISLUKT'}")
                remaining[job.year] -= 1
                if remaining[job.year] == 0:
                    with _deferred_interrupt():
                        _publish_year(ds, job.year, municipality, by_year[job.year], stage_root / str(job.year),
                                      output_folder(out_dir, ds, municipality, job.year), started)
                    result.published_years.append(job.year)
        write_overview(out_dir, ds.policy.municipality)
    except KeyboardInterrupt:
        result.interrupted = True
        children.kill_all()
        for f in futures:
            f.cancel()
    finally:
        if result.interrupted or sys.exc_info()[0] is not None:
            children.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        atomic.remove_tree(stage_root)
    return result


class _deferred_interrupt:
    """Hold Ctrl-C while files are renamed into place, then deliver it."""

    def __enter__(self):
        self.hit = False
        try:
            self.old = signal.signal(signal.SIGINT, lambda *a: setattr(self, "hit", True))
        except ValueError:  # not the main thread
            self.old = None
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)
        if self.hit:
            raise KeyboardInterrupt
        return False
