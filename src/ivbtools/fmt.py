"""Dutch number formatting for report text (thousands '.', decimals ',')."""
from __future__ import annotations

import math


def nl_int(x: float | int | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{int(round(x)):,}".replace(",", ".")


def nl_num(x: float | None, decimals: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


def nl_value(x: float | None, unit: str) -> str:
    return nl_int(x) if unit == "count" else nl_num(x, 1)


def nl_pct(x: float | None, decimals: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return ("+" if x > 0 else "") + nl_num(x, decimals) + "%"


def nl_ratio(x: float) -> str:
    """A change ratio as the reports write it: ×0,80."""
    return "×" + nl_num(x, 2)


def nl_p(p: float) -> str:
    if p < 0.001:
        return "p < 0,001"
    return "p = " + nl_num(p, 3)


def nl_interval(low: float, high: float, decimals: int = 2) -> str:
    """An interval as the reports write it: '0,61–0,94'; an open upper end as '∞'."""
    hi = "∞" if high is None or math.isinf(high) else nl_num(high, decimals)
    return f"{nl_num(low, decimals)}–{hi}"


MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december")


def nl_datetime(iso: str | None) -> str:
    """'2026-12-02T21:05:13+01:00' as a reader writes it: '2 december 2026, 21.05 uur'; a date
    alone as '2 december 2026'; anything else unchanged."""
    import datetime as dt

    if not iso:
        return "–"
    try:
        t = dt.datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    day = f"{t.day} {MONTHS_NL[t.month - 1]} {t.year}"
    return day if len(str(iso)) <= 10 else f"{day}, {t.hour}.{t.minute:02d} uur"


def nl_date(text: str | None) -> str:
    """A retrieval date as a reader writes it: '2026-11-28' → '28 november 2026', '2024-01' →
    'januari 2024' (the day not recorded); anything else unchanged."""
    t = str(text or "")
    if len(t) == 7 and t[4] == "-" and t[:4].isdigit() and t[5:].isdigit() and 1 <= int(t[5:]) <= 12:
        return f"{MONTHS_NL[int(t[5:]) - 1]} {t[:4]}"
    return nl_datetime(t[:10]) if t else "–"
