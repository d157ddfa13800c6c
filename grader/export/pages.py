"""Pages a person reads: a feedback page per student, an index, and the class report.

Rendered with Jinja2 and autoescaping on, so student text (answers, names, even feedback
quoting an answer) is always escaped; text that may be Persian or Arabic is marked
``dir="auto"`` so each paragraph runs in its own direction. A page shows reference answers
only where the report carries them, i.e. where the spec releases them.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..files import unique_stem, writable_folder, write_atomic
from ..gradebook import Gradebook
from ..stats import class_stats, describe_diagnosis, histogram, left_out
from .options import Options

_ENV = Environment(loader=PackageLoader("grader.export", "templates"), autoescape=select_autoescape(["j2", "html"]),
                   trim_blocks=True, lstrip_blocks=True)
_ENV.globals.update(num=lambda x: f"{x:g}", describe=describe_diagnosis, left_out=left_out,
                    shown=lambda v: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))


def student_page(report: dict[str, Any]) -> str:
    return _ENV.get_template("student.html.j2").render(r=report)


def student_pages(book: Gradebook, assignment: dict[str, Any], directory: Path, options: Options) -> list[Path]:
    folder = writable_folder(directory / "html")
    written, rows = [], []
    for row in book.rows(assignment["id"]):
        page = page_name(row.stem, row.student, row.source)
        written.append(write_atomic(folder, page, student_page(row.report)))
        rows.append((row, page))
    index = _ENV.get_template("index.html.j2").render(title=assignment["title"], rows=rows)
    written.append(write_atomic(folder, "index.html", index))
    return written


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
    page = _ENV.get_template("class.html.j2").render(s=stats, bars=bars, edges=edges)
    return [write_atomic(directory, "class-report.html", page)]
