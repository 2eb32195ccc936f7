"""Whether a data folder's user layers (data/local/ and the download cache) count.

A module of its own, below the providers, the cache and the code list, which all ask.
"""
from __future__ import annotations

import os
from pathlib import Path

EMBEDDED_ONLY = "IVB_EMBEDDED_ONLY"
EMBEDDED_MARKER = ".embedded-only"   # in a frozen data state (datastate.py) made from such a folder


def embedded_only(data_dir: Path) -> bool:
    """True when this data folder's user layers (data/local/ and the download cache) are to be
    ignored: IVB_EMBEDDED_ONLY names the folder (or is '*' for any). The test suite sets it to
    the checkout's data/ so that `make test` and nbval see only the embedded snapshot, whatever
    an analyst has put in data/local/ or fetched; `make notebooks` sets it for the same reason.
    A batch's frozen copy of such a folder carries a marker file that says the same."""
    if (Path(data_dir) / EMBEDDED_MARKER).is_file():
        return True
    flag = os.environ.get(EMBEDDED_ONLY, "")
    if not flag:
        return False
    if flag == "*":
        return True
    try:
        return Path(flag).resolve() == Path(data_dir).resolve()
    except OSError:
        return False
