"""When and how often a student may hand in, and what lateness costs: a spec's ``due``, ``late``,
``attempts``, ``counts`` and ``release_answers: after_due``.

Plain data and pure functions of a moment in time, so the service (and its tests) decide
"late?", "refused?" and "released yet?" the same way, with the clock passed in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

DAY = timedelta(days=1)


SCHEMA: dict[str, Any] = {
    "release_answers": {"oneOf": [{"type": "boolean"}, {"const": "after_due"}],
                        "description": "Show reference answers in student reports: true, false, or after_due (the "
                                       "service shows them once submissions have closed: the due date, or "
                                       "the last day of a late policy)."},
    "due": {"type": "string", "description": "The due date, ISO 8601 with a time zone (2026-12-10T23:59:00+03:30). "
                                             "Without a late policy the service accepts nothing after it."},
    "late": {"type": "object", "additionalProperties": False,
             "description": "Late submissions: a penalty per started day, until a last day (days or until).",
             "properties": {
                 "penalty_per_day": {"type": "number", "minimum": 0, "maximum": 100,
                                     "description": "Percent of the score taken off per started day late."},
                 "days": {"type": "integer", "minimum": 0, "description": "Days after the due date that late "
                                                                          "submissions are accepted."},
                 "until": {"type": "string", "description": "The last moment a late submission is accepted, "
                                                            "ISO 8601 with a zone."}}},
    "attempts": {"type": "integer", "minimum": 1, "description": "Submissions a student may make through the "
                                                                 "service (self-checks are not counted)."},
    "counts": {"enum": ["latest", "best"], "description": "Which submission counts in the gradebook: the latest "
                                                          "(default) or the best."},
}


@dataclass(frozen=True)
class Policy:
    due: datetime | None = None
    per_day: float = 0.0  # percent of the score taken off per started day late
    last: datetime | None = None  # after this, submissions are refused (None: never, once due is set... see refusal)
    attempts: int | None = None  # submissions allowed; None: no limit
    counts: str = "latest"  # which submission counts: "latest" or "best"
    release_after_due: bool = False  # reference answers shown in reports once the due date has passed

    def days_late(self, at: datetime) -> int:
        """Started days after the due date (0 when on time)."""
        if self.due is None or at <= self.due:
            return 0
        return math.ceil((at - self.due) / DAY)

    def penalty(self, at: datetime) -> float:
        """The percentage taken off a submission made at ``at`` (0 to 100)."""
        return min(100.0, self.per_day * self.days_late(at))

    def refusal(self, at: datetime) -> str | None:
        """Why a submission at ``at`` is refused, or None."""
        if self.last is not None and at > self.last:
            return (f"submissions closed at {self.last.isoformat()} (due {self.due.isoformat()}, "
                    f"late ones accepted until then); ask your instructor")
        return None

    def released(self, at: datetime) -> bool:
        """Answers are released once no submission can be made: after the last day late ones are accepted
        (the due date, without a late policy). Released at the due date, a late student could copy them."""
        closes = self.last or self.due
        return self.release_after_due and closes is not None and at > closes

    def to_json(self) -> dict[str, Any]:
        return {"due": self.due.isoformat() if self.due else None,
                "last_day": self.last.isoformat() if self.last else None,
                "late_penalty_per_day": self.per_day, "attempts": self.attempts, "counts": self.counts}


def read_policy(data: dict[str, Any], error: Callable[[tuple, str], None]) -> Policy:
    """The policy written in a spec's top level; ``error(path, message)`` for each problem (the schema has
    already checked the types)."""
    due = _moment(data, ("due",), error)
    late = data.get("late") or {}
    per_day = float(late.get("penalty_per_day", 0)) if isinstance(late, dict) else 0.0
    last = _moment(late, ("late", "until"), error) if isinstance(late, dict) and "until" in late else None
    if isinstance(late, dict) and "days" in late and due is not None:
        if last is not None:
            error(("late", "days"), "give either 'days' or 'until', not both")
        last = due + int(late["days"]) * DAY
    if late and due is None and "due" not in data:
        error(("late",), "a late policy needs a due date: add 'due' (ISO 8601 with a zone)")
    if due is not None and last is not None and last < due:
        error(("late", "until"), f"the last day {last.isoformat()} is before the due date {due.isoformat()}")
    if due is not None and last is None and not late:
        last = due  # a due date with no late policy: nothing is accepted after it
    release = data.get("release_answers")
    if release == "after_due" and due is None:
        error(("release_answers",), "'after_due' needs a due date: add 'due'")
    return Policy(due=due, per_day=per_day, last=last, attempts=data.get("attempts"),
                  counts=data.get("counts", "latest"), release_after_due=release == "after_due")


def _moment(data: dict[str, Any], path: tuple, error: Callable[[tuple, str], None]) -> datetime | None:
    text = data.get(path[-1])
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        error(path, f"{text!r} is not a date and time in ISO 8601 (like 2026-12-10T23:59:00+03:30)")
        return None
    if moment.tzinfo is None:
        error(path, f"{text!r} has no time zone: add one (+03:30, Z), so the deadline is the same everywhere")
        return None
    return moment
