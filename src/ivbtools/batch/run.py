"""Batch per year: run the target notebook for every measurable target and the scorecard.

Incremental: a report whose inputs (publish/inputs.py: notebook, parameters, ivbtools code, the data it
reads) have not changed since it was published is skipped; `force=True` reruns everything.
The jobs that remain go to an executor (executors.py; by default long-lived local worker
processes, each with a warm kernel) and their files land in a staging folder. Only when a
year's runs are over are the finished files renamed into `outputs/<year>/`: a failed notebook
keeps the previous good report (marked stale in the index), an interrupted batch publishes
nothing for the years it did not finish, and a year with nothing to rerun is not touched.
"""
from __future__ import annotations

import signal
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from .. import atomic
from ..data import datastate
from ..data.dataset import HANDOVER, Dataset, handed_over, load, state_of
from ..errors import IvbError
from ..ids import check_id
from ..publish.inputs import digest, scorecard_inputs, target_inputs
from ..publish.overview import publish_overview
from ..publish.staged import made_at
from ..publish.year import publish_year, read_run
from ..verdict.scorecard import scorecard_name
from .tasks import Task


@dataclass
class Job:
    year: int
    name: str          # output file stem: the target id, or "scorecard"
    notebook: str      # source notebook file name
    parameters: dict
    title: str
    inputs: str = ""   # digest of everything the report depends on
    municipality: str = ""
    ok: bool = False
    error: str = ""
    up_to_date: bool = False
    seconds: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.municipality}/{self.year}/{self.name}"

    @property
    def slot(self) -> tuple[str, int]:
        return (self.municipality, self.year)


@dataclass
class BatchResult:
    jobs: list[Job] = field(default_factory=list)
    interrupted: bool = False
    published_years: list[int] = field(default_factory=list)

    @property
    def failed(self) -> list[Job]:
        return [j for j in self.jobs if not j.ok]

    @property
    def up_to_date(self) -> list[Job]:
        return [j for j in self.jobs if j.up_to_date]


def output_folder(out_dir: Path, ds: Dataset, municipality: str, year: int) -> Path:
    """outputs/<year>/ for the policy's own municipality, outputs/<code>/<year>/ for others."""
    base = Path(out_dir) if municipality == ds.policy.municipality else Path(out_dir) / municipality
    return base / str(year)


def report_nav(ds: Dataset, job: Job) -> list[list[str]]:
    """The links at the top of a report: the overview, the year's index and scorecard."""
    up = "../" if job.municipality == ds.policy.municipality else "../../"
    nav = [["← Overzicht alle jaren", f"{up}index.html"], [f"Jaaroverzicht {job.year}", "index.html"]]
    if job.name != "scorecard":
        nav.append([f"Scorekaart {job.year}", "scorecard.html"])
    return nav


def plan(ds: Dataset, years: list[int], municipality: str, data_dir: Path, notebooks: Path | None = None) -> list[Job]:
    """Every report of the batch, with the digest of its inputs (when the notebooks folder is given)."""
    jobs = []
    targets = {p.id: target_inputs(ds, p.id, municipality) for p in ds.policy.parts if p.measurable} if notebooks else {}
    card = scorecard_inputs(ds, municipality) if notebooks else {}
    for year in years:
        common = {"year": year, "municipality": municipality, "data_dir": str(data_dir)}
        for part in ds.policy.parts:
            if part.measurable:
                check_id(part.id, f"{ds.policy.path}: target", "id")   # a file name below: never a path (also checked on load)
                params = {"target_id": part.id, **common}
                jobs.append(Job(year, part.id, "target.ipynb", params, part.title,
                                digest(Path(notebooks) / "target.ipynb", params, targets[part.id]) if notebooks else "",
                                municipality=municipality))
        jobs.append(Job(year, "scorecard", "scorecard.ipynb", common, "Scorekaart: alle doelen",
                        digest(Path(notebooks) / "scorecard.ipynb", common, card) if notebooks else "",
                        municipality=municipality))
    return jobs


def _is_up_to_date(job: Job, previous: dict, dest: Path) -> bool:
    prev = previous.get(job.name) or {}
    return (prev.get("status") == "ok" and prev.get("inputs") == job.inputs and bool(job.inputs)
            and (dest / f"{job.name}.html").is_file() and (dest / f"{job.name}.ipynb").is_file())


def run_batch(ds: Dataset, years: list[int], municipality, data_dir: Path, notebooks: Path, out_dir: Path,
              jobs: int = 1, timeout: int = 600, quiet: bool = False, force: bool = False,
              executor=None) -> BatchResult:
    """`municipality`: one code or a list of codes; every report of every municipality goes to
    one executor, and each (municipality, year) is published as soon as its reports are done.
    Every report and the scorecard read one frozen copy of `data_dir` (datastate.py); `ds` is
    used for the parent's work when `data_dir` is unchanged since it was loaded, else the copy is
    loaded."""

    municipalities = [municipality] if isinstance(municipality, str) else list(municipality)
    out_dir = Path(out_dir)
    for nb in ("target.ipynb", "scorecard.ipynb"):
        if not (Path(notebooks) / nb).is_file():
            raise IvbError(f"{notebooks}/{nb} not found — run from the project folder or pass --notebooks DIR")
    refuse_output_in_data(out_dir, Path(data_dir))
    atomic.check_writable(out_dir)
    stage_root = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir)).resolve()   # kernels run elsewhere
    try:
        # one consistent data state from start to end: a fetch during the run changes the next run
        frozen = datastate.freeze(data_dir, stage_root / "data")
        # the data set given is used as it is when the folder has not changed since it was loaded
        # (checked after freezing: a change in between loads the frozen copy), else the copy is loaded
        ds = replace(ds, root=frozen) if ds is not None and ds.state and state_of(data_dir) == ds.state else load(frozen)
        return _run(ds, years, municipalities, Path(data_dir), frozen, Path(notebooks), out_dir, stage_root, jobs,
                    timeout, quiet, force, executor)
    finally:
        atomic.remove_tree(stage_root)


