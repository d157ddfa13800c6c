"""What a user may tell an export beyond the gradebook: ids the LMS knows, which JUnit family to write."""
from __future__ import annotations

from dataclasses import dataclass


def awaiting(report: dict) -> list[str]:
    """The parts of a report whose score is a rubric's provisional guess (free text no instructor has scored)."""
    return [p["id"] for p in report["parts"] if p.get("status") == "needs_review" and not p.get("override")]


@dataclass(frozen=True)
class Options:
    """``canvas_assignment_id``: Canvas matches a column to an assignment by the number in its header
    (``Title (123)``); without one, by the exact title. ``only``: the students the grade sheets list (the
    roster's, with ``--known-only``), None for all. ``junit``: ``ci`` (``file`` and properties on each
    testcase, what GitLab, GitHub reporters and Jenkins' JUnit plugin read) or ``strict`` (only what the
    JUnit schemas of Jenkins' xUnit plugin and pytest allow). ``unreviewed``: ``hold`` (a student with a
    free-text part no instructor has scored gets no total in the grade sheets, so a rubric's guess never
    reaches an LMS as final) or ``flag`` (the total is sent, and the parts awaiting review are named)."""

    canvas_assignment_id: int | None = None
    only: frozenset[str] | None = None
    junit: str = "ci"
    unreviewed: str = "hold"  # a total with free text awaiting review: held back (empty), or sent and flagged
