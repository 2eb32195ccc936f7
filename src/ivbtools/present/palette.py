"""One palette for every page and chart: (background, text colour) per verdict class
(verdict/rules.py CLASS_ORDER)."""
COLOURS = {
    "clear-met": ("#1a7f37", "#fff"),
    "met": ("#b7e4c0", "#111"),
    "clear-not-met": ("#c62828", "#fff"),
    "not-met": ("#f6c1c1", "#111"),
    "break": ("#ffd68a", "#111"),
    "missing": ("#e6e6e6", "#555"),
    "neutral": ("#f5f5f5", "#555"),
}