def refuse_output_in_data(out_dir: Path, data_dir: Path) -> None:
    """The output folder must not lie inside the data folder: reports written there would mix
    with the figures (every CSV in data/local/ is read as figures; the snapshot is immutable)."""
    out, data = Path(out_dir).resolve(), Path(data_dir).resolve()
    if out == data or data in out.parents:
        raise IvbError(f"--output {out_dir} lies inside the data folder {data} — reports there would mix with the "
                       f"figures; choose a folder outside it, e.g. --output outputs")


def _run(ds: Dataset, years: list[int], municipalities: list[str], data_dir: Path, frozen: Path, notebooks: Path,
         out_dir: Path, stage_root: Path, jobs: int, timeout: int, quiet: bool, force: bool, executor) -> BatchResult:
    from .executors import LocalExecutor

    started = made_at()
    all_jobs = [j for m in municipalities for j in plan(ds, years, m, Path(data_dir), Path(notebooks))]
    result = BatchResult(jobs=all_jobs)
    for m in municipalities:
        for year in years:
            dest = output_folder(out_dir, ds, m, year)
            previous = read_run(dest).get("parts", {})
            for job in (j for j in all_jobs if j.slot == (m, year)):
                if not force and _is_up_to_date(job, previous, dest):
                    job.up_to_date = job.ok = True
    to_run = [j for j in all_jobs if not j.up_to_date]
    if not to_run:
        if not (out_dir / "index.html").exists():
            publish_overview(out_dir, ds.policy.municipality)
        return result
    by_key = {j.key: j for j in to_run}
    remaining: dict[tuple[str, int], int] = {}
    for j in to_run:
        remaining[j.slot] = remaining.get(j.slot, 0) + 1
    # the kernels load the frozen data once between them (data/dataset.py, HANDOVER), and the scorecard
    # notebook leaves the year's scorecard there for publish_year (named by the frozen copy's state)
    handover = stage_root / "handover"
    handover.mkdir()
    frozen_state = state_of(frozen)
    if executor is None:
        executor = LocalExecutor(jobs, tag=str(stage_root), log_dir=stage_root / "logs", env={HANDOVER: str(handover)})

    def stage_of(j: Job) -> Path:
        return stage_root / j.municipality / str(j.year)

    specs = [Task(j.key, str(Path(notebooks) / j.notebook), str(stage_of(j) / f"{j.name}.ipynb"),
                  str(stage_of(j) / f"{j.name}.html"), {**j.parameters, "data_dir": str(frozen)}, str(notebooks), timeout,
                  f"{j.title} — {ds.area_name(j.municipality)}, {j.year}", report_nav(ds, j))
             for j in to_run]
    for j in to_run:
        stage_of(j).mkdir(parents=True, exist_ok=True)
    published: set[tuple[str, int]] = set()
    try:
        with tqdm(total=len(to_run), desc="notebooks", unit="nb", disable=True if quiet else None, file=sys.stderr) as bar:
            for res in executor.run(specs):
                job = by_key[res.key]
                job.ok, job.error, job.seconds = res.ok, res.error, res.seconds
                if job.ok and not (stage_of(job) / f"{job.name}.html").exists():
                    job.ok, job.error = False, "the run ended without an HTML report"
                bar.update(1)
                bar.set_postfix_str(f"{job.municipality} {job.year} {job.name}: {'ok' if job.ok else 'MISLUKT'}")
                remaining[job.slot] -= 1
                if remaining[job.slot] == 0:
                    m, y = job.slot
                    with _deferred_interrupt():
                        card = handed_over(handover, scorecard_name(frozen_state, y, m)) if frozen_state else None
                        publish_year(ds, y, m, [j for j in all_jobs if j.slot == job.slot],
                                      stage_of(job), output_folder(out_dir, ds, m, y), started, card)
                    published.add(job.slot)
                    if y not in result.published_years:
                        result.published_years.append(y)
        for job in to_run:   # an executor that stopped early: what it did not return failed
            if job.slot not in published and remaining.get(job.slot, 0) > 0 and not job.error:
                job.ok, job.error = False, "not run (the executor stopped)"
        publish_overview(out_dir, ds.policy.municipality)
    except KeyboardInterrupt:
        result.interrupted = True
        executor.stop()
    finally:
        if result.interrupted or sys.exc_info()[0] is not None:
            executor.stop()
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
