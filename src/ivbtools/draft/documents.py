"""Reading a policy document or budget page into sentences and table rows (`ivb draft`).

Plain text (.txt), HTML (.html/.htm: prose and `<table>`s, with the standard library's parser)
and PDF (.pdf: text and tables with pdfplumber). Everything read is untrusted: files are bounded
in size, pages and time, and nothing in them is executed or followed (no links, no scripts, no
external entities). A PDF without any text (a scanned image) is one line.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from ..errors import IvbError

MAX_BYTES = 50_000_000    # a policy document or budget of a few hundred pages
MAX_PAGES = 1_000
MAX_SECONDS = 120.0       # reading one PDF
MAX_CELLS = 200_000


@dataclass
class Sentence:
    text: str
    where: str             # 'regel 675', 'pagina 3', 'alinea 12'
    paragraph: int         # sentences of one paragraph share it
    heading: str = ""      # the nearest heading above
    start: int = -1        # offset of the sentence in Document.text (for the review page)
    item: bool = False     # the paragraph is an item of a numbered or bulleted list


@dataclass
class Row:
    label: str                       # the row's first cell: what is measured
    cells: list[tuple[str, str]]     # (column heading, cell text), the label's column left out
    where: str                       # 'tabel 2, rij 3 (pagina 14)'
    caption: str = ""                # the table's caption or the heading above it
    start: int = -1


@dataclass
class Document:
    path: Path
    title: str
    text: str                                  # the readable text (for the review page)
    sentences: list[Sentence] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


# --- sentences ---------------------------------------------------------------------------------

# Abbreviations that end in a full stop without ending a sentence.
ABBREVIATIONS = ("t.o.v.", "o.a.", "bijv.", "bv.", "i.p.v.", "m.b.t.", "m.n.", "nr.", "ca.", "incl.", "excl.", "e.d.",
                 "t/m.", "etc.", "zgn.", "d.w.z.", "a.s.", "jl.", "art.", "blz.", "p.", "vs.", "mln.", "mld.", "resp.")
_END = re.compile(r"(?<=[.!?…])[”\"’']?\s+(?=[“\"‘'(]?[A-ZÀ-Ý0-9])")
_ITEM = re.compile(r"^\s*([-•*–]|\d{1,2}[.)]|[a-z][.)])\s+")   # '1. ', '2) ', '- ', 'a) '
_HEADING = re.compile(r"^\s*(\d+(\.\d+)*\.?\s+)?[A-ZÀ-Ý][^.!?]{2,80}$")


def split_sentences(paragraph: str) -> list[str]:
    """Dutch sentences of one paragraph: split after . ! ? (and a closing quote) before a capital or a
    digit, never after a known abbreviation or inside a number like 7.5 or 1.234."""
    text = " ".join(paragraph.split())
    if not text:
        return []
    protected = text
    for i, abbr in enumerate(ABBREVIATIONS):
        protected = re.sub(re.escape(abbr), lambda m, i=i: f"\x00{i}\x00", protected, flags=re.I)
    parts = _END.split(protected)
    out = []
    for p in parts:
        for i, abbr in enumerate(ABBREVIATIONS):
            p = p.replace(f"\x00{i}\x00", abbr)
        p = p.strip()
        if p:
            out.append(p)
    # restore the abbreviations' original case (the replacement used the list's spelling)
    return _restore_case(text, out)


def _restore_case(text: str, parts: list[str]) -> list[str]:
    out, pos = [], 0
    for p in parts:
        i = text.lower().find(p.lower(), pos)
        if i < 0:
            out.append(p)
            continue
        out.append(text[i:i + len(p)])
        pos = i + len(p)
    return out


def _paragraphs(text: str) -> list[tuple[str, int]]:
    """(paragraph text, first line number) of plain text: blank lines separate paragraphs; a short
    line without an ending stop stands alone (a heading); a bullet ('- ', '• ') starts its own."""
    out, buf, first = [], [], 0
    lines = text.splitlines()

    def flush():
        nonlocal buf
        if buf:
            out.append((" ".join(s.strip() for s in buf), first))
            buf = []

    for n, line in enumerate(lines, start=1):
        s = line.strip()
        if not s:
            flush()
            continue
        if re.match(r"^([-•*–]|\d+[.)])\s+", s):
            flush()
        if not buf:
            first = n
        buf.append(s)
        before_blank = n == 1 or not lines[n - 2].strip()
        after_blank = n == len(lines) or not lines[n].strip()
        if _HEADING.match(s) and len(s) < 60 and len(buf) == 1 and (before_blank or after_blank):
            flush()
    flush()
    return _join_pages(out)


def _join_pages(paragraphs: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Text from a PDF carries running headers, footers and page numbers, often in the middle of a
    sentence: lines that are only a number, or that repeat three times or more, are left out, and a
    paragraph that stops without an ending mark joins the next one when that starts in lower case."""
    counts: dict[str, int] = {}
    for p, _ in paragraphs:
        counts[p] = counts.get(p, 0) + 1
    def running(p: str) -> bool:   # a page number, or a short line without an ending mark on many pages
        return bool(re.fullmatch(r"\d{1,4}", p.strip())) or (counts[p] >= 3 and len(p) < 80 and not re.search(r"[.!?:]\s*$", p))

    kept = [(p, n) for p, n in paragraphs if not running(p)]
    out: list[tuple[str, int]] = []
    for p, n in kept:
        if out and not re.search(r"[.!?:;”\"’]\s*$", out[-1][0]) and re.match(r"[a-zà-ÿ]", p):
            out[-1] = (out[-1][0] + " " + p, out[-1][1])
        else:
            out.append((p, n))
    return out


