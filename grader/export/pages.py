"""Pages a person reads: a feedback page per student, an index, and the class report.

Rendered with Jinja2 and autoescaping on, so student text (answers, names, even feedback
quoting an answer) is always escaped; prompts, option texts and feedback go through
:func:`grader.mathtext.html` (the ``math`` filter), which escapes too and draws LaTeX as MathML.
Text that may be Persian or Arabic is marked ``dir="auto"`` so each paragraph runs in its own
direction. The question texts come from the gradebook (:mod:`grader.outline`), never the spec.

A student page shows reference answers only where the report carries them, i.e. where the spec
releases them; the right options of choice parts are the class report's alone.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, TypeVar

from jinja2 import Environment, PackageLoader, select_autoescape

from .. import mathtext
from ..files import unique_stem, writable_folder, write_atomic
from ..gradebook import Gradebook
from ..report.terminal import awaiting_review
from ..outline import Question, questions
from ..stats import class_stats, describe_diagnosis, histogram, left_out
from .options import Options

_ENV = Environment(loader=PackageLoader("grader.export", "templates"), autoescape=select_autoescape(["j2", "html"]),
                   trim_blocks=True, lstrip_blocks=True)
_ENV.globals.update(num=lambda x: f"{x:g}", describe=describe_diagnosis, left_out=left_out,
                    shown=lambda v: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
_ENV.filters["math"] = lambda text: mathtext.html(str(text or ""))
_ENV.filters["feedback"] = lambda text, part: mathtext.feedback_html(part, str(text or ""))  # may quote the answer

Item = TypeVar("Item")


Section = tuple[Question, list[tuple[dict[str, Any], Item]]]


def sections(stored: list[dict[str, Any]], items: Iterable[tuple[str, Item]]) -> list[Section]:
    """Each question with its parts, each part as stored beside ``items``' entry for it (a report's part, a
    part's statistics). A part the stored outline does not know (a gradebook from before parts were stored
    with their kind) is a question of its own."""
    by_id = dict(items)
    known = [p for p in stored if p["id"] in by_id]
    known += [{"id": pid, "kind": "", "points": 0} for pid in by_id if pid not in {p["id"] for p in stored}]
    return [(q, [(p, by_id[p["id"]]) for p in q.parts]) for q in questions(known)]


def varies(stored: list[dict[str, Any]]) -> bool:
    """Does any student read their own version of some text (so the pages show the spec's, as written)?"""
    return any(p.get("varies") or p.get("question", {}).get("varies") for p in stored)


def student_page(report: dict[str, Any], stored: list[dict[str, Any]] | None = None) -> str:
    """A student's feedback, question by question. An unreadable submission is one banner saying why (and any
    part an instructor scored anyway), not the same message under every part."""
    # a rubric's provisional score is the instructor's to confirm: the page shows "awaiting review", counted as 0
    parts = [{**p, "score": 0, "awaiting": True} if awaiting_review(p) else p for p in report["parts"]]
    waiting = sum(p["max_score"] for p in parts if p.get("awaiting"))
    report = {**report, "score": round(sum(p["score"] for p in parts), 6), "parts": parts, "waiting": waiting}
    if report.get("problem"):
        parts = [p for p in parts if p.get("override")]
    found = sections(stored or [], ((p["id"], p) for p in parts))
    return _ENV.get_template("student.html.j2").render(r=report, sections=found, varies=varies(stored or []))


def student_pages(book: Gradebook, assignment: dict[str, Any], directory: Path, options: Options) -> list[Path]:
    folder = writable_folder(directory / "html")
    written, rows = [], []
    for row in book.rows(assignment["id"]):
        page = page_name(row.stem, row.student, row.source)
        written.append(write_atomic(folder, page, student_page(row.report, assignment["parts"])))
        rows.append((IndexEntry(row.student, row.name, row.report["score"], row.report["max_score"]), page))
    index = _ENV.get_template("index.html.j2").render(title=assignment["title"], rows=rows)
    written.append(write_atomic(folder, "index.html", index))
    return written


@dataclass(frozen=True)
class IndexEntry:
    """What the index shows of a student's page: kept for every student until the index is written, so not
    their report (some 20 KB parsed, against a hundred bytes)."""

    student: str
    name: str | None
    score: float
    max_score: float


def page_name(stem: str, student: str, source: str) -> str:
    """A student's page: their report's name, unless that is the class index's (a student whose id is
    'index' or 'Index', where file names ignore case); then the id with a hash, as for any name taken."""
    return f"{unique_stem(student, source) if stem.casefold() == 'index' else stem}.html"


def class_report(book: Gradebook, assignment: dict[str, Any], directory: Path,
                 options: Options | None = None) -> list[Path]:
    stats = class_stats(book, assignment)
    bins = 10
    bars = histogram(stats.scores, stats.max_score, bins)
    edges = [f"{stats.max_score * k / bins:g}" for k in range(bins + 1)]
    found = sections(assignment["parts"], ((p.id, p) for p in stats.parts))
    page = _ENV.get_template("class.html.j2").render(s=stats, bars=bars, edges=edges, sections=found,
                                                     varies=varies(assignment["parts"]))
    return [write_atomic(directory, "class-report.html", page)]
