"""Root pytest configuration: nbval re-runs the committed notebooks on the embedded data only.

The notebooks' committed outputs come from the snapshot and data/local (`make notebooks`);
a machine-local download cache (`ivb fetch`) must not change them, so the kernels that nbval
starts inherit IVB_NO_CACHE=1. Tests under tests/ that need the cache use their own copies.
"""
import os

os.environ["IVB_NO_CACHE"] = "1"
