"""Renderers of one report: its JSON form (the canonical one, see ``Report.to_json``) into text.

No I/O here: callers write the result. ``RENDERERS`` maps a ``--format`` name to a
:class:`Renderer`; adding a per-student format is one line. Class-wide exports live in
:mod:`grader.export`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from . import markdown, terminal

try:  # 3-5x faster than the json module on reports, the same text (issue 13); json where it has no wheel
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; this keeps grader working without it
    orjson = None


def render_json(report: dict[str, Any]) -> str:
    """Compact JSON (one line): the machine's form; tools such as jq print it nicely."""
    if orjson is not None:
        try:
            return orjson.dumps(report, default=_number_as_written, option=orjson.OPT_APPEND_NEWLINE).decode()
        except (TypeError, orjson.JSONEncodeError):  # what orjson will not write (an int past 64 bits...)
            pass
    return json.dumps(report, ensure_ascii=False, separators=(",", ":")) + "\n"


def _number_as_written(value: Any) -> Any:
    """A number read from a student's file (a float that keeps its text) is written as the json module writes it,
    ``1e-05`` and ``NaN`` included, where orjson would write ``0.00001`` and ``null``. Computed floats (scores) are
    orjson's: the same text but below 0.0001, where both are the same number written another way."""
    if isinstance(value, float):
        return orjson.Fragment(float.__repr__(value) if value - value == 0 else json.dumps(float(value)))
    raise TypeError(f"{type(value).__name__} is not JSON")


@dataclass(frozen=True)
class Renderer:
    suffix: str
    from_json: Callable[[dict[str, Any]], str]


RENDERERS: dict[str, Renderer] = {
    "json": Renderer(".json", render_json),
    "md": Renderer(".md", markdown.render),
}

__all__ = ["RENDERERS", "Renderer", "render_json", "markdown", "terminal"]
