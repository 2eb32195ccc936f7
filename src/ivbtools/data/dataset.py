"""Everything the evaluation needs, loaded and validated from one data folder."""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import pandas as pd

from ..errors import IvbError
from .monitor import Monitor, load_monitors
from .months import Months
from .municipalities import Municipalities, load_municipalities
from .observations import Observations, implausible_local_figure, resolve
from .peers import load_config as load_peer_config
from .providers import default_providers, embedded_only, snapshot_folder
from .registry import Indicator, Source, load_indicators, load_sources, source_entry
from .targets import Policy, load_policies

T = TypeVar("T")


@dataclass
class Dataset:
    root: Path
    indicators: dict[str, Indicator]
    sources: dict[str, Source]
    policy: Policy
    observations: Observations
    snapshot_version: str
    providers: list[str]
    warnings: list[str] = field(default_factory=list)   # damaged cache entries, not used (one line each)
    municipalities: Municipalities | None = None
    monitor: Monitor | None = None   # the monitored policy's priorities (data/monitor/), if any
    months: Months = field(default_factory=Months)   # monthly figures (the monitor's year to date), cache only
    # the data state: the fingerprint of the folder this was loaded from. Every copy `load()`
    # hands out for an unchanged folder has the same state and shares its derived views
    # (data/views.py); None for a dataset changed in memory, which keeps views of its own.
    state: str | None = field(default=None, compare=False)
    own_views: dict = field(default_factory=dict, repr=False, compare=False)

    def area_name(self, code: str) -> str:
        return self.observations.area_name(code)

    def copy(self) -> Dataset:
        """An independent copy, made cheaply: records are frozen and shared, lists and dicts are
        new, and the tables are pandas copy-on-write copies (pandas 3), so an analyst who changes
        the copy's tables never changes the original. Same data state, so shared views stay valid
        as long as the tables are not changed (use `with_table` for a what-if)."""
        return replace(self, indicators=dict(self.indicators), sources=dict(self.sources),
                       policy=replace(self.policy, parts=list(self.policy.parts), checks=list(self.policy.checks)),
                       observations=self.observations.copy(), providers=list(self.providers),
                       warnings=list(self.warnings), municipalities=copy.deepcopy(self.municipalities), own_views={},
                       months=self.months.copy())

    def with_table(self, table) -> Dataset:
        """A copy whose chosen figures are `table` (an analyst's what-if, a test): no data state,
        so nothing derived from the original is reused for it."""
        obs = replace(self.observations, table=table)
        return replace(self, observations=obs, state=None, own_views={})


def find_data_dir(data_dir: str | Path | None = None) -> Path:
    """`data_dir` if given; otherwise the project's data/ folder, looked for in the working
    folder, its parent (a notebook run from notebooks/), and the checkout ivbtools came from."""
    if data_dir not in (None, ""):
        return Path(data_dir).expanduser().resolve()
    here = Path.cwd()
    for cand in (here / "data", here.parent / "data", Path(__file__).resolve().parents[3] / "data"):
        if (cand / "indicators.yaml").is_file():
            return cand.resolve()
    raise IvbError("no ivb data folder found (looked for data/indicators.yaml here, one folder up and in the checkout) "
                   "— pass data_dir / --data")


_LOADED: dict[tuple, Dataset] = {}


def _fingerprint(root: Path) -> tuple:
    """Every file of the data folder (path, size, modification time), the environment flag that
    changes what is read, and today's date (the loader refuses years after it)."""
    files = []
    for p in sorted(root.rglob("*")):
        try:
            st = p.stat()
        except OSError:
            continue
        if p.is_file():
            files.append((str(p), st.st_size, st.st_mtime_ns))
    return (str(root), os.environ.get("IVB_EMBEDDED_ONLY", ""), os.environ.get("IVB_TARGETS", ""),
            dt.date.today().isoformat(), tuple(files))


def _state(key: tuple) -> str:
    """A data state: the hash of a data folder's fingerprint."""
    return hashlib.sha256(repr(key).encode()).hexdigest()[:16]


def state_of(data_dir: str | Path) -> str | None:
    """The data state a load of `data_dir` would have now (None when the folder cannot be read):
    equal to a loaded Dataset's `state` exactly when no file has changed since that load."""
    try:
        return _state(_fingerprint(find_data_dir(data_dir)))
    except OSError:
        return None


def load(data_dir: str | Path | None = None) -> Dataset:
    """Load registries, targets and observations from `data_dir` (found when not given).

    A process that loads the same unchanged folder again (a warm kernel running many notebooks)
    gets a copy of the first load (`Dataset.copy`) instead of reading and validating every file
    again, with the same data state, so that derived views are shared (data/views.py)."""
    root = find_data_dir(data_dir)
    try:
        key = _fingerprint(root)
    except OSError:
        key = None
    if key is not None and key in _LOADED:
        return _LOADED[key].copy()
    ds = shared(_state(key), lambda: _load(root, data_dir)) if key is not None else _load(root, data_dir)
    if key is not None:
        ds.state = _state(key)
        _LOADED.clear()
        _LOADED[key] = ds.copy()
    return ds