def _from_paragraphs(doc: Document, paragraphs: list[tuple[str, str]]) -> None:
    """Sentences with their paragraph and the heading above them; the document's text for the page."""
    heading, chunks, pos = "", [], 0
    for k, (para, where) in enumerate(paragraphs):
        chunks.append(para)
        if _HEADING.match(para) and len(para) < 80:
            heading = para.strip()
        marker = _ITEM.match(para)
        for s in split_sentences(para[marker.end():] if marker else para):
            i = "\n\n".join(chunks).find(s, pos)
            doc.sentences.append(Sentence(s, where, k, heading, i, item=bool(marker)))
            if i >= 0:
                pos = i + len(s)
    doc.text = "\n\n".join(chunks)


# --- plain text ---------------------------------------------------------------------------------

def read_text(path: Path, raw: bytes) -> Document:
    text = _decode(path, raw)
    doc = Document(path, _title(text, path), "")
    _from_paragraphs(doc, [(p, f"regel {n}") for p, n in _paragraphs(text)])
    return doc


def _decode(path: Path, raw: bytes) -> str:
    if b"\x00" in raw[:4096]:
        raise IvbError(f"{path}: not a text file — give a .txt, .html or .pdf")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _title(text: str, path: Path) -> str:
    for line in text.splitlines():
        s = " ".join(line.split())
        if len(s) > 5:
            return s[:120]
    return path.stem


# --- HTML ---------------------------------------------------------------------------------------

