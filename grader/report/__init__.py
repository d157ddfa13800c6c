"""Renderers of one report: its JSON form (the canonical one, see ``Report.to_json``) into text.

No I/O here: callers write the result. ``RENDERERS`` maps a ``--format`` name to a
:class:`Renderer`; adding a per-student format is one line. Class-wide exports live in
:mod:`grader.export`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..model import compact_json
from . import markdown, terminal


def render_json(report: dict[str, Any]) -> str:
    """Compact JSON (one line): the machine's form; tools such as jq print it nicely. The same text as
    ``Report.json_text()`` of the report this came from."""
    return compact_json(report) + "\n"


@dataclass(frozen=True)
class Renderer:
    suffix: str
    from_json: Callable[[dict[str, Any]], str]


RENDERERS: dict[str, Renderer] = {
    "json": Renderer(".json", render_json),
    "md": Renderer(".md", markdown.render),
}

__all__ = ["RENDERERS", "Renderer", "render_json", "markdown", "terminal"]
