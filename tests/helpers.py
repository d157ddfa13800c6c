"""Build one part from its fields and grade raw answers against it, without files."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pytest

from grader.grading import check_answer
from grader.kinds import KINDS
from grader.model import Outcome, Part


class RaisingSpot:
    def error(self, path: tuple, message: str, *, key: bool = False) -> None:
        raise AssertionError(f"spec problem at {path}: {message}")


class CollectingSpot:
    def __init__(self) -> None:
        self.problems: list[tuple[tuple, str]] = []

    def error(self, path: tuple, message: str, *, key: bool = False) -> None:
        self.problems.append((tuple(path), message))


class Built:
    def __init__(self, kind: str, fields: dict[str, Any]):
        fields = {"id": "p", "kind": kind, "points": 2, "prompt": "?", **fields}
        self.module = KINDS[kind]
        self.config = self.module.configure(fields, RaisingSpot())
        self.reference = self.module.solve(self.config)
        self.part = Part("p", kind, float(fields["points"]), "?", self.config)

    def __call__(self, raw: Any) -> Outcome:
        return check_answer(self.part, self.reference, raw)


def problems_of(kind: str, fields: dict[str, Any]) -> list[str]:
    spot = CollectingSpot()
    KINDS[kind].configure({"id": "p", "kind": kind, "points": 2, "prompt": "?", **fields}, spot)
    return [m for _, m in spot.problems]


@contextmanager
def expecting(case: dict[str, Any]) -> Iterator[None]:
    """Around one external case's assertions: agree with the source, or - for a documented
    ``disagreement`` - still differ, so a change of behaviour there fails instead of passing quietly."""
    why = case.get("disagreement")
    if not why:
        yield
        return
    try:
        yield
    except AssertionError:
        return
    pytest.fail(f"now agrees with the source, though documented as a disagreement ({why}); "
                "update the case and the README")
