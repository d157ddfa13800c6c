"""Agreement of grader.expr.compare_scalar with the scalar-equivalence verdicts of
established answer checkers (STACK, Open edX, PrairieLearn, WeBWorK).

The cases live in tests/data/external/expression_cases.yaml, each with its
provenance (repository, path, commit, and the test / fixture row it came from)
and the verdict the source states.  tests/data/external/README.md ("Expression
equivalence") describes the sources, how their notation was translated, what
was left out, and the cases where the source and our numeric, real-valued
semantics differ on purpose (marked `disagreement:`).

Acceptance criterion: on the cases compare_scalar can read, it agrees with the
source on at least 95% (``test_expression_agreement_rate``, which calls
compare_scalar on every case).  A case compare_scalar cannot read (ExprError)
is skipped in its own test, and ``test_unreadable_share`` keeps those to at
most 10% so that skipping cannot hide a broken parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pytest

from helpers import assert_provenance, expecting, external_cases, external_ids

CASES_FILE = "expression_cases.yaml"

AGREEMENT_BAR = 0.95
UNREADABLE_BAR = 0.10
MIN_CASES = 150


def _load() -> tuple[dict[str, dict[str, Any]], tuple[dict[str, Any], ...]]:
    return external_cases(CASES_FILE)


def _text(x: Any) -> str:
    # An expression such as "3" or "0.5" may come back from YAML as a number.
    return x if isinstance(x, str) else str(x)


def _describe(case: dict[str, Any]) -> str:
    return f"{_text(case['student'])} vs {_text(case['reference'])}"


def _params() -> list[Any]:
    return [pytest.param(index, id=ident) for index, ident in enumerate(external_ids(CASES_FILE, _describe))]


# --------------------------------------------------------------------------
# running compare_scalar once per case


@dataclass(frozen=True)
class Outcome:
    verdict: bool | None  # None when unreadable or crashed
    unreadable: str | None = None  # the ExprError message
    crash: BaseException | None = None  # any other exception


@lru_cache(maxsize=None)
def _outcome(index: int) -> Outcome:
    """compare_scalar on case `index`.  ExprError means "unreadable"; any other exception is
    a crash, which is not an unreadable case: it fails the case's test and counts as a
    disagreement in the agreement rate."""
    from grader.expr import ExprError, compare_scalar

    case = _load()[1][index]
    try:
        got = compare_scalar(_text(case["student"]), _text(case["reference"]), list(case["variables"]))
    except ExprError as exc:
        return Outcome(verdict=None, unreadable=str(exc) or type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        return Outcome(verdict=None, crash=exc)
    return Outcome(verdict=bool(got))


def _shown(outcome: Outcome) -> str:
    if outcome.crash is not None:
        return f"crashed with {type(outcome.crash).__name__}: {outcome.crash}"
    return repr(outcome.verdict)


def _call(case: dict[str, Any]) -> str:
    return f"compare_scalar({_text(case['student'])!r}, {_text(case['reference'])!r}, {list(case['variables'])!r})"


# --------------------------------------------------------------------------
# agree, or (for a documented disagreement) still differ




# --------------------------------------------------------------------------
# one test per case


@pytest.mark.parametrize("index", _params())
def test_expression_agrees_with_source(index: int) -> None:
    case = _load()[1][index]
    outcome = _outcome(index)
    if outcome.unreadable is not None:
        pytest.skip(f"unreadable: {outcome.unreadable}  [{_call(case)}]")
    if outcome.crash is not None:
        raise AssertionError(f"{_call(case)} {_shown(outcome)}") from outcome.crash
    with expecting(case):
        assert outcome.verdict is case["expect"], (
            f"{_call(case)} returned {outcome.verdict}; the source says "
            f"{'equivalent' if case['expect'] else 'not equivalent'}"
            + (f" ({case['note']})" if case.get("note") else "")
        )


# --------------------------------------------------------------------------
# the whole collection


def _tally() -> tuple[list[int], list[int], list[int]]:
    """(readable, agreeing, unreadable) case indices, by calling compare_scalar on every case."""
    _, cases = _load()
    readable, agreeing, unreadable = [], [], []
    for index, case in enumerate(cases):
        outcome = _outcome(index)
        if outcome.unreadable is not None:
            unreadable.append(index)
            continue
        readable.append(index)
        if outcome.verdict is case["expect"]:
            agreeing.append(index)
    return readable, agreeing, unreadable


def test_unreadable_share() -> None:
    """Skipped (unreadable) cases must stay few, or the agreement rate would mean little."""
    _, cases = _load()
    _, _, unreadable = _tally()
    listing = "\n".join(f"  {_call(cases[i])}: {_outcome(i).unreadable}" for i in unreadable)
    share = len(unreadable) / len(cases)
    assert share <= UNREADABLE_BAR, (
        f"{len(unreadable)} of {len(cases)} cases ({share:.1%}) are unreadable "
        f"(at most {UNREADABLE_BAR:.0%} allowed):\n{listing}"
    )


def test_expression_agreement_rate() -> None:
    """The acceptance bar: on the cases we can read, we agree with the source on >= 95%."""
    _, cases = _load()
    readable, agreeing, unreadable = _tally()
    assert readable, "no case was readable"
    rate = len(agreeing) / len(readable)
    agree_set = set(agreeing)
    differing = [i for i in readable if i not in agree_set]
    listing = "\n".join(
        f"  {_call(cases[i])} -> {_shown(_outcome(i))}, source says {cases[i]['expect']}"
        + (" [documented]" if cases[i].get("disagreement") else "")
        for i in differing
    )
    assert rate >= AGREEMENT_BAR, (
        f"agree on {len(agreeing)} of {len(readable)} readable cases ({rate:.1%}; "
        f"{len(unreadable)} unreadable not counted); need {AGREEMENT_BAR:.0%}. Differing:\n{listing}"
    )


def test_expression_data_is_well_formed() -> None:
    assert_provenance(CASES_FILE)
    _, cases = _load()
    assert len(cases) >= MIN_CASES
    verdicts = set()
    for i, case in enumerate(cases):
        where = f"{CASES_FILE}[{i}] ({case.get('where')})"
        for field in ("student_src", "ref_src", "student", "reference"):
            assert _text(case.get(field, "")).strip(), f"{where}: empty {field}"
        assert isinstance(case.get("variables"), list), f"{where}: variables must be a list"
        assert all(isinstance(v, str) and v for v in case["variables"]), f"{where}: bad variable name"
        assert case.get("expect") in (True, False), f"{where}: expect must be true or false"
        if "disagreement" in case:
            assert _text(case["disagreement"]).strip(), f"{where}: a disagreement needs its reason"
        verdicts.add(case["expect"])
    assert verdicts == {True, False}, "the collection needs both verdicts"
    documented = sum(1 for c in cases if c.get("disagreement"))
    # Documented disagreements alone must leave room to meet the bar.
    assert (len(cases) - documented) / len(cases) >= AGREEMENT_BAR
