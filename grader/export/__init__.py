"""Class-wide exports from the gradebook, into ``OUT/export/``: LMS sheets, CI formats, pages.

``EXPORTERS`` maps a ``--format`` name to a function ``(book, assignment, directory, options) ->
written paths``; adding a format is one module and one line. Every exporter reads the
gradebook (overrides applied), streams where a class can be large, and writes each file
atomically inside the export directory.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..files import writable_folder
from ..gradebook import Gradebook
from . import ci, pages, sheets
from .options import Options

Exporter = Callable[[Gradebook, dict[str, Any], Path, Options], list[Path]]

EXPORTERS: dict[str, Exporter] = {
    "canvas": sheets.canvas,
    "moodle": sheets.moodle,
    "csv": sheets.plain,
    "gradescope": ci.gradescope,
    "junit": ci.junit,
    "md": ci.markdown_summary,
    "html": pages.student_pages,
    "stats": pages.class_report,
}


def export_folder(out: Path) -> Path:
    """``OUT/export``, a real folder, without what killed exports left half-written."""
    return writable_folder(out / "export")


def export(book: Gradebook, assignment: dict[str, Any], directory: Path, formats: list[str],
           options: Options | None = None) -> list[Path]:
    written: list[Path] = []
    for name in formats:
        written += EXPORTERS[name](book, assignment, directory, options or Options())
    return written


__all__ = ["EXPORTERS", "Options", "export", "export_folder"]
