"""Checks for the parameters a user passes to a notebook or to `ivb run`.

Each check raises IvbError with one line naming the parameter and the fix. Notebooks call
these in their first cell after the parameters cell, so a wrong parameter stops the run
before anything is computed.
"""
from __future__ import annotations

import datetime as dt
import re

from ..data.dataset import Dataset
from ..errors import IvbError

MUNICIPALITY = re.compile(r"^GM\d{4}$")
_PARAMETER_TYPES = (str, int, float, bool, type(None), list, dict)   # what papermill can inject


def reject_unknown(namespace: dict, known: list[str]) -> None:
    """Stop a notebook whose caller passed a parameter it does not have: papermill only warns
    ('Passed unknown parameter') and injects it as a variable, and the notebook would quietly run
    with its default instead (`-p target x` for `-p target_id x`). Called in the first cell after
    the parameters, before anything else is defined: every plain value there (a type papermill can
    inject) that is neither a known parameter nor IPython's own is an unknown parameter. (In
    JupyterLab, a later cell's plain variable counts too when this cell is run again: restart the
    kernel, or `del` it.)"""
    hidden: set = set()
    try:
        hidden = set(get_ipython().user_ns_hidden)   # noqa: F821 - defined inside IPython
    except NameError:
        pass
    unknown = sorted(k for k, v in namespace.items()
                     if not k.startswith("_") and k not in known and k not in hidden
                     and k not in ("In", "Out", "exit", "quit", "get_ipython", "open")
                     and isinstance(v, _PARAMETER_TYPES))
    if unknown:
        raise IvbError(f"parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} unknown — this notebook's "
                       f"parameters are {', '.join(known)}; check the spelling (papermill only warns and runs the "
                       f"defaults)")


def check_year(ds: Dataset, year, name: str = "year") -> int:
    """A year within the data; `name` is the parameter's name in the messages (e.g. base_year)."""
    if isinstance(year, bool) or not isinstance(year, (int, str)):
        raise IvbError(f"parameter {name} must be a whole year like 2023, got {year!r}")
    if isinstance(year, str):
        if not re.fullmatch(r"\d{4}", year.strip()):
            raise IvbError(f"parameter {name} must be a whole year like 2023, got {year!r}")
        year = int(year)
    span = ds.observations.years()
    lo, hi = span if span else (ds.policy.period[0], ds.policy.period[1])
    if not lo <= year <= hi:
        from ..data.observations import MIN_YEAR

        this_year = dt.date.today().year
        can_add = MIN_YEAR <= year <= this_year   # the loader accepts figures for these years only
        raise IvbError(f"parameter {name} {year} is outside the data ({lo}–{hi}) — choose a year in that range"
                       + (f", or add figures for {year} under data/local/" if can_add else
                          f"; figures are accepted for {MIN_YEAR}–{this_year} only"))
    return year


def check_municipality(ds: Dataset, municipality) -> str:
    if isinstance(municipality, bool) or isinstance(municipality, (int, float)):
        code = f"GM{int(municipality):04d}" if isinstance(municipality, int) and 0 <= municipality < 10000 else "GM0014"
        raise IvbError(f"parameter municipality must be a code like {code}, got the number {municipality!r} "
                       f"(papermill's -p turns 0014 into 14) — pass it as text: -r municipality {code}")
    if not isinstance(municipality, str):
        raise IvbError(f"parameter municipality must be a code like GM1969, got {municipality!r}")
    code = municipality.strip().upper()
    if not re.fullmatch(r"GM\d*|\d{1,4}", code) and re.search(r"[A-Za-zÀ-ÿ]{3}", municipality):
        code = _code_for_name(ds, municipality.strip())   # a name: its code, or a message that names the code
    if re.fullmatch(r"\d{1,4}", code):
        raise IvbError(f"parameter municipality {municipality!r} lacks the GM prefix — write GM{int(code):04d}")
    if not MUNICIPALITY.match(code):
        raise IvbError(f"parameter municipality {municipality!r} is not a CBS municipality code — write GM and four digits, e.g. GM1969")
    if ds.municipalities is not None and code not in ds.municipalities:
        raise IvbError(f"parameter municipality: {ds.municipalities.problem(code)}")
    areas = {a: n for a, n in ds.observations.areas().items() if a.startswith("GM")}
    if code not in areas:
        known = ", ".join(f"{a} ({n})" for a, n in sorted(areas.items())) or "none"
        raise IvbError(f"parameter municipality {code}: no figures for this municipality in the data (known: {known}) — "
                       f"add its figures as CSV under data/local/ or choose a known code")
    return code


def _code_for_name(ds: Dataset, name: str) -> str:
    """A municipality's code from its name ('Westerkwartier' → GM1969), from the code list or,
    without one, from the names in the data; one line naming the codes when that is ambiguous."""
    if ds.municipalities is not None:
        codes = ds.municipalities.codes_named(name)
    else:
        codes = [a for a, n in ds.observations.areas().items() if a.startswith("GM") and n.lower() == name.lower()]
    if len(codes) == 1:
        return codes[0]
    if len(codes) > 1:
        raise IvbError(f"parameter municipality {name!r} names more than one municipality ({', '.join(codes)}) — "
                       f"pass the code, e.g. -r municipality {codes[0]}")
    raise IvbError(f"parameter municipality {name!r} is not a municipality name in the code list "
                   f"(data/municipalities.csv) — pass its CBS code, e.g. -r municipality GM1969 (Westerkwartier)")


def check_target(ds: Dataset, target_id) -> str:
    ids = ds.policy.measurable_ids()
    if not isinstance(target_id, str) or target_id not in {p.id for p in ds.policy.parts}:
        raise IvbError(f"parameter target_id: unknown target id {target_id!r} — valid ids: {', '.join(ids)}")
    if target_id not in ids:
        raise IvbError(f"parameter target_id {target_id!r} is a qualitative part: it is listed in the scorecard, "
                       f"not tested — valid ids: {', '.join(ids)}")
    return target_id


def check_indicator(ds: Dataset, indicator) -> str:
    if not isinstance(indicator, str) or indicator not in ds.indicators:
        raise IvbError(f"parameter indicator: unknown indicator {indicator!r} — valid: {', '.join(sorted(ds.indicators))}")
    return indicator


def check_priority(ds: Dataset, priority_id) -> str:
    ids = [p.id for p in ds.monitor.priorities] if ds.monitor else []
    if not ids:
        raise IvbError("parameter priority_id: no monitor in the data — add data/monitor/ivb-2024-2027.yaml")
    if priority_id not in ids:
        raise IvbError(f"parameter priority_id: unknown priority {priority_id!r} — valid ids: {', '.join(ids)}")
    return priority_id


def check_monitor_year(ds: Dataset, year, label: str = "parameter year") -> int:
    """The last year the monitor shows: from the policy's first year up to this year (the data
    need not hold it yet: missing figures are named). `label` names it in the message (the
    notebook's parameter, or the command's --year)."""
    if isinstance(year, bool) or not isinstance(year, (int, str)) or not re.fullmatch(r"\d{4}", str(year).strip()):
        raise IvbError(f"{label} must be a whole year like {dt.date.today().year}, got {year!r}")
    year, first, now = int(str(year).strip()), ds.monitor.period[0], dt.date.today().year
    if not first <= year <= now:
        raise IvbError(f"{label} {year}: the monitor covers {first} up to this year ({now}) — choose a year in that range")
    return year
