"""Agreement with test cases taken from established answer checkers.

The cases live in tests/data/external/*.yaml, each with its provenance
(repository, path, commit, and the test / fixture row it came from).  Every
expected verdict or score is the one the source states; see
tests/data/external/README.md for how each source's options were mapped onto
our Tolerance fields and scoring names, and for the cases that are excluded.

Cases marked `disagreement:` are places where the source and our documented
semantics differ on purpose (or where sources contradict each other).  For
those the test asserts that we still *differ* (the reason is in the case and
in the README), so a change of behaviour there fails loudly instead of passing
quietly; ``test_agreement_rate`` keeps the share of agreeing cases at 95% or more.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from helpers import assert_provenance, expecting, external_cases, external_ids


FILES = (
    "tolerance_cases.yaml",
    "strict_cases.yaml",
    "sigfig_count_cases.yaml",
    "multiselect_cases.yaml",
)


def _load(name: str) -> tuple[dict[str, dict[str, Any]], tuple[dict[str, Any], ...]]:
    return external_cases(name)


def _num(x: Any) -> float:
    # YAML 1.1 reads "1e-5" as a string, so every number goes through float().
    return float(x)


def _tol_label(tol: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in tol.items())


def _params(name: str, describe) -> list[Any]:
    return [pytest.param(case, id=ident) for case, ident in zip(_load(name)[1], external_ids(name, describe))]


def _make_tolerance(tol: dict[str, Any], strict: bool = False):
    from grader.tolerance import Tolerance

    kwargs: dict[str, Any] = {}
    for key in ("rtol", "atol"):
        if key in tol:
            kwargs[key] = _num(tol[key])
    for key in ("sigfigs", "decimals"):
        if key in tol:
            kwargs[key] = int(tol[key])
    if strict or tol.get("strict"):
        kwargs["strict"] = True
    return Tolerance(**kwargs)


# --------------------------------------------------------------------------
# within(a, b, tol)


@pytest.mark.parametrize(
    "case",
    _params(
        "tolerance_cases.yaml",
        lambda c: f"{c['student']} vs {c['ref']} [{_tol_label(c['tol'])}]",
    ),
)
def test_within_agrees_with_source(case: dict[str, Any]) -> None:
    from grader.tolerance import within

    with expecting(case):
        tol = _make_tolerance(case["tol"])
        got = within(_num(case["a"]), _num(case["b"]), tol)
        assert bool(got) is case["expect"], (
            f"within({case['student']!r}={_num(case['a'])!r}, {case['ref']!r}={_num(case['b'])!r}, {tol})"
            f" returned {got!r}; source says {case['expect']}"
            + (f" ({case['note']})" if case.get("note") else "")
        )


# --------------------------------------------------------------------------
# written_ok(text, b, tol) with strict sigfigs / decimals


@pytest.mark.parametrize(
    "case",
    _params(
        "strict_cases.yaml",
        lambda c: f"{c['text']} vs {c['ref']} [{_tol_label(c['tol'])}]",
    ),
)
def test_written_ok_agrees_with_source(case: dict[str, Any]) -> None:
    from grader.tolerance import written_ok

    with expecting(case):
        tol = _make_tolerance(case["tol"], strict=True)
        got = written_ok(case["text"], _num(case["b"]), tol)
        assert bool(got) is case["expect"], (
            f"written_ok({case['text']!r}, {case['ref']!r}={_num(case['b'])!r}, {tol})"
            f" returned {got!r}; source says {case['expect']}"
            + (f" ({case['note']})" if case.get("note") else "")
        )


# --------------------------------------------------------------------------
# count_sigfigs / count_decimals


def _describe_count(c: dict[str, Any]) -> str:
    n = f" n={c['n']}" if "n" in c else ""
    return f"{c['check']} {c['text']!r}{n} -> {c['expect']}"


@pytest.mark.parametrize("case", _params("sigfig_count_cases.yaml", _describe_count))
def test_written_precision_count_agrees_with_source(case: dict[str, Any]) -> None:
    from grader.numbers import count_decimals, count_sigfigs

    with expecting(case):
        text, check, expect = case["text"], case["check"], case["expect"]
        if check.startswith("sigfigs"):
            lo, hi = count_sigfigs(text)
            if check == "sigfigs_range":
                got: Any = [lo, hi]
                assert got == list(expect), f"count_sigfigs({text!r}) = {(lo, hi)}; source says {tuple(expect)}"
            elif check == "sigfigs_fewest":
                assert lo == expect, f"count_sigfigs({text!r}) = {(lo, hi)}; source counts {expect}"
            elif check == "sigfigs_in_range":
                got = lo <= case["n"] <= hi
                assert got is expect, (
                    f"count_sigfigs({text!r}) = {(lo, hi)}, so n={case['n']} in range is {got}; source says {expect}"
                )
            elif check == "sigfigs_strict":
                got = lo == case["n"]
                assert got is expect, (
                    f"count_sigfigs({text!r}) = {(lo, hi)}, so strict count == {case['n']} is {got}; source says {expect}"
                )
            else:  # pragma: no cover - data error
                pytest.fail(f"unknown check {check!r}")
        elif check == "decimals":
            got = count_decimals(text)
            assert got == expect, f"count_decimals({text!r}) = {got}; source says {expect}"
        elif check == "decimals_equal":
            got = count_decimals(text) == case["n"]
            assert got is expect, f"count_decimals({text!r}) == {case['n']} is {got}; source says {expect}"
        else:  # pragma: no cover - data error
            pytest.fail(f"unknown check {check!r}")


# --------------------------------------------------------------------------
# score_picks


def _describe_picks(c: dict[str, Any]) -> str:
    picked = ",".join(c["picked"]) or "-"
    correct = ",".join(c["correct"]) or "-"
    return f"{c['scoring']} picked={picked} correct={correct} n={len(c['options'])}"


@pytest.mark.parametrize("case", _params("multiselect_cases.yaml", _describe_picks))
def test_score_picks_agrees_with_source(case: dict[str, Any]) -> None:
    from grader.kinds.choice import score_picks

    with expecting(case):
        score = score_picks(set(case["picked"]), set(case["correct"]), list(case["options"]), case["scoring"])
        assert 0.0 <= score <= 1.0
        expect = case["expect"]
        if "score" in expect:
            assert math.isclose(score, float(expect["score"]), rel_tol=1e-9, abs_tol=1e-12), (
                f"score {score!r}; source says {expect['score']}"
            )
        elif "score_at_least" in expect:
            assert round(score - float(expect["score_at_least"]), 7) >= 0, (
                f"score {score!r}; source asserts at least {expect['score_at_least']}"
            )
        else:
            verdict = expect["verdict"]
            got = "correct" if score == 1 else "incorrect" if score == 0 else "partially-correct"
            assert got == verdict, f"score {score!r} is {got}; source says {verdict}"


# --------------------------------------------------------------------------
# the data files themselves


@pytest.mark.parametrize("name", FILES)
def test_external_data_is_well_formed(name: str) -> None:
    assert_provenance(name)


def test_agreement_rate() -> None:
    """The acceptance bar: we agree with the external checkers on at least 95% of their cases."""
    total = differ = 0
    for name in FILES:
        _, cases = _load(name)
        total += len(cases)
        differ += sum(1 for c in cases if c.get("disagreement"))
    assert total >= 400
    assert (total - differ) / total >= 0.95, f"{differ} of {total} cases disagree"
