"""ivbtools: test a municipality's safety-policy (IVB) targets against the data.

Layers, each a folder, each importing only the ones below it (the ground: errors, fmt, atomic,
stats, yamlio):

    data/      registries, the policy's targets, municipalities, validated tidy observations,
               the download cache, the dataset a run reads, its frozen state         (sources of truth)
    live/      fetching the official tables into the cache: HTTP, OData, BRON          (above data)
    panel/     every municipality at once: matrices, peer groups, year-to-year variation
    verdict/   rules and verdicts: one municipality, the all-municipality table, the peer
               comparison, the scorecard, coverage
    present/   Dutch text, tables, charts and the HTML pages; notebook parameter checks
    batch/     running the notebooks per year: inputs, executors, worker, publishing
    cli.py     the `ivb` command (top)

The notebooks use one stable face: `import ivbtools` and `from ivbtools import evaluate, report,
plots, params, coverage, scorecard` (names kept across internal moves, so committed notebook
outputs do not churn).
"""
import importlib

from .errors import IvbError

__all__ = ["IvbError", "Dataset", "load"]
__version__ = "0.1.0"

# the notebooks' public face: module names that stay the same when the layers move
_FACE = {"evaluate": "ivbtools.verdict.evaluate", "scorecard": "ivbtools.verdict.scorecard",
         "coverage": "ivbtools.verdict.coverage", "report": "ivbtools.present.report",
         "plots": "ivbtools.present.plots", "params": "ivbtools.present.params"}


def __getattr__(name: str):
    if name in _FACE:
        return importlib.import_module(_FACE[name])
    if name in ("Dataset", "load"):   # imported on first use: `ivb` starts light, so Ctrl-C at start-up is one line
        return getattr(importlib.import_module("ivbtools.data.dataset"), name)
    raise AttributeError(f"module 'ivbtools' has no attribute {name!r}")
