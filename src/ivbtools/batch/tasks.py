"""The records the batch, its executors and the workers pass each other (issue #17).

A `Task` is one notebook to run and render; a `TaskResult` what came of it. Both cross process
boundaries (JSON lines to a worker process, pickles to a Dask worker) through `to_json` /
`from_json`, and are typed everywhere else.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class Task:
    key: str                  # municipality/year/name: unique within a batch
    input: str                # the source notebook (never written)
    output_notebook: str      # the executed notebook
    output_html: str          # its HTML report
    parameters: dict = field(default_factory=dict)
    cwd: str = "."
    timeout: int | None = 600   # seconds per cell
    title: str = ""           # the report's title (browser tab, printout)
    nav: list = field(default_factory=list)   # [label, href] links back at the top of the report

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> Task:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def with_data(self, data_dir: str) -> Task:
        """The same task reading another copy of the data folder (a Dask worker's unpacked state)."""
        return replace(self, parameters={**self.parameters, "data_dir": data_dir})

    def with_outputs(self, notebook: str, html: str) -> Task:
        return replace(self, output_notebook=notebook, output_html=html)


@dataclass
class TaskResult:
    key: str
    ok: bool
    error: str = ""
    seconds: float = 0.0
    notebook: str | None = None   # texts carried back from a machine without the output folder (Dask)
    html: str | None = None

    @classmethod
    def failed(cls, key: str, error: str, seconds: float = 0.0) -> TaskResult:
        return cls(key, False, error, seconds)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> TaskResult:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})
