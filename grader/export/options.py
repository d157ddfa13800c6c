"""What a user may tell an export beyond the gradebook: ids the LMS knows, which JUnit family to write."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """``canvas_assignment_id``: Canvas matches a column to an assignment by the number in its header
    (``Title (123)``); without one, by the exact title. ``only``: the students the grade sheets list (the
    roster's, with ``--known-only``), None for all. ``junit``: ``ci`` (``file`` and properties on each
    testcase, what GitLab, GitHub reporters and Jenkins' JUnit plugin read) or ``strict`` (only what the
    JUnit schemas of Jenkins' xUnit plugin and pytest allow)."""

    canvas_assignment_id: int | None = None
    only: frozenset[str] | None = None
    junit: str = "ci"
