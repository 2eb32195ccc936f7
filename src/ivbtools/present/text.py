"""Report text that shows as Markdown in JupyterLab and the HTML reports and as plain text elsewhere.

Report text is built from strings out of files (titles, quotes, names, notes) that nobody here
controls once `ivb draft` reads other municipalities' documents. Markdown lets raw HTML through,
so the Markdown an `Md` hands to JupyterLab and nbconvert has every `<` outside a code span
written as `&lt;`: no tag from a file can reach a page (`<script>`, `<img onerror=…>`). Code spans
are found by CommonMark's rule (a run of backticks closed by a run of the same length); their
content is shown literally by the Markdown renderer anyway. Links with a `javascript:` or `data:`
address are disarmed by the renderer (mistune's safe_url). Nothing the code itself writes uses raw
HTML in Markdown.
"""
from __future__ import annotations

import re

from ..verdict.signals import STRONG, WEAK

_TICKS = re.compile(r"`+")

# the strength of a monitor signal (verdict/signals.py STRONG / WEAK, docs/monitor-methods.md M2.2) as a reader's
# phrase after the signal (signals.STRENGTH_NL holds the one-word labels of the CSV)
STRENGTH_PHRASE_NL = {STRONG: "sterk signaal", WEAK: "zwak signaal, toeval kan dit makkelijk geven"}
STRENGTH_LEGEND = ("Een sterk signaal ligt ook buiten de ruimere marge waar toeval minder dan 1 op de 100 keer komt; "
                   "een zwak signaal ligt alleen buiten de gewone marge en kan toeval zijn.")


def strength_nl(sterkte) -> str:
    """' (sterk signaal)' / ' (zwak signaal, …)' after a signal of strength code `sterkte`; '' without one."""
    words = STRENGTH_PHRASE_NL.get(str(sterkte)) if isinstance(sterkte, str) else None
    return f" ({words})" if words else ""


def escape_html_in_markdown(text: str) -> str:
    """`text` with every `<` outside a code span written as `&lt;` (CommonMark code spans: a
    backtick run closed by the next run of the same length; an unclosed run is literal text)."""
    out, pos = [], 0
    while True:
        m = _TICKS.search(text, pos)
        if m is None:
            out.append(text[pos:].replace("<", "&lt;"))
            return "".join(out)
        n = len(m.group())
        close = next((c for c in _TICKS.finditer(text, m.end()) if len(c.group()) == n), None)
        if close is None:   # a literal backtick run: part of the text
            out.append(text[pos:m.end()].replace("<", "&lt;"))
            pos = m.end()
            continue
        out.append(text[pos:m.start()].replace("<", "&lt;"))
        out.append(text[m.start():close.end()])   # the code span as written
        pos = close.end()


class Md:
    """Report text: shown as Markdown in JupyterLab and the HTML reports, as plain text in a
    terminal and in the stored text/plain output that nbval compares."""

    def __init__(self, text: str):
        self.text = text

    def _repr_markdown_(self) -> str:
        return escape_html_in_markdown(self.text)

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(self.text)

    def __str__(self) -> str:
        return self.text
