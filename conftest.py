"""Root pytest configuration: every test and nbval see the checkout's embedded data only.

The notebooks' committed outputs come from the embedded snapshot (`make notebooks`). An
analyst's figures in data/local/ or a download cache (`ivb fetch`) must not change what the
tests see, so IVB_EMBEDDED_ONLY names the checkout's data/ folder: its local/ and cache/
layers are ignored by every load of that folder, in this process, in the nbval kernels and in
the `ivb` subprocesses the tests start. Tests that need local figures or a cache work on
their own copies (tests/conftest.py: data_copy), which the variable does not name.
"""
import os
from pathlib import Path

os.environ["IVB_EMBEDDED_ONLY"] = str((Path(__file__).resolve().parent / "data").resolve())
