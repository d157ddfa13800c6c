"""Expression checking: grader's numeric check vs a computer-algebra check of the same pairs.

    pip install sympy        # for this benchmark only; grader itself does not use it
    python bench/expr_vs_sympy.py [--limit N] [--timeout SECONDS]

The pairs are the external equivalence cases (tests/data/external/expression_cases.yaml,
from STACK, edX, PrairieLearn, WeBWorK) that both checkers can read. For each pair sympy
decides with simplify(a - b) == 0, falling back to a.equals(b); grader with
compare_scalar. Both run in this process, one after the other, and the script prints
the ratio of their times, and how often their verdicts agree with each other and with
the source. The pairs are fixed test data, not student text, so parsing them with
sympy here is safe.
"""
from __future__ import annotations

import argparse
import re
import signal
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.expr import ExprError, compare_scalar  # noqa: E402

try:
    import sympy
    from sympy.parsing.sympy_parser import (convert_xor, implicit_multiplication_application, parse_expr,
                                            standard_transformations)
except ImportError:  # pragma: no cover - the benchmark's own dependency
    sys.exit("this benchmark compares against sympy: pip install sympy")


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout


def sympy_text(text: str) -> str:
    """Our syntax into sympy's for these cases: ^ is handled by convert_xor; names differ a little."""
    text = re.sub(r"\bsigma\(", "(lambda u: 1/(1+exp(-u)))(", text)
    text = re.sub(r"\babs\(", "Abs(", text)
    text = re.sub(r"\bln\(", "log(", text)
    return text


def sympy_equal(student: str, reference: str, names: list[str], timeout: float) -> bool | None:
    local = {n: sympy.Symbol(n, real=True) for n in names}
    local.update({"e": sympy.E, "pi": sympy.pi})
    transformations = standard_transformations + (implicit_multiplication_application, convert_xor)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        a = parse_expr(sympy_text(student), local_dict=local, transformations=transformations)
        b = parse_expr(sympy_text(reference), local_dict=local, transformations=transformations)
        difference = sympy.simplify(a - b)
        if difference == 0:
            return True
        verdict = a.equals(b)
        return bool(verdict) if verdict is not None else False
    except Timeout:
        return None
    except Exception:  # sympy could not read or decide this pair
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="use only the first N readable pairs")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds sympy may spend on one pair")
    args = ap.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    cases = yaml.safe_load((ROOT / "tests/data/external/expression_cases.yaml").read_text(encoding="utf-8"))["cases"]

    pairs = []
    for case in cases:
        try:
            compare_scalar(case["student"], case["reference"], case["variables"])
        except ExprError:
            continue  # grader cannot read it: not a pair both can check
        pairs.append(case)
    if args.limit:
        pairs = pairs[: args.limit]

    ours_seconds, ours = [], []
    for case in pairs:
        start = time.perf_counter()
        ours.append(compare_scalar(case["student"], case["reference"], case["variables"]))
        ours_seconds.append(time.perf_counter() - start)

    theirs_seconds, theirs = [], []
    for case in pairs:
        start = time.perf_counter()
        theirs.append(sympy_equal(case["student"], case["reference"], case["variables"], args.timeout))
        theirs_seconds.append(time.perf_counter() - start)

    decided = [i for i, v in enumerate(theirs) if v is not None]
    same = sum(ours[i] == theirs[i] for i in decided)
    ours_right = sum(ours[i] == pairs[i]["expect"] for i in range(len(pairs)))
    theirs_right = sum(theirs[i] == pairs[i]["expect"] for i in decided)
    t_ours, t_theirs = sum(ours_seconds), sum(theirs_seconds)
    t_ours_decided = sum(ours_seconds[i] for i in decided)
    t_theirs_decided = sum(theirs_seconds[i] for i in decided)

    print(f"pairs both can read: {len(pairs)} (sympy decided {len(decided)}, "
          f"{len(pairs) - len(decided)} unreadable or over {args.timeout:g} s)")
    print(f"grader  total {t_ours * 1e3:9.1f} ms   median {statistics.median(ours_seconds) * 1e6:8.0f} us/pair")
    print(f"sympy   total {t_theirs * 1e3:9.1f} ms   median {statistics.median(theirs_seconds) * 1e6:8.0f} us/pair")
    print(f"ratio (sympy / grader), all pairs:           {t_theirs / t_ours:8.1f}x")
    print(f"ratio (sympy / grader), pairs sympy decided: {t_theirs_decided / t_ours_decided:8.1f}x")
    print(f"ratio of medians:                            "
          f"{statistics.median(theirs_seconds) / statistics.median(ours_seconds):8.1f}x")
    print(f"same verdict as sympy where it decided: {same}/{len(decided)}")
    print(f"agree with the source: grader {ours_right}/{len(pairs)}, sympy {theirs_right}/{len(decided)}")
    for i in decided:
        if ours[i] != theirs[i]:
            case = pairs[i]
            print(f"  differ: {case['student']!r} vs {case['reference']!r}: grader {ours[i]}, sympy {theirs[i]}, "
                  f"source {case['expect']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
