"""What every kind shares: the self-test probe and the checks a probe's outcome must pass."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from ..model import Outcome
from ..errors import PathProblem, quote
from ..tolerance import Tolerance

class Timing:
    """How long checking one answer may take (evaluating an expression at its points, an author's patterns
    against a text): a process-wide setting, so a service can bound it (``grader serve --part-seconds``)."""

    answer_seconds: float = 1.0


TOLERANCE_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "description": "{rtol, atol} (numpy isclose), or {sigfigs: n}, or {decimals: n}; strict: true "
                   "asks for exactly that precision written.",
    "examples": [{"rtol": 1.0e-6}, {"atol": 0.01}, {"sigfigs": 3}, {"decimals": 2}],
    "properties": {
        "rtol": {"type": "number", "minimum": 0}, "atol": {"type": "number", "minimum": 0},
        "sigfigs": {"type": "integer", "minimum": 1, "maximum": 15},
        "decimals": {"type": "integer", "minimum": 0, "maximum": 15},
        "strict": {"type": "boolean"},
    },
}


def read_tolerance(raw: dict[str, Any] | None, spot: "Spot", default: Tolerance) -> Tolerance | None:
    """A part's ``tolerance`` field; ``None`` (with the problem reported) if it mixes modes."""
    if raw is None:
        return default
    modes = [k for k in ("sigfigs", "decimals") if k in raw] + (["rtol/atol"] if {"rtol", "atol"} & set(raw) else [])
    if len(modes) > 1:
        spot.error(("tolerance",), f"tolerance mixes {' and '.join(modes)}; give one of them")
        return None
    if raw.get("strict") and not ({"sigfigs", "decimals"} & set(raw)):
        spot.error(("tolerance", "strict"), "strict needs sigfigs or decimals: it checks how the answer is written",
                   key=True)
        return None
    return Tolerance(rtol=float(raw.get("rtol", 0.0)), atol=float(raw.get("atol", 0.0)),
                     sigfigs=raw.get("sigfigs"), decimals=raw.get("decimals"), strict=bool(raw.get("strict")))


class Spot(Protocol):
    """Where a part sits in its spec file, so ``configure`` can report problems at line:col: errors
    (the spec cannot be used) and warnings (it can, but the author should look)."""

    def error(self, path: tuple, message: str, *, key: bool = False) -> None: ...

    def warn(self, path: tuple, message: str) -> None: ...


class SpecProblem(PathProblem):
    """Raised by a kind's ``solve`` for a problem only solving reveals; ``path`` is relative to the part."""



@dataclass(frozen=True)
class Probe:
    """One self-test: a student answer, and a test of its outcome returning a complaint or None."""

    label: str
    answer: Any
    expect: Callable[[Outcome], str | None]
    applies: Callable[[str], bool] | None = None  # given what the student reads (the prompts): run it? None: always


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
            return f"feedback does not show {quote(text)}"
        if not full_ok and outcome.fraction >= 1.0 - 1e-12:
            return "scored full marks"
        return None

    return expect


def withholds(text: str) -> Callable[[Outcome], str | None]:
    """The outcome must not show ``text`` (feedback that would give the answer away)."""
    def expect(outcome: Outcome) -> str | None:
        shown = outcome.feedback + "\n" + "\n".join(outcome.details)
        return f"feedback shows {quote(text)}, which gives the answer away" if text in shown else None

    return expect
