"""From sentences and table rows to proposed target parts (`ivb draft`), by the words of
data/draft/lexicon.yaml.

Every proposal carries the verbatim quote, the indicator (or the figure to supply), the rule with
its years and number, and a `draft` block: confidence (high / medium / low) and the reasons — which
words or column decided it, what was inferred. A number or a year that is not in the text is
never filled in: a part without them is listed unscored with what to fill in. Sentences and rows
with numbers that are not targets (past figures, forecasts, comparisons, rejected targets) are
skipped with the reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..yamlio import read_yaml
from .documents import Document, Row, Sentence, figure_text

YEAR = r"(?<!\d)(?<!\d[.,])(199\d|20\d\d|2100)(?!\d|[.,]\d)"
NUMBER = r"(?<![\w.,])(\d{1,3}(?:[. ]\d{3})+|\d+(?:[.,]\d+)?)(?![\w]|[.,]\d)"


@dataclass
class Proposal:
    quote: str
    where: str
    heading: str = ""
    indicator: str | None = None
    needs_figure: str = ""
    rule: dict | None = None
    scored: bool = True
    unscored_reason: str = ""
    qualitative: bool = False
    confidence: str = "medium"
    reasons: list[str] = field(default_factory=list)
    start: int = -1
    source: str = "sentence"     # sentence | table


@dataclass
class Skipped:
    quote: str
    where: str
    reason: str
    start: int = -1


@dataclass
class Draft:
    document: Document
    parts: list[Proposal] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        parts = [p for p in self.parts if not p.qualitative]
        return {"found": len(parts), "measurable": sum(1 for p in parts if p.scored and p.indicator),
                "needing a figure": sum(1 for p in parts if p.needs_figure),
                "not scored": sum(1 for p in parts if not p.scored and not p.needs_figure),
                "qualitative": sum(1 for p in self.parts if p.qualitative), "skipped": len(self.skipped)}


class Lexicon:
    """The words of data/draft/lexicon.yaml, compiled once."""

    def __init__(self, path: Path):
        d = read_yaml(path) or {}
        self.raw = d
        self.words = {k: [str(w).lower() for w in v] for k, v in d.items() if isinstance(v, list)}
        self.fractions = {str(k).lower(): float(v) for k, v in (d.get("number_words") or {}).get("fractions", {}).items()}
        self.numbers = {str(k).lower(): int(v) for k, v in (d.get("number_words") or {}).get("numbers", {}).items()}
        self.per = {str(k).lower(): v for k, v in (d.get("per") or {}).items()}
        self.columns = {k: [str(w).lower() for w in v] for k, v in (d.get("columns") or {}).items()}
        self.indicators = sorted(((p.lower(), iid) for iid, ps in (d.get("indicators") or {}).items() for p in ps),
                                 key=lambda x: -len(x[0]))
        self.needs = sorted(((p.lower(), what) for what, ps in (d.get("needs_figure") or {}).items() for p in ps),
                            key=lambda x: -len(x[0]))

    def has(self, kind: str, text: str) -> str:
        """The first word of `kind` found in `text` as a whole word or phrase ('' if none)."""
        for w in self.words.get(kind, []):
            if re.search(rf"(?<![\w-]){_rx(w)}(?![\w])", text, re.I):
                return w
        return ""

    def bounds(self, text: str) -> tuple[str, str]:
        """(cap word, floor word) of a sentence: the longest phrases win ('niet boven de' over 'boven de'),
        and a phrase of one list right after 'niet' counts for the other ('niet minder dan' is a floor)."""
        found: list[tuple[int, int, str, str]] = []
        for kind in ("at_most", "at_least"):
            for w in self.words.get(kind, []):
                for m in re.finditer(rf"(?<![\w-]){_rx(w)}(?![\w])", text, re.I):
                    found.append((m.start(), m.end(), kind, w))
        found.sort(key=lambda x: -(x[1] - x[0]))
        kept: list[tuple[int, int, str, str]] = []
        for a, b, kind, w in found:
            if any(a < kb and ka < b for ka, kb, _, _ in kept):
                continue
            if not w.startswith("niet") and re.search(r"\bniet\s+$", text[max(0, a - 6):a], re.I):
                kind = "at_least" if kind == "at_most" else "at_most"
                w = "niet " + w
            kept.append((a, b, kind, w))
        kept.sort()
        cap = next((w for _, _, k, w in kept if k == "at_most"), "")
        floor = next((w for _, _, k, w in kept if k == "at_least"), "")
        return cap, floor

    def better_for(self, label: str) -> str:
        """'higher' or 'lower': which way a figure the analyst supplies is better, by its label."""
        low = label.lower()
        if self.has("lower_better_words", low) or re.search(r"onveilig", low):
            return "lower"
        return "higher" if self.has("higher_better_words", low) else "lower"

    def find_indicators(self, text: str) -> list[tuple[int, str, str]]:
        """(position, indicator id, phrase) of every indicator noun, longest phrase first, not overlapping."""
        taken: list[tuple[int, int]] = []
        out = []
        low = text.lower()
        for phrase, iid in self.indicators:
            # a long noun may start a Dutch compound ('cybercrimezaken', 'woninginbraakcijfers'); a short one must stand alone
            end = "" if len(phrase) >= 8 else r"(?![\w])"
            for m in re.finditer(rf"(?<![\w]){_rx(phrase)}{end}", low):
                if any(a < m.end() and m.start() < b for a, b in taken):
                    continue
                if any(o[1] == iid for o in out):
                    continue
                taken.append((m.start(), m.end()))
                out.append((m.start(), iid, text[m.start():m.end()]))
        return sorted(out)

    def find_needs(self, text: str) -> tuple[str, str]:
        low = text.lower()
        for phrase, what in self.needs:
            end = "" if len(phrase) >= 8 else r"(?![\w])"   # a long noun may start a compound ('onveiligheidsgevoelens')
            if re.search(rf"(?<![\w]){_rx(phrase)}{end}", low):
                return what, phrase
        return "", ""


def _rx(word: str) -> str:
    """A lexicon word as a pattern: literal, except `\\d` classes a column word may hold; spaces flexible."""
    if "\\d" in word:
        return word
    return r"\s+".join(re.escape(part) for part in word.split())


# --- numbers and years --------------------------------------------------------------------------

def parse_number(text: str) -> float | None:
    """'7,5' and '7.5' -> 7.5; '1.234' and '1 234' -> 1234; '25' -> 25."""
    t = text.strip()
    if re.fullmatch(r"\d{1,3}(?:[. ]\d{3})+", t):
        return float(re.sub(r"[. ]", "", t))
    if re.fullmatch(r"\d+[.,]\d+", t):
        return float(t.replace(",", "."))
    if re.fullmatch(r"\d+", t):
        return float(t)
    return None


def cell_number(cell: str) -> float | None:
    """The figure of a table cell: '7,5 (1 tot 10)', '25%', '1,50 *)', '€ 348' -> the leading number."""
    t = figure_text(cell).replace("%", "").strip()
    return parse_number(t) if t else None


def _years(text: str) -> list[tuple[int, int]]:
    """(position, year) of every calendar year in the text."""
    return [(m.start(), int(m.group(1))) for m in re.finditer(YEAR, text)]


def _before(text: str, pos: int, width: int = 40) -> str:
    return text[max(0, pos - width):pos].lower()


@dataclass
class Facts:
    """What one sentence says, as numbers and years."""
    change: float | None = None          # a relative change as a fraction (0.2 for 20%)
    change_words: str = ""
    level: float | None = None           # a level ('naar 300', 'maximaal 4', 'een 7,5 of hoger')
    level_words: str = ""
    percent_level: bool = False
    per: str = ""                        # 'per 1.000 inwoners'
    per_value: int | None = None
    per_unit: str = ""                   # 'inwoners'; another denominator ('woningen') is not measurable here
    baseline_year: int | None = None
    baseline_words: str = ""
    target_year: int | None = None
    target_words: str = ""
    missing_number: str = ""             # 'met %' with the number cut off
    other_years: list[int] = field(default_factory=list)


def facts(lx: Lexicon, text: str) -> Facts:
    f = Facts()
    low = text.lower()
    # rates: 'per 1.000 inwoners'
    m = re.search(r"per\s+(\d{1,3}(?:[. ]\d{3})*|\d+)\s+(\w+)", low)
    if m:
        f.per, f.per_value, f.per_unit = m.group(0), int(parse_number(m.group(1)) or 0), m.group(2)
    # years, with the words before them
    years = [(p, y) for p, y in _years(text) if not (m and m.start() <= p < m.end())]
    for p, y in years:
        before = _before(text, p)
        bw = next((w for w in lx.words.get("baseline", []) if re.search(rf"{_rx(w)}\s*(het\s+jaar\s+|de\s+|het\s+)?$", before)),
                  "") or next((w for w in lx.words.get("level_of", [])   # 'het niveau van de veiligheidsmonitor 2016'
                               if re.search(rf"{_rx(w)}\s*([^\s\d.,;:]+\s+){{0,2}}$", before)), "")
        if bw and f.baseline_year is None:
            f.baseline_year, f.baseline_words = y, bw
            continue
        tw = next((w for w in lx.words.get("target_year", []) if re.search(rf"(?<![\w]){_rx(w)}\s*$", before)), "")
        if tw and f.target_year is None:
            f.target_year, f.target_words = y, tw
            continue
        f.other_years.append(y)
    if f.target_year is None and f.other_years and f.baseline_year is not None:
        later = [y for y in f.other_years if y > f.baseline_year]
        if later:
            f.target_year, f.target_words = later[0], "(het andere jaar in de zin)"
    # a relative change: '20%', '20 %', 'tien procent', 'een kwart', 'halvering'
    masked = re.sub(YEAR, " ", text)
    if m:
        masked = masked.replace(text[m.start():m.end()], " " * (m.end() - m.start()))
    pm = re.search(r"(\d+(?:[.,]\d+)?)\s*(%|procent|procentpunt)", masked, re.I)
    word_pct = re.search(r"\b(" + "|".join(map(re.escape, lx.numbers)) + r")\s+procent\b", masked, re.I) if lx.numbers else None
    frac = next((w for w in sorted(lx.fractions, key=len, reverse=True) if re.search(rf"(?<![\w]){_rx(w)}(?![\w])", masked, re.I)), "")
    if pm:
        before = masked[max(0, pm.start() - 12):pm.start()].lower()
        after = masked[pm.end():pm.end() + 30].lower()
        value = parse_number(pm.group(1)) / 100
        if re.search(r"(naar|tot|op)\s+$", before) or (not lx.has("decrease", after) and not lx.has("increase", after)
                                                        and re.search(r"(maximaal|minimaal|hooguit|ten hoogste|ten minste|minstens)\s+$", before)):
            f.level, f.level_words, f.percent_level = value * 100, before.strip(), True
        else:
            f.change, f.change_words = value, pm.group(0)
    elif word_pct:
        f.change, f.change_words = lx.numbers[word_pct.group(1).lower()] / 100, word_pct.group(0)
    elif frac:
        f.change, f.change_words = lx.fractions[frac], frac
    elif re.search(r"\b(met|naar)\s*(%|procent)", masked, re.I) or re.search(r"\bmet\s*\.\.\.", masked):
        f.missing_number = re.search(r"\b(met|naar)\s*(%|procent|\.\.\.)", masked, re.I).group(0)
    # a level: the number after a level word ('naar 300', 'maximaal 4,5', 'een 7,5 of hoger')
    if f.level is None:
        for nm in re.finditer(NUMBER, masked):
            value = parse_number(nm.group(1))
            if value is None:
                continue
            before = masked[max(0, nm.start() - 25):nm.start()].lower()
            after = masked[nm.end():nm.end() + 15].lower()
            word = next((w for w in lx.words.get("at_most", []) + lx.words.get("at_least", []) + lx.words.get("level_marker", [])
                         if re.search(rf"(?<![\w]){_rx(w)}\s*(een\s+)?$", before)), "")
            tail = next((w for w in ("of hoger", "of meer", "of lager", "of minder") if after.strip().startswith(w)), "")
            if word or tail or re.search(r"\been\s+$", before):
                f.level, f.level_words = value, (word or tail or "een").strip()
                if tail:
                    f.level_words = tail
                break
    return f


# --- one sentence -------------------------------------------------------------------------------

def _direction(lx: Lexicon, text: str) -> str:
    dec, inc = lx.has("decrease", text), lx.has("increase", text)
    if dec and not inc:
        return "down"
    if inc and not dec:
        return "up"
    if dec and inc:   # 'niet meer dan' has 'meer': a cap word decides
        cap, floor = lx.bounds(text)
        return "down" if cap else "up" if floor else ""
    return ""


def _rule(lx: Lexicon, f: Facts, text: str, better: str) -> tuple[dict | None, list[str], str]:
    """The rule a sentence states: (rule, reasons, what is missing)."""
    low = text.lower()
    reasons = []
    direction = _direction(lx, low)
    cap, floor = lx.bounds(low)
    keep = lx.has("keep_level", low)
    per = {"per": f.per_value} if f.per and f.per_value else {}
    if f.per:
        reasons.append(f"'{f.per}': een cijfer per {f.per_value} als maat")
    if f.change is not None:
        if direction == "up" and not cap:
            reasons.append(f"'{f.change_words}' met een stijgend woord: een toename als ondergrens (bound: lower)")
            return {"kind": "relative_change", "change": round(f.change, 4), "bound": "lower", **per}, reasons, ""
        if direction == "up" and cap:
            reasons.append(f"'{f.change_words}' met '{cap}': hooguit zoveel hoger (een bovengrens)")
            return {"kind": "relative_change", "change": round(f.change, 4), **per}, reasons, ""
        if direction == "down" or f.change_words in lx.fractions:
            reasons.append(f"'{f.change_words}' met een dalend woord ('{lx.has('decrease', low) or f.change_words}'): een "
                           f"relatieve daling")
            return {"kind": "relative_change", "change": -round(f.change, 4), **per}, reasons, ""
        return None, reasons, f"'{f.change_words}' zonder woord dat zegt of het om een daling of stijging gaat"
    if f.level is not None:
        if f.percent_level:
            reasons.append(f"'{f.level_words} {f.level:g}%': een percentage als niveau")
        if cap and floor:   # 'minimaal … en naar maximaal 25%': the word right before the number decides
            near = lx.bounds(f.level_words)
            cap, floor = (near[0], "") if near[0] else ("", near[1]) if near[1] else (cap, floor)
        if f.level_words in ("of hoger", "of meer") or (floor and not cap) or (direction == "up" and not cap):
            reasons.append(f"'{f.level_words or floor}' {f.level:g}: een ondergrens")
            return {"kind": "at_least", "threshold": f.level, **per}, reasons, ""
        if cap or f.level_words in ("of lager", "of minder") or direction == "down" or f.level_words in ("naar", "tot"):
            why = cap or f.level_words or lx.has("decrease", low)
            reasons.append(f"'{why}' {f.level:g}: een bovengrens")
            return {"kind": "at_most", "threshold": f.level, **per}, reasons, ""
        if better == "lower":
            reasons.append(f"{f.level:g} zonder richtingwoord; voor deze indicator is lager beter: gelezen als bovengrens")
            return {"kind": "at_most", "threshold": f.level, **per}, reasons, "de richting is afgeleid, niet gelezen"
        return None, reasons, f"{f.level:g} zonder woord dat zegt of het een boven- of ondergrens is"
    if f.baseline_year is not None:
        if keep and better == "lower" and not floor:
            reasons.append(f"'{keep}' het niveau van {f.baseline_year}; voor deze indicator is lager beter: ten hoogste "
                           f"dat niveau")
            return {"kind": "at_or_below_baseline"}, reasons, ""
        if keep or (floor and "niveau" in low):
            reasons.append(f"'{keep or floor}' het niveau van {f.baseline_year}: ten minste dat niveau")
            return {"kind": "at_or_above_baseline"}, reasons, ""
        if re.search(r"(lager\s+(dan\s+)?of\s+(gelijk|op)|op\s+of\s+onder|niet\s+hoger\s+dan|hooguit|ten\s+hoogste|maximaal)",
                     low) and f.baseline_words in lx.words.get("level_of", []) + ["dan", "dan in"]:
            reasons.append(f"'lager of op het niveau van {f.baseline_year}': ten hoogste het niveau van het basisjaar")
            return {"kind": "at_or_below_baseline"}, reasons, ""
        if direction == "down":
            reasons.append(f"'{lx.has('decrease', low)}' {f.baseline_words} {f.baseline_year} zonder getal: lager dan in "
                           f"{f.baseline_year}")
            return {"kind": "below_baseline"}, reasons, ""
        if direction == "up":
            reasons.append(f"'{lx.has('increase', low)}' {f.baseline_words} {f.baseline_year} zonder getal: hoger dan in "
                           f"{f.baseline_year}")
            return {"kind": "above_baseline"}, reasons, ""
    if re.search(r"\bgeen\b.{0,40}\bmeer\b", low) or re.search(r"\bnul\b", low):
        # confidence is set low by the caller (`missing` is not empty)
        reasons.append("'geen … meer' gelezen als het niveau 0; een telling van meldingen komt vrijwel nooit op 0 — "
                       "kies een haalbare lezing (bijvoorbeeld: lager dan het jaar vóór de beleidsperiode)")
        return {"kind": "at_most", "threshold": 0.0, **per}, reasons, "het niveau 0 is zelden toetsbaar"
    if direction:
        return None, reasons, "alleen een richting, zonder basisjaar of getal"
    return None, reasons, "geen getal, basisjaar of richting"


def _per_reason(per: str) -> str:
    return (f"'{per}': ivb rekent alleen per inwoners (het inwonertal van het CBS); deze noemer levert de analist aan "
            f"of de regel toetst het aantal")


def _rest_clauses(quote: str, phrases: list[str]) -> str:
    """The clauses of a sentence (split at commas and 'evenals') that name none of the indicators and
    hold no number: the qualitative rest of a target sentence."""
    clauses = [c.strip() for c in re.split(r",\s+|\s+evenals\s+", quote) if c.strip()]
    rest = [c for c in clauses if not any(p.lower() in c.lower() for p in phrases) and not re.search(r"\d", c)
            and len(c.split()) >= 4]
    return ", ".join(rest).rstrip(".") + "." if rest else ""


def _clean_quote(text: str) -> str:
    return " ".join(text.strip().strip("“”\"'").split())


class Drafter:
    def __init__(self, lexicon: Lexicon, indicators: dict, period: tuple[int, int] | None = None):
        self.lx, self.indicators, self.period = lexicon, indicators, period

    # context: the target year from the sentences before ('De doelstelling voor 2023 … is als volgt:')
    def _context_year(self, doc: Document, i: int) -> tuple[int | None, str]:
        s = doc.sentences[i]
        for j in range(i - 1, max(-1, i - 8), -1):
            prev = doc.sentences[j]
            if prev.paragraph < s.paragraph - 3:
                break
            m = re.search(r"(doel\w*|streven|ambitie|streefwaarde)\b[^.]{0,40}?\b(voor|in|tot|uiterlijk|eind)\s+" + YEAR,
                          prev.text, re.I)
            if m:
                return int(m.group(3)), prev.text
            if prev.paragraph == s.paragraph:
                f = facts(self.lx, prev.text)
                if f.target_year:
                    return f.target_year, prev.text
        return None, ""

    def _context_baseline(self, doc: Document, i: int, target_year: int | None) -> tuple[int | None, str]:
        """A baseline year named only in the sentence before, in the same paragraph ('In 2022 telden we 480
        woninginbraken. Dat aantal willen we met 20% verminderen.'): the latest year there before the target year."""
        s = doc.sentences[i]
        if i == 0 or doc.sentences[i - 1].paragraph != s.paragraph:
            return None, ""
        prev = doc.sentences[i - 1].text
        years = [y for _, y in _years(prev) if target_year is None or y < target_year]
        return (max(years), prev) if years else (None, "")

    def _in_target_block(self, doc: Document, i: int) -> bool:
        """A sentence of a quoted target: its paragraph follows one that ends with ':' after target words."""
        s = doc.sentences[i]
        prev = [t for t in doc.sentences[max(0, i - 6):i] if t.paragraph < s.paragraph]
        if s.item:   # an item of a list: the introduction is the sentence before the list
            j = i - 1
            while j >= 0 and (doc.sentences[j].item or doc.sentences[j].paragraph == s.paragraph) and i - j < 60:
                j -= 1
            prev = [doc.sentences[j]] if j >= 0 else []
            if prev and prev[0].paragraph < s.paragraph:
                last = prev[0]
                return last.text.rstrip().endswith(":") and bool(self.lx.has("target", last.text.lower()))
        if not prev:
            return False
        last = prev[-1]
        return last.text.rstrip().endswith(":") and bool(self.lx.has("target", last.text.lower())) and \
            last.paragraph >= s.paragraph - 1

    def clauses(self, text: str) -> list[str]:
        """A sentence with a floor and a cap ('minimaal het niveau van 2016 … en naar maximaal 25%') holds two
        targets: split at the last 'en' before the second bound word, each clause drafted on its own."""
        low = text.lower()
        cap, floor = self.lx.bounds(low)
        if not (cap and floor):
            return [text]
        second = max(low.find(cap.removeprefix("niet ")), low.find(floor.removeprefix("niet ")))
        cut = max((m.start() for m in re.finditer(r",?\s+en\s+", low[:second])), default=-1)
        if cut <= 0:
            return [text]
        return [text[:cut].rstrip(" ,") + ".", text[cut:].lstrip(" ,").removeprefix("en ").strip()]

    def sentence(self, doc: Document, i: int, draft: Draft, clause: str | None = None, quoted: bool = False) -> None:
        s: Sentence = doc.sentences[i]
        text = clause if clause is not None else s.text
        low = text.lower()
        quote = _clean_quote(text)
        if len(quote) < 12:
            return
        block = quoted or self._in_target_block(doc, i) or (i > 0 and self._in_target_block(doc, i - 1)
                                                              and doc.sentences[i - 1].paragraph == s.paragraph)
        cue = self.lx.has("target", low)
        has_number = bool(re.search(r"\d", re.sub(YEAR, "", text))) or any(w in low for w in self.lx.fractions)
        has_year = bool(_years(text))
        if not (block or cue or has_number or has_year):
            return
        if quote.endswith(":"):
            return   # an introduction ('De doelstelling voor 2023 … is als volgt:'), never a target itself
        hits = self.lx.find_indicators(text)
        need, need_phrase = self.lx.find_needs(text)
        reject = self.lx.has("rejected", low)
        if reject and (hits or need):
            draft.skipped.append(Skipped(quote, s.where, f"het document wijst dit doel af ('{reject}')", s.start))
            return
        past = self.lx.has("past", low)
        forecast = self.lx.has("forecast", low)
        f = facts(self.lx, text)
        future = bool(f.target_year and doc_year(doc) and f.target_year >= doc_year(doc))
        achieved = self.lx.has("achieved", low)
        if achieved and not block and (has_number or has_year):
            draft.skipped.append(Skipped(quote, s.where, f"een terugblik ('{achieved}'): of een doel gehaald is, geen "
                                                         f"nieuw doel", s.start))
            return
        if forecast and not cue:
            draft.skipped.append(Skipped(quote, s.where, f"een verwachting, geen doel ('{forecast}')", s.start))
            return
        if past and not (cue or block or future) and (has_number or has_year):
            draft.skipped.append(Skipped(quote, s.where, f"een cijfer over het verleden ('{past}'), geen doel", s.start))
            return
        if not (cue or block or future or self.lx.has("at_most", low) or self.lx.has("at_least", low)):
            if ((hits or need) and has_year) or has_number:
                draft.skipped.append(Skipped(quote, s.where, "getallen zonder woorden die een doel aangeven"
                                             + ("" if hits or need else " en zonder bekende indicator"), s.start))
            return
        if not hits and not need and re.match(r"(dat|dit|het)\s+(aantal|cijfer)\b|(dat|dit)\s+willen\b", low) and i > 0 \
                and doc.sentences[i - 1].paragraph == s.paragraph:
            hits = self.lx.find_indicators(doc.sentences[i - 1].text)   # 'Dat aantal willen we …': the noun of the sentence before
            hits = [(pos, iid, f"{phrase}' (uit de zin ervoor: '{doc.sentences[i - 1].text[:60]}')") for pos, iid, phrase in hits]
        output = self.lx.has("output", low)
        if not hits and not need and output and (cue or has_number):
            draft.parts.append(Proposal(quote, s.where, s.heading, scored=False, confidence="medium", start=s.start,
                                        unscored_reason=f"'{output}': een outputdoel (meer is het doel: acties, controles, "
                                                        f"zaken): opgesomd, nooit als daling gescoord",
                                        reasons=[f"'{output}': wat de gemeente doet, niet een veiligheidscijfer"]))
            return
        if not hits and not need:
            if block:
                draft.parts.append(Proposal(quote, s.where, s.heading, qualitative=True, confidence="medium", start=s.start,
                                            reasons=["een zin uit het geciteerde doel zonder cijfermatige maat: kwalitatief"]))
            elif has_number or (cue and has_year):
                draft.skipped.append(Skipped(quote, s.where, f"{'een getal' if has_number else 'een doel met een jaar'}, maar "
                                                             f"geen bekende indicator (voeg het woord toe aan "
                                                             f"data/draft/lexicon.yaml als dit een doel is)", s.start))
            return
        comparison = self.lx.has("comparison", low)
        rank, trend = self.lx.has("rank", low), self.lx.has("trend", low)
        targets = [(iid, phrase) for _, iid, phrase in hits] or [(None, need_phrase)]
        for iid, phrase in targets:
            p = Proposal(quote, s.where, s.heading, indicator=iid, start=s.start,
                         reasons=[f"indicator uit '{phrase}'" if iid else f"'{phrase}': geen open cijfer"])
            if iid is None or (need and not hits):
                p.indicator, p.needs_figure, p.scored = None, need, False
                p.unscored_reason = f"{need}: geen open cijfer; de analist levert het aan en kiest de indicator"
            if quoted:
                p.reasons.append("de naam van een tabelrij is zelf het doel; de cijfers ernaast zijn realisaties")
            elif block:
                p.reasons.append("in het geciteerde doel (na een inleiding die op ':' eindigt)")
            better = self.indicators[iid].better if iid and iid in self.indicators else "lower"
            rule, why, missing = _rule(self.lx, f, text, better)
            p.reasons += why
            if rule is None and not has_number and not f.missing_number and (block or cue) and not p.needs_figure:
                # a goal that names an indicator but states no number, year or direction: qualitative
                draft.parts.append(Proposal(quote, s.where, s.heading, qualitative=True, confidence="medium",
                                            start=s.start, reasons=[f"noemt '{phrase}' maar geen getal, basisjaar of "
                                                                    f"richting: kwalitatief"]))
                break
            if rule is None and not has_number and not f.missing_number and p.needs_figure:
                p.qualitative, p.needs_figure, p.scored = True, "", True
                p.reasons.append("geen getal, basisjaar of richting: kwalitatief (meten zou een enquête vragen)")
                draft.parts.append(p)
                break
            for reason_kind, word, text_nl in (("rank", rank, "een rangorde of plek: niet gescoord"),
                                                ("output", output, "een outputdoel (meer is het doel: acties, controles, "
                                                                   "zaken): opgesomd, nooit als daling gescoord"),
                                                ("comparison", comparison, "een vergelijking met andere gebieden: niet "
                                                                           "gescoord als eigen doel")):
                if word and p.scored:
                    p.scored, p.unscored_reason = False, f"'{word}': {text_nl}"
            if trend and rule and rule["kind"] == "relative_change" and p.scored:
                p.scored, p.unscored_reason = False, f"'{trend}': een jaar-op-jaar-trend, niet gescoord als doel voor één jaar"
            if self.lx.has("break_note", low):
                p.reasons.append(f"let op: de zin noemt een reeksbreuk ('{self.lx.has('break_note', low)}')")
            if f.per and f.per_unit not in self.lx.per and p.scored:
                p.scored, p.unscored_reason = False, _per_reason(f.per)
            if f.missing_number:
                p.scored, p.unscored_reason = False, (f"het getal ontbreekt ('{f.missing_number}'): vul het in; ivb vult "
                                                      f"geen getal in dat niet in de tekst staat")
                p.confidence = "low"
            if rule is None:
                if p.scored:
                    p.scored, p.unscored_reason = False, f"geen toetsbare regel: {missing}"
                p.confidence = "low"
                p.rule = {"kind": "?", "reden": missing} if not p.needs_figure else None
                draft.parts.append(p)
                continue
            # years
            ty, ty_how = f.target_year, f"'{f.target_words} {f.target_year}'" if f.target_year else ""
            if ty is None:
                ty, ctx = self._context_year(doc, i)
                if ty:
                    ty_how = f"doeljaar {ty} afgeleid uit de zin ervoor: '{ctx[:90]}'"
                    p.reasons.append(ty_how)
            if ty is None and self.lx.has("period", low) and self.period:
                ty = self.period[1]
                p.reasons.append(f"doeljaar {ty} afgeleid uit de beleidsperiode ('{self.lx.has('period', low)}')")
            if ty is None:
                p.scored = False
                p.unscored_reason = p.unscored_reason or "geen doeljaar in de tekst: vul target_year in"
                p.confidence = "low"
            else:
                rule["target_year"] = ty
            needs_base = rule["kind"] in ("relative_change", "at_or_below_baseline", "below_baseline", "at_or_above_baseline",
                                          "above_baseline")
            base_year = f.baseline_year
            if needs_base and base_year is None:
                base_year, ctx = self._context_baseline(doc, i, ty)
                if base_year:
                    p.reasons.append(f"basisjaar {base_year} afgeleid uit de zin ervoor: '{ctx[:90]}'")
            period_base = re.search(r"(?:periode|gemiddelde( van)?)\s+(19\d\d|20\d\d)\s*[-–/]\s*(19\d\d|20\d\d)", low)
            if needs_base and period_base and not f.baseline_year:
                base_year = None
                p.reasons.append(f"basisperiode {period_base.group(2)}–{period_base.group(3)}: ivb toetst tegen één basisjaar")
                p.scored, p.confidence = False, "low"
                p.unscored_reason = p.unscored_reason or (f"de basis is een periode ({period_base.group(2)}–"
                                                          f"{period_base.group(3)}), geen jaar: kies bij de review een "
                                                          f"basisjaar of laat dit deel ongescoord")
            if needs_base:
                if base_year:
                    rule["baseline_year"] = base_year
                    if f.baseline_year:
                        p.reasons.append(f"basisjaar uit '{f.baseline_words} {f.baseline_year}'")
                else:
                    p.scored = False
                    p.unscored_reason = p.unscored_reason or "geen basisjaar in de tekst: vul baseline_year in"
                    p.confidence = "low"
            if ty and base_year and needs_base and base_year >= ty:
                p.scored, p.unscored_reason = False, f"basisjaar {base_year} ligt niet vóór doeljaar {ty}: controleer"
                p.confidence = "low"
            if p.scored and p.confidence != "low":
                explicit = f.target_year is not None and (f.baseline_year is not None or not needs_base)
                p.confidence = "high" if explicit and not missing else "medium"
            if missing and p.confidence in ("high", "medium"):
                p.confidence = "low" if "zelden toetsbaar" in missing or "afgeleid" in missing else "medium"
            if missing and rule:
                p.reasons.append(missing)
            p.rule = rule
            draft.parts.append(p)
        if block and hits:
            rest = _rest_clauses(quote, [phrase for _, _, phrase in hits])
            if rest:
                draft.parts.append(Proposal(rest, s.where, s.heading, qualitative=True, confidence="medium", start=s.start,
                                            reasons=["de rest van de zin, zonder cijfermatige maat: kwalitatief"]))

    # --- budget tables ----------------------------------------------------------------------
    def _sentence_label(self, r: Row) -> bool:
        """A row label that is itself a target sentence: long, with a target word, a change or bound word, or a year."""
        label = r.label.lower()
        if len(label.split()) < 6 or any(self.column_kind(h)[0] in ("target", "ambiguous") for h, _ in r.cells):
            return False
        return bool(_years(r.label) and (self.lx.has("decrease", label) or self.lx.has("increase", label)
                                         or self.lx.has("keep_level", label) or any(self.lx.bounds(label))
                                         or self.lx.has("target", label) or self.lx.has("output", label)))

    def column_kind(self, heading: str) -> tuple[str, int | None]:
        h = heading.lower()
        year = next((y for _, y in _years(heading)), None)
        m = re.fullmatch(r"\s*([brp])\s*(\d{4})\s*", h)
        if m:
            return {"b": "target", "r": "actual", "p": "forecast"}[m.group(1)], int(m.group(2))
        found = [kind for kind in ("forecast", "baseline", "target", "actual", "source")
                 if any(re.search(rf"(?<![\w]){_rx(w)}(?![\w])", h) for w in self.lx.columns.get(kind, []))]
        if "forecast" in found and "target" in found:
            return "ambiguous", year   # 'Prognose/streefwaarden': a forecast is never proposed as a target
        if found:
            return found[0], year
        if year and re.fullmatch(r"\s*\d{4}\s*", h):
            return "year", year
        return "", year

    def row(self, row: Row, draft: Draft, doc: Document) -> None:
        label = " ".join(row.label.split())
        hits = self.lx.find_indicators(label)
        need, need_phrase = self.lx.find_needs(label)
        kinds = [(self.column_kind(h), h, c) for h, c in row.cells]
        # a column 'Jaar' beside the target column holds its year ('Streefwaarde 1,50 | Jaar 2030')
        year_cells = [int(c.strip()) for _, h, c in kinds if re.fullmatch(r"(19|20)\d\d", (c or "").strip())
                      and any(re.fullmatch(_rx(w), h.strip().lower()) for w in self.lx.columns.get("year", []))]
        targets = [(y if y is not None or len(year_cells) != 1 else year_cells[0], h, c)
                   for (k, y), h, c in kinds if k == "target"]
        ambiguous = [(y, h, c) for (k, y), h, c in kinds if k == "ambiguous" and cell_number(c) is not None]
        if not targets and ambiguous:
            hits = self.lx.find_indicators(label)
            quote = f"{label} | " + " | ".join(f"{h}: {c}" for _, h, c in ambiguous)
            draft.parts.append(Proposal(quote, row.where, row.caption, indicator=hits[0][1] if hits and not need else None,
                                        needs_figure=need if need and not hits else "", scored=False,
                                        source="table", confidence="low",
                                        unscored_reason=f"de kolommen {', '.join(repr(h) for _, h, _ in ambiguous)} heten zowel "
                                                        f"prognose als streefwaarde: een verwachting wordt nooit als doel "
                                                        f"voorgesteld; kies bij de review",
                                        reasons=[f"rij '{label}'", "kolomkop met prognose én streefwaarde"]))
            return
        if not targets:
            numbers = [c for _, _, c in kinds if cell_number(c) is not None]
            if numbers:
                draft.skipped.append(Skipped(f"{label} | " + " | ".join(f"{h}: {c}" for h, c in row.cells), row.where,
                                             "een rij zonder kolom met streefwaarden (realisatie, prognose of raming)"))
            return
        base = [(y, h, c) for (k, y), h, c in kinds if k == "baseline" and cell_number(c) is not None]
        low = label.lower()
        percent = ("%" in label or "percentage" in low or "aandeel" in low
                   or any("%" in (c or "") for _, _, c in targets))
        # a share of residents or a survey score is no police count, whatever noun it names
        iid = hits[0][1] if hits and not percent and not need else None
        better = (self.indicators[iid].better if iid and iid in self.indicators else "lower") if iid else \
            self.lx.better_for(label)
        m = re.search(r"per\s+(\d{1,3}(?:[. ]\d{3})*|\d+)\s+(\w+)", low)
        per = int(parse_number(m.group(1))) if m else None
        if m and m.group(2) not in self.lx.per and iid:
            p_unit = _per_reason(m.group(0))
        else:
            p_unit = ""
        thresholds, quotes, missing, yearless = {}, [], [], []
        for y, h, c in targets:
            v = cell_number(c)
            if y is None:
                missing.append(f"kolom '{h}' noemt geen jaar")
                if v is not None:
                    yearless.append((v, h, c))
                continue
            if v is None:
                missing.append(f"{h}: '{c or 'leeg'}' is geen getal")
                continue
            thresholds[y] = v
            quotes.append(f"{h}: {c}")
        quote = f"{label} | " + " | ".join(quotes or [f"{h}: {c}" for _, h, c in targets])
        p = Proposal(quote, row.where, row.caption, indicator=iid, source="table",
                     reasons=[f"rij '{label}'" + (f": indicator uit '{hits[0][2]}'" if hits else ""),
                              "kolommen met streefwaarden: " + ", ".join(h for _, h, _ in targets)])
        if hits and not iid:
            p.reasons.append(f"'{hits[0][2]}' in de rij, maar het is een {'percentage' if percent else 'enquêtecijfer'}: "
                             f"geen telling van de politie")
        if not iid:
            p.scored = False
            if need:
                p.needs_figure = need
                p.unscored_reason = f"{need}: geen open cijfer; de analist levert het aan"
            elif percent:
                p.needs_figure = f"percentage '{label}'"
                p.unscored_reason = "een percentage uit een enquête of registratie: geen open cijfer; de analist levert het aan"
            else:
                p.unscored_reason = "geen bekende indicator voor deze rij (voeg het woord toe aan data/draft/lexicon.yaml)"
            p.confidence = "low"
        if self.lx.has("output", low):
            p.scored, p.unscored_reason = False, f"'{self.lx.has('output', low)}': een outputdoel, opgesomd en niet gescoord"
        if p_unit and p.scored:
            p.scored, p.confidence, p.unscored_reason = False, "low", p_unit
        kind = "at_most" if better == "lower" else "at_least"
        if not thresholds and len(yearless) == 1:
            # one target value without a year anywhere in the table: the number is proposed, the year left open
            (v, h, c), = yearless
            p.quote = f"{label} | {h}: {c}"
            p.rule = {"kind": kind, "threshold": v, **({"per": per} if per else {})}
            p.reasons.append(f"'{h}' {c}: {'lager' if better == 'lower' else 'hoger'} is beter, dus een "
                             f"{'bovengrens' if kind == 'at_most' else 'ondergrens'}")
            p.scored, p.confidence = False, "low"
            p.unscored_reason = p.unscored_reason or f"de tabel noemt geen jaar bij '{h}': vul target_year in"
            draft.parts.append(p)
            return
        if not thresholds:
            p.scored, p.confidence = False, "low"
            p.unscored_reason = p.unscored_reason or "geen streefwaarde als getal: " + "; ".join(missing)
            draft.parts.append(p)
            return
        p.reasons.append(f"voor deze indicator is {'lager' if better == 'lower' else 'hoger'} beter: streefwaarde als "
                         f"{'bovengrens' if kind == 'at_most' else 'ondergrens'}")
        rule = {"kind": kind}
        if len(thresholds) == 1:
            (y, v), = thresholds.items()
            rule.update(threshold=v, target_year=y)
        else:
            rule.update(thresholds={int(y): v for y, v in sorted(thresholds.items())}, target_year=max(thresholds))
            p.reasons.append("een streefwaarde per jaar")
        if per:
            rule["per"] = per
            p.reasons.append(f"'per {per}' in de rij: een cijfer per {per}")
        elif iid and any(v != int(v) for v in thresholds.values()):
            p.scored, p.confidence = False, "low"
            p.unscored_reason = (f"streefwaarden met decimalen ({', '.join(nl(v) for v in thresholds.values())}) zonder eenheid in "
                                 f"de rij: waarschijnlijk per 1.000 inwoners — zet per: 1000 of controleer de eenheid")
        if base:
            p.reasons.append(f"nulmeting {base[0][2]} ({base[0][1]}) staat erbij; de toets gebruikt de streefwaarde")
        if missing:
            p.reasons.append("niet gebruikt: " + "; ".join(missing))
        p.rule = rule
        p.confidence = "high" if iid and not missing and p.scored else ("medium" if iid else "low")
        draft.parts.append(p)

    def draft(self, doc: Document) -> Draft:
        d = Draft(doc)
        for i in range(len(doc.sentences)):
            parts = self.clauses(doc.sentences[i].text)
            for clause in parts if len(parts) > 1 else [None]:
                self.sentence(doc, i, d, clause)
        for r in doc.rows:
            if self._sentence_label(r):
                # a realisation table whose rows are the target sentences ('In 2022 vermindert het aantal
                # verkeersslachtoffers met 2% t.o.v. …'): the label is drafted as a sentence, the figures are realisations
                one = Document(doc.path, doc.title, "", [Sentence(" ".join(r.label.split()), r.where, 0, r.caption, r.start)])
                before = len(d.parts), len(d.skipped)
                self.sentence(one, 0, d, quoted=True)
                if (len(d.parts), len(d.skipped)) != before:
                    continue
            self.row(r, d, doc)
        self._footnotes(doc, d)
        return d

    def _footnotes(self, doc: Document, d: Draft) -> None:
        """A footnote ('¹ Door een registratiewijziging …') that names a registration break reaches the
        parts whose quote carries its mark: one more reason, and no longer high confidence."""
        notes = {}
        for s in doc.sentences:
            m = re.match(r"^\s*([¹²³⁴⁵⁶⁷⁸⁹]|\(\d\)|\*{1,3}\)?)\s*(.+)", s.text)
            if m and self.lx.has("break_note", m.group(2).lower()):
                notes[m.group(1)] = m.group(2)
        for p in d.parts:
            for mark, text in notes.items():
                if re.search(rf"(?<!\*){re.escape(mark)}(?!\*)", p.quote) and not p.quote.lstrip().startswith(mark):
                    p.reasons.append(f"de voetnoot {mark} noemt een reeksbreuk: '{text[:100]}' — kies jaren aan één kant ervan")
                    if p.confidence == "high":
                        p.confidence = "medium"


def nl(v: float) -> str:
    return f"{v:g}".replace(".", ",")


def doc_year(doc: Document) -> int | None:
    """The first year of the period in the document's title ('2024-2027' -> 2024), if any."""
    m = re.search(r"(20\d\d)\s*[-–]\s*(20\d\d)", doc.title)
    return int(m.group(1)) if m else None
