"""Report text that shows as Markdown in JupyterLab and the HTML reports and as plain text elsewhere."""
from __future__ import annotations


class Md:
    """Report text: shown as Markdown in JupyterLab and the HTML reports, as plain text in a
    terminal and in the stored text/plain output that nbval compares."""

    def __init__(self, text: str):
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(self.text)

    def __str__(self) -> str:
        return self.text
