"""Re-execute committed notebooks with their default parameters, atomically (developer tool).

`make notebooks` uses this after a deliberate change of a result, so that the outputs stored
in notebooks/ (which nbval checks) come from a real run on the embedded data. The notebook
is executed in memory and replaced only when every cell succeeded.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .. import atomic


def refresh(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    atomic.write_text(path, nbformat.writes(nb) + "\n")
    print(f"refreshed {path}")


if __name__ == "__main__":
    os.environ["IVB_EMBEDDED_ONLY"] = "*"  # committed outputs come from the embedded data only
    for arg in sys.argv[1:]:
        refresh(Path(arg))
