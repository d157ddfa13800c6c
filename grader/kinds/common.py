"""What every kind shares: the self-test probe and the checks a probe's outcome must pass."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from ..model import Outcome


class Spot(Protocol):
    """Where a part sits in its spec file, so ``configure`` can report problems at line:col."""

    def error(self, path: tuple, message: str, *, key: bool = False) -> None: ...


class SpecProblem(ValueError):
    """Raised by a kind's ``solve`` for a problem only solving reveals; ``path`` is relative to the part."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


@dataclass(frozen=True)
class Probe:
    """One self-test: a student answer, and a test of its outcome returning a complaint or None."""

    label: str
    answer: Any
    expect: Callable[[Outcome], str | None]


def full_marks(outcome: Outcome) -> str | None:
    if outcome.fraction >= 1.0 - 1e-12:
        return None
    return f"scored {outcome.fraction:.0%} ({outcome.status}): {outcome.feedback}"


def diagnosed(code: str, *, full: bool = False) -> Callable[[Outcome], str | None]:
    def expect(outcome: Outcome) -> str | None:
        if outcome.diagnosis != code:
            return f"expected diagnosis {code}, got {outcome.diagnosis or 'none'} ({outcome.status})"
        if not full and outcome.fraction >= 1.0 - 1e-12:
            return "a mistake scored full marks"
        return None

    return expect


def mentions(text: str, *, full_ok: bool = False) -> Callable[[Outcome], str | None]:
    def expect(outcome: Outcome) -> str | None:
        shown = outcome.feedback + "\n" + "\n".join(outcome.details)
        if text not in shown:
            return f"feedback does not show {text!r}"
        if not full_ok and outcome.fraction >= 1.0 - 1e-12:
            return "scored full marks"
        return None

    return expect


def withholds(text: str) -> Callable[[Outcome], str | None]:
    """The outcome must not show ``text`` (feedback that would give the answer away)."""
    def expect(outcome: Outcome) -> str | None:
        shown = outcome.feedback + "\n" + "\n".join(outcome.details)
        return f"feedback shows {text!r}, which gives the answer away" if text in shown else None

    return expect
