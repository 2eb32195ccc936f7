"""Derived views of one data state, built once and shared (issue #17).

A view is a typed object built from a Dataset (the panel and its peer groups, the
all-municipality table of a year, the digests of what a report reads) with cached methods.
Every Dataset that `load()` hands out for the same unchanged data folder carries the same
`state` (its fingerprint), so every notebook a warm worker runs on one data state shares one
instance of each view instead of building it again. A Dataset without a state (one changed
in memory, see `Dataset.with_table`) keeps its own views.

Views read only the layer below them; they never import the modules that ask for them: the
caller passes the class.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

T = TypeVar("T")

KEEP_STATES = 2        # a worker runs one data state per batch; a lab session may reload once after a fetch
_SHARED: OrderedDict[str, dict[type, object]] = OrderedDict()


def view(ds, kind: type[T]) -> T:
    """The instance of `kind` (built as `kind(ds)`) for the data state of `ds`."""
    if ds.state is None:
        own = ds.own_views
    else:
        own = _SHARED.get(ds.state)
        if own is None:
            own = _SHARED[ds.state] = {}
            while len(_SHARED) > KEEP_STATES:
                _SHARED.popitem(last=False)
        _SHARED.move_to_end(ds.state)
    if kind not in own:
        own[kind] = kind(ds)
    return own[kind]


def clear() -> None:
    """Forget every shared view (tests; a benchmark's cold start)."""
    _SHARED.clear()
