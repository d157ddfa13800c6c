"""Text with LaTeX math as safe HTML: prompts, option texts and feedback on pages people read.

:func:`html` escapes the text and turns ``$...$``, ``$$...$$``, ``\\(...\\)`` and ``\\[...\\]`` into
MathML (with ``latex2mathml``), which every current browser draws without scripts or fonts from
elsewhere. The text may come from a student (feedback quotes answers), and latex2mathml copies
``\\text{...}`` into its output unescaped and passes ``\\href`` and ``\\style`` on as attributes; so
its output is parsed and written out again here, keeping only MathML elements and presentation
attributes. A formula that does not convert, or holds anything else, is shown as it was written,
escaped, in ``<code>``: a page never fails, and never carries markup a student wrote.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.etree import ElementTree

from latex2mathml.converter import convert
from markupsafe import Markup, escape

from .normalize import fold_letters

MAX_FORMULA = 2_000  # characters of one formula; latex2mathml takes ~25 ms per 1,000
MAX_CONVERTED = 20_000  # characters of formulas converted per text; the rest is shown as written
MATHML = "http://www.w3.org/1998/Math/MathML"
ELEMENTS = frozenset({
    "math", "mi", "mn", "mo", "ms", "mtext", "mspace", "mrow", "mfrac", "msqrt", "mroot", "msub", "msup",
    "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "semantics", "annotation"})
ATTRIBUTES = frozenset({
    "mathvariant", "displaystyle", "stretchy", "fence", "separator", "lspace", "rspace", "columnalign",
    "rowspacing", "columnspacing", "display", "accent", "accentunder", "linethickness", "scriptlevel", "notation",
    "width", "height", "depth", "minsize", "maxsize", "form", "movablelimits", "largeop", "symmetric"})
_PARAGRAPHS = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_OPENING = re.compile(r"\\\$|\$\$|\$|\\\(|\\\[")
_CLOSING = {"$$": "$$", "\\(": "\\)", "\\[": "\\]"}


@dataclass(frozen=True)
class Segment:
    """A run of a paragraph: plain text, or a formula with the delimiters it was written with."""

    text: str
    opening: str = ""  # "" for plain text
    closing: str = ""

    @property
    def display(self) -> bool:
        return self.opening in ("$$", "\\[")


@dataclass
class _Budget:
    """Characters of formulas a text may still have converted: latex2mathml's time grows with them."""

    chars: int


@lru_cache(maxsize=1024)  # a class's pages repeat the same prompts on every page
def html(text: str) -> Markup:
    """``text`` as HTML: escaped, math as MathML, paragraphs (a blank line apart) kept apart by ``<br><br>``
    (no block elements, so the result fits wherever text does)."""
    budget = _Budget(MAX_CONVERTED)
    paragraphs = _PARAGRAPHS.split(text.strip())
    return Markup("<br><br>").join(Markup("").join(_render(s, budget) for s in segments(p)) for p in paragraphs)


def plain(text: str) -> Markup:
    """``text`` as HTML without math: escaped, paragraphs kept apart as :func:`html` keeps them."""
    return Markup("<br><br>").join(escape(p) for p in _PARAGRAPHS.split(text.strip()))


def feedback_html(part: dict[str, Any], text: str | None = None) -> Markup:
    """A part's feedback (or ``text``: one of its details) as HTML. Feedback may quote the student's answer,
    so math is drawn only when nothing the student wrote could open a formula: a student's ``$...$`` must not
    lay out, or spoof, what a teacher or they read as grader's words."""
    text = str(part.get("feedback") or "") if text is None else text
    answer = part.get("answer")
    written = (answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)) or ""
    # as written, and as grader reads it before quoting it: a full-width ＄ is a $ once read, a joiner between \ and
    # ( is dropped
    opens = _OPENING.search(written) or _OPENING.search(fold_letters(written))
    return plain(text) if opens else html(text)


def segments(paragraph: str) -> list[Segment]:
    """A paragraph cut into text and formulas. ``$`` opens a formula only before a non-space and closes
    only after one, not before a digit (Pandoc's rule), so "costs $5 or $6" stays text; ``\\$`` is a dollar."""
    out: list[Segment] = []
    plain, at = "", 0
    for match in _OPENING.finditer(paragraph):
        if match.start() < at:
            continue  # inside the formula just taken
        opening = match.group()
        if opening == "\\$":
            plain += paragraph[at:match.start()] + "$"
            at = match.end()
            continue
        end = _closing(paragraph, opening, match.end())
        if end is None:
            continue  # opens nothing: stays text
        plain += paragraph[at:match.start()]
        if plain:
            out.append(Segment(plain))
        plain = ""
        closing = _CLOSING.get(opening, "$")
        out.append(Segment(paragraph[match.end():end], opening, closing))
        at = end + len(closing)
    plain += paragraph[at:]
    return out + [Segment(plain)] if plain else out


def _closing(paragraph: str, opening: str, start: int) -> int | None:
    """Where the formula opened at ``start`` closes, or None when it does not (then it is text)."""
    if opening != "$":
        end = paragraph.find(_CLOSING[opening], start)
        return end if end >= 0 and paragraph[start:end].strip() else None
    if start >= len(paragraph) or paragraph[start].isspace():
        return None
    end = start
    while (end := paragraph.find("$", end + 1)) >= 0:
        escaped = paragraph[end - 1] == "\\"
        if not escaped and not paragraph[end - 1].isspace() and not paragraph[end + 1:end + 2].isdigit():
            return end
    return None


def _render(segment: Segment, budget: _Budget) -> Markup:
    if not segment.opening:
        return escape(segment.text)
    latex = segment.text
    mathml = None
    if len(latex) <= min(MAX_FORMULA, budget.chars):
        budget.chars -= len(latex)
        mathml = formula(latex, segment.display)
    return mathml or Markup("<code>%s</code>") % (segment.opening + latex + segment.closing)


def formula(latex: str, display: bool = False) -> Markup | None:
    """One formula as MathML holding only MathML elements and presentation attributes; None when
    latex2mathml fails or its output holds anything else (an element a student wrote in ``\\text``)."""
    try:
        tree = ElementTree.fromstring(convert(latex, display="block" if display else "inline"))
    except Exception:  # latex2mathml raises its own errors, RecursionError, and writes ill-formed XML
        return None
    out: list[str] = []
    if not _write(tree, out, root=True):
        return None
    return Markup("".join(out))


def _write(element: ElementTree.Element, out: list[str], root: bool = False) -> bool:
    namespace, _, name = element.tag.rpartition("}")
    if namespace != "{" + MATHML or name not in ELEMENTS or (name == "math") != root:
        return False
    attributes = "".join(f' {key}="{escape(value)}"' for key, value in sorted(element.attrib.items())
                         if key in ATTRIBUTES)
    out.append(f'<{name} xmlns="{MATHML}"{attributes}>' if root else f"<{name}{attributes}>")
    out.append(escape(element.text or ""))
    for child in element:
        if not _write(child, out):
            return False
        out.append(escape(child.tail or ""))
    out.append(f"</{name}>")
    return True