class _Html(HTMLParser):
    """Paragraph text and tables of an HTML page; script, style and head left out."""

    BLOCK = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "section", "article", "blockquote", "dd", "dt",
             "caption", "header", "footer", "ul", "ol"}
    SKIP = {"script", "style", "head", "noscript", "template", "svg", "iframe", "object"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.tables: list[dict] = []
        self.title = ""
        self._buf: list[str] = []
        self._skip = 0
        self._in_title = False
        self._table_stack: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[tuple[str, bool]] | None = None
        self._heading = ""
        self.cells = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
            return
        if tag == "title":
            self._in_title = True
        if self._table_stack:
            if tag == "tr":
                self._row = []
            elif tag in ("td", "th"):
                self._cell = []
                self._cell_is_head = tag == "th"
                spans = dict(attrs)
                self._span, self._rowspan = (max(1, min(50, int(v))) if str(v).isdigit() else 1
                                             for v in (spans.get("colspan") or "1", spans.get("rowspan") or "1"))
            elif tag == "caption":
                self._cell = []
                self._caption = True
            return
        if tag == "table":
            self._flush()
            self._table_stack.append({"rows": [], "caption": self._heading})
            return
        if tag in self.BLOCK:
            self._flush()

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if tag == "title":
            self._in_title = False
        if self._table_stack:
            t = self._table_stack[-1]
            if tag in ("td", "th") and self._cell is not None and self._row is not None:
                text = " ".join("".join(self._cell).split())
                # a cell spanning columns heads each of them ('Prognose/streefwaarden' over 2019–2023);
                # one spanning rows ('Naam indicator' over two heading rows) fills its column below too
                self._row.append((text, self._cell_is_head, getattr(self, "_span", 1), getattr(self, "_rowspan", 1)))
                self._cell = None
                self.cells += 1
                if self.cells > MAX_CELLS:
                    raise IvbError("more table cells than a policy page can have")
            elif tag == "caption" and self._cell is not None:
                t["caption"] = " ".join("".join(self._cell).split()) or t["caption"]
                self._cell = None
            elif tag == "tr" and self._row is not None:
                row = _place(self._row, t.setdefault("pending", {}))
                if any(c for c, _ in row):
                    t["rows"].append(row)
                self._row = None
            elif tag == "table":
                self.tables.append(self._table_stack.pop())
            return
        if tag in self.BLOCK:
            if tag.startswith("h") and len(tag) == 2:
                self._heading = " ".join("".join(self._buf).split())
            self._flush()

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_title:
            self.title += data
            return
        if self._table_stack:
            if self._cell is not None:
                self._cell.append(data)
            return
        self._buf.append(data)

    def _flush(self):
        text = " ".join("".join(self._buf).split())
        if text:
            self.paragraphs.append(text)
        self._buf = []


def _place(cells: list[tuple[str, bool, int, int]], pending: dict[int, list]) -> list[tuple[str, bool]]:
    """One table row on the grid: cells spanning columns repeated, cells of rows above that span
    down (`pending`: column -> [text, is_head, rows left]) put in their column."""
    out: list[tuple[str, bool]] = []

    def fill():
        while len(out) in pending:
            text, head, left = pending[len(out)]
            if left <= 1:
                del pending[len(out)]
            else:
                pending[len(out)] = [text, head, left - 1]
            out.append((text, head))

    for text, head, colspan, rowspan in cells:
        fill()
        for _ in range(colspan):
            if rowspan > 1 and len(out) < 200:
                pending[len(out)] = [text, head, min(rowspan, 500) - 1]
            out.append((text, head))
    fill()
    return out


def read_html(path: Path, raw: bytes) -> Document:
    text = _decode(path, raw)
    parser = _Html()
    try:
        parser.feed(text)
        parser.close()
    except IvbError as exc:
        raise IvbError(f"{path}: {exc}") from None
    parser._flush()
    doc = Document(path, " ".join(parser.title.split())[:120] or _title("\n".join(parser.paragraphs), path), "")
    _from_paragraphs(doc, [(p, f"alinea {k + 1}") for k, p in enumerate(parser.paragraphs)])
    for n, t in enumerate(parser.tables, start=1):
        _rows_of(doc, t["rows"], f"tabel {n}", t.get("caption", ""))
    return doc


def figure_text(cell: str) -> str:
    """A table cell without what surrounds its figure: notes in brackets ('(1 tot 10)'), footnote marks
    ('*)'), a currency sign or a unit ('€ 348', '166 kg')."""
    return re.sub(r"\(.*?\)|\*+\)?|€|\s+kg\b", " ", cell or "").strip()


def _is_figure(cell: str) -> bool:
    """A cell holding a figure ('7,5', '25%', '7,5 (1 tot 10)', '1,50 *)', '€ 348'), not a year."""
    t = figure_text(cell)
    return bool(re.fullmatch(r"[-–]?\d+([.,]\d+)?\s*%?", t)) and not re.fullmatch(r"(19|20)\d\d", t)


def _rows_of(doc: Document, rows: list[list[tuple[str, bool]]], where: str, caption: str) -> None:
    """Table rows as (label, [(heading, cell)]): the leading rows of headings (th cells, or rows of
    words and years without figures) give the column headings, joined per column ('Realisatie' over
    '2021' → 'Realisatie 2021'); the first column that is not a number is the label."""
    if not rows:
        return
    head_n = 0
    for r in rows:
        cells = [c for c, _ in r]
        headish = all(h for _, h in r[1:]) or not any(_is_figure(c) for c in cells[1:])
        if len(r) > 1 and headish and head_n < 3:
            head_n += 1
        else:
            break
    head_n = max(1, head_n)
    width = max(len(r) for r in rows[:head_n])
    headings = [" ".join(dict.fromkeys(r[i][0] for r in rows[:head_n] if i < len(r) and r[i][0])).strip()
                for i in range(width)]
    # a leading column of row numbers ('Nr.') is not the label
    body = [r for r in rows[head_n:] if len(r) > 1]
    numbered = bool(body) and all(re.fullmatch(r"\d{0,3}[.)]?", r[0][0].strip()) and re.search(r"[A-Za-zÀ-ÿ]", r[1][0])
                                  for r in body)   # a column of row numbers without a heading
    label_col = 1 if len(headings) > 1 and (re.fullmatch(r"(nr\.?|#|no\.?)", headings[0].strip().lower()) or numbered) else 0
    for k, r in enumerate(rows[head_n:], start=head_n + 1):
        if label_col and len(r) > 1:
            r = r[1:]
        head = headings[label_col:]
        cells = [c for c, _ in r]
        if not cells or not cells[0]:
            continue
        pairs = [(head[i] if i < len(head) else f"kolom {i + 1}", cells[i]) for i in range(1, len(cells))]
        doc.rows.append(Row(cells[0], pairs, f"{where}, rij {k}", caption))
        doc.text += f"\n\n[{where}, rij {k}] {cells[0]} | " + " | ".join(f"{h}: {c}" for h, c in pairs)


# --- PDF ----------------------------------------------------------------------------------------

def read_pdf(path: Path) -> Document:
    try:
        import pdfplumber
    except ImportError:   # pragma: no cover — a dependency of ivb
        raise IvbError("reading a PDF needs pdfplumber — run `make setup`") from None
    t0 = time.monotonic()
    paragraphs: list[tuple[str, str]] = []
    tables: list[tuple[list, str, str]] = []
    chars = 0
    try:
        with pdfplumber.open(path) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise IvbError(f"{path}: {len(pdf.pages)} pages — more than the {MAX_PAGES} a policy document may have")
            for n, page in enumerate(pdf.pages, start=1):
                if time.monotonic() - t0 > MAX_SECONDS:
                    raise IvbError(f"{path}: not read within {MAX_SECONDS:.0f} s (page {n}) — a damaged or very large PDF; "
                                   f"give its text as .txt")
                found = page.find_tables()
                boxes = [t.bbox for t in found]
                for t in found:
                    rows = t.extract() or []
                    tables.append(([[(" ".join(str(c or "").split()), i == 0) for c in r] for i, r in enumerate(rows)],
                                   f"tabel {len(tables) + 1} (pagina {n})", ""))

                def outside(obj, boxes=boxes):
                    x, top = obj.get("x0", 0), obj.get("top", 0)
                    return not any(b[0] - 1 <= x <= b[2] + 1 and b[1] - 1 <= top <= b[3] + 1 for b in boxes)

                text = page.filter(outside).extract_text() or ""
                chars += len(page.chars)
                for para, line in _paragraphs(text):
                    paragraphs.append((para, f"pagina {n}"))
    except IvbError:
        raise
    except Exception as exc:   # pdfminer raises many kinds on a damaged file
        raise IvbError(f"{path}: not a readable PDF ({type(exc).__name__}) — save it again, or give its text as .txt") from None
    if chars == 0:
        raise IvbError(f"{path}: the PDF holds no text (scanned pages?) — run text recognition (OCR) on it first, or "
                       f"give the text as .txt")
    doc = Document(path, _title("\n".join(p for p, _ in paragraphs), path), "")
    _from_paragraphs(doc, paragraphs)
    for rows, where, caption in tables:
        _rows_of(doc, rows, where, caption)
    return doc


def read_document(path: Path) -> Document:
    """Any supported file, by its extension; one line for anything else."""
    path = Path(path)
    if not path.is_file():
        raise IvbError(f"{path}: file not found")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise IvbError(f"{path}: {size / 1e6:.0f} MB — more than the {MAX_BYTES / 1e6:.0f} MB a policy document may have")
    ext = path.suffix.lower()
    if ext == ".pdf":
        return read_pdf(path)
    raw = path.read_bytes()
    if ext in (".html", ".htm"):
        return read_html(path, raw)
    if ext in (".txt", ".text", ".md"):
        return read_text(path, raw)
    raise IvbError(f"{path}: {ext or 'no extension'} is not a document ivb draft reads — give a .pdf, .html/.htm or .txt")
