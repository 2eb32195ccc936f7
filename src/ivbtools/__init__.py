"""ivbtools: test a municipality's safety-policy (IVB) targets against the data.

Flow, one module per step:
    sources / indicators   registries of what a figure may refer to   (registry.py)
    observations           validated tidy figures with provenance     (observations.py, providers.py)
    targets                the policy's targets as data               (targets.py)
    evaluate               verdicts with exact statistics             (evaluate.py, stats.py)
    report / plots         Dutch text, tables and charts              (report.py, plots.py)
    batch / cli            papermill runs per year, `ivb` command     (batch.py, cli.py)
"""
from .errors import IvbError
from .dataset import Dataset, load

__all__ = ["IvbError", "Dataset", "load"]
__version__ = "0.1.0"
