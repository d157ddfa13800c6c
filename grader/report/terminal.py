"""What a terminal shows: the class table, and one student's own view.

Student text reaches the terminal only through :func:`clean`, so an id or an answer cannot
carry escape sequences that rewrite the screen.
"""
from __future__ import annotations

import textwrap
import unicodedata

from typing import Any

from ..model import Status

_COLUMNS = [(Status.CORRECT, "correct"), (Status.PARTIAL, "partial"), (Status.INCORRECT, "incorrect"),
            (Status.INVALID, "invalid"), (Status.MISSING, "missing"), (Status.NEEDS_REVIEW, "review"),
            (Status.ERROR, "error")]


def clean(value: object, limit: int = 200) -> str:
    """Printable text only: control and bidi-override characters become '?'; long text is clipped."""
    out = "".join(ch if ch == "\n" or (ch.isprintable() and unicodedata.category(ch) != "Cf") or ch == "\u200c"
                  else "?" for ch in str(value))
    return out if len(out) <= limit else out[: limit - 1] + "…"


def _num(x: float) -> str:
    return f"{x:.2f}"


def table(reports: list[dict[str, Any]]) -> str:
    """One row per student: score, max, and how many parts have each status."""
    header = ["student", "score", "max"] + [name for _, name in _COLUMNS]
    rows = []
    for r in reports:
        counts = {str(s): 0 for s, _ in _COLUMNS} | r.get("counts", {})
        rows.append([clean(r["student"], 40), _num(r["score"]), _num(r["max_score"])]
                    + [str(counts[str(s)]) for s, _ in _COLUMNS])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]) + "\n"


def awaiting_review(part: dict[str, Any]) -> bool:
    """A part whose score is a rubric's guess until an instructor sets it (free text, not yet overridden)."""
    return part.get("status") == "needs_review" and not part.get("override")


def student_view(report: dict[str, Any], width: int = 88) -> str:
    """The self-check view: status and feedback per part, and the total; references only if released."""
    out = [f"{clean(report.get('title', ''))} - student {clean(report['student'], 60)}"]
    if report.get("problem"):
        out.append(f"  This submission could not be read: {clean(report['problem'], 400)}")
    for warning in report.get("warnings", []):
        out.append(f"  note: {clean(warning, 300)}")
    waiting = [p for p in report["parts"] if awaiting_review(p)]
    for p in report["parts"]:
        score = "–" if p in waiting else _num(p["score"])  # a provisional number is the instructor's, not the student's
        out.append(f"{clean(p['id'], 30):<6} {score:>6}/{_num(p['max_score']):<6} "
                   f"{p['status'].replace('_', ' ')}" + (f"  [{p['diagnosis']}]" if p.get("diagnosis") else ""))
        body = [p["feedback"]] + [f"- {d}" for d in p.get("details", [])]
        if p.get("override"):
            body.append(f"instructor: {_num(p['override']['score'])} {p['override'].get('comment', '')}".rstrip())
        if p.get("reference") is not None:
            body.append(f"reference answer: {p['reference']}")
        for para in body:
            if para:
                out += textwrap.wrap(clean(para, 2000), width, initial_indent="    ", subsequent_indent="      ")
    known = report["score"] - sum(p["score"] for p in waiting)
    out.append(f"total  {_num(known)}/{_num(report['max_score'])}" + (
        f", and up to {_num(sum(p['max_score'] for p in waiting))} point(s) awaiting an instructor's review"
        if waiting else ""))
    return "\n".join(out) + "\n"