# A batch's kernels all load the same frozen folder. The batch names a folder of its own here
# (batch/run.py; it exists only while the batch runs); the first kernel to load a data state leaves
# the result there as a pickle named by that state, and the others read it instead of reading and
# validating every file again (panel data: 1,9 s CPU per kernel against 0,2 s). Only a pickle in
# that folder and named by the state this process computed itself is ever read. The same folder
# carries what is derived once from a data state for every process of the batch (the year's
# scorecard: worked out in its notebook, read back by the batch that publishes it).
HANDOVER = "IVB_DATASET_HANDOVER"
_HANDOVER_NAME = re.compile(r"[A-Za-z0-9_-]{1,120}")


def shared(name: str, make: Callable[[], T]) -> T:
    """`make()`, worked out once for all the processes of a batch: the first leaves its result in
    the batch's handover folder (HANDOVER) as `<name>.pickle`, the others wait on a file lock and
    read it. Without the variable or its folder, or without POSIX file locks (Windows), `make()`;
    so too for a name of other characters than letters, digits, '-' and '_' (it becomes a file
    name). `name` must say everything the value depends on (a data state, a year, an area)."""
    import pickle

    from .. import atomic

    where = os.environ.get(HANDOVER)
    try:
        import fcntl
    except ImportError:
        return make()
    if not where or not Path(where).is_dir() or not _HANDOVER_NAME.fullmatch(name):
        return make()
    folder = Path(where)
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)     # the others wait for the first, then read what it left
        path = folder / f"{name}.pickle"
        if path.is_file():
            return pickle.loads(path.read_bytes())
        value = make()
        atomic.write_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        return value


def handed_over(folder: Path, name: str):
    """What a process of the batch left in its handover `folder` under `name` (see `shared`), or None."""
    import pickle

    if not _HANDOVER_NAME.fullmatch(name):
        return None
    path = Path(folder) / f"{name}.pickle"
    return pickle.loads(path.read_bytes()) if path.is_file() else None


def _load(root: Path, data_dir) -> Dataset:
    if not (root / "indicators.yaml").is_file():
        raise IvbError(f"{data_dir}: not an ivb data folder (no indicators.yaml) — point data_dir/--data at the project's data/ folder")
    indicators = load_indicators(root / "indicators.yaml")
    registries = [root / "sources.yaml"]
    if not embedded_only(root):
        registries += [root / "local" / "sources.yaml", root / "cache" / "sources.yaml"]
    sources = load_sources(registries)
    policy = load_policies(root / "targets", indicators, os.environ.get("IVB_TARGETS") or None)
    if policy.source is not None and policy.source_id not in sources:   # a drafted policy names its own document
        sources[policy.source_id] = source_entry(policy.source, f"{policy.path}: policy.source")
    monitor = load_monitors(root / "monitor", indicators)
    if monitor is not None and monitor.source_id not in sources:
        raise IvbError(f"{root / 'monitor'}: monitor.source_id {monitor.source_id!r} is not in data/sources.yaml — add it")
    if policy.source_id not in sources:
        raise IvbError(f"{policy.path}: policy.source_id {policy.source_id!r} is not in data/sources.yaml — add it")
    providers = default_providers(root)
    municipalities = load_municipalities(root)
    if municipalities is not None:   # the municipality a policy or monitor file names must be a current one
        for what, obj in (("policy", policy), ("monitor", monitor)):
            problem = municipalities.problem(obj.municipality) if obj is not None else ""
            if problem:
                path = policy.path if what == "policy" else root / "monitor"
                raise IvbError(f"{path}: {what}.municipality: {problem}")
    load_peer_config(root, municipalities)   # a wrong code is named in data/peers.yaml before any run freezes a copy
    frames = [f for prov in providers for f in prov.observations(indicators, sources, municipalities)]
    month_frames = [f for prov in providers if hasattr(prov, "months") for f in prov.months(indicators, sources)]
    months = Months(pd.concat(month_frames, ignore_index=True)) if month_frames else Months()
    _, version = snapshot_folder(root)
    warnings = [w for prov in providers for w in getattr(prov, "warnings", [])]
    observations = resolve(frames, sources)
    implausible = implausible_local_figure(observations, indicators)
    if implausible:
        raise IvbError(implausible)
    return Dataset(root=root, indicators=indicators, sources=sources, policy=policy,
                   observations=observations, snapshot_version=version,
                   providers=[p.describe() for p in providers], warnings=warnings, municipalities=municipalities,
                   monitor=monitor, months=months)
