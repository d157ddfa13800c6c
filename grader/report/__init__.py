"""Renderers: a :class:`~grader.model.Report` (or many) into text. No I/O here: callers write the result.

``RENDERERS`` maps a ``--format`` name to (file suffix, function); adding a format is one line.
"""
from __future__ import annotations

import json
from typing import Callable

from ..model import Report
from . import markdown, terminal


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, tuple[str, Callable[[Report], str]]] = {
    "json": (".json", render_json),
    "md": (".md", markdown.render),
}

__all__ = ["RENDERERS", "render_json", "markdown", "terminal"]
