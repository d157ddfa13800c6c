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

End to end (``--students``, default 100): a spec with one expression part per pair (the reference side
as its answer) and a class of that many submissions, graded with ``grader grade --jobs 1 --format json``
in a fresh process; the same command on one submission answering nothing is the start-up, taken off.
Each student writes each part's answer as the pair's student side, the way students vary it: as
written, without spaces, with spaces around every operator, or the reference side itself. It prints
grader's seconds per graded part, the median sympy check divided by it, the distinct answers that
had to be checked, and whether every verdict is compare_scalar's.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
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


ROUNDS = 5  # alternating start-up and class runs: on a shared machine one command moves by 20-30% from run to run

SPELLINGS = ((0.5, "as written"), (0.2, "no spaces"), (0.15, "spaced"), (0.15, "the reference"))


def spelled(case: dict, rng: random.Random) -> str:
    way = rng.choices([w for _, w in SPELLINGS], [p for p, _ in SPELLINGS])[0]
    text = case["student"]
    if way == "no spaces":
        return text.replace(" ", "")
    if way == "spaced":
        return re.sub(r"\s*([-+*/^=])\s*", r" \1 ", text).strip()
    return case["reference"] if way == "the reference" else text


def end_to_end(pairs: list[dict], students: int, work: Path) -> dict:
    """Seconds per graded part of ``grader grade`` on a spec of one part per pair and ``students``
    submissions, start-up taken off; and whether each part's verdict is compare_scalar's."""
    spec = work / "pairs.yaml"
    kept = list(range(len(pairs)))
    for _ in range(5):  # a reference grader cannot compute as a part's answer (NaN somewhere) is left out
        parts = [{"id": f"p{k}", "kind": "expression", "points": 1, "prompt": "Simplify.",
                  "answer": pairs[k]["reference"], "symbols": {v: "scalar" for v in pairs[k]["variables"]}}
                 for k in kept]
        spec.write_text(yaml.safe_dump({"id": "pairs", "title": "Pairs", "parts": parts}, allow_unicode=True),
                        "utf-8")
        done = subprocess.run([sys.executable, "-m", "grader", "validate", str(spec)], cwd=ROOT, capture_output=True,
                              text=True)
        bad = {int(k) for k in re.findall(r"part p(\d+):", done.stderr)}
        if done.returncode == 0 or not bad:
            break
        kept = [k for k in kept if k not in bad]
    pairs = [pairs[k] for k in kept]
    parts = [{"id": f"p{j}", "kind": "expression", "points": 1, "prompt": "Simplify.", "answer": case["reference"],
              "symbols": {v: "scalar" for v in case["variables"]}} for j, case in enumerate(pairs)]
    spec.write_text(yaml.safe_dump({"id": "pairs", "title": "Pairs", "parts": parts}, allow_unicode=True), "utf-8")
    rng = random.Random(1)
    klass, empty = work / "class", work / "empty"
    klass.mkdir()
    empty.mkdir()
    distinct: set = set()
    for s in range(students):
        answers = {}
        for k, case in enumerate(pairs):
            answers[f"p{k}"] = spelled(case, rng) if s else case["student"]  # the first writes each as given
            distinct.add((k, answers[f"p{k}"]))
        (klass / f"s{s:04d}.json").write_text(json.dumps({"student": f"s{s:04d}", "answers": answers}), "utf-8")
    (empty / "s.json").write_text(json.dumps({"student": "s", "answers": {}}), "utf-8")

    def grade(folder: Path, out: Path) -> float:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "grader", "grade", str(spec), str(folder), "--out", str(out),
                               "--jobs", "1", "--format", "json", "--quiet"], cwd=ROOT, capture_output=True, text=True)
        if done.returncode not in (0, 1):
            raise SystemExit(f"grader grade failed:\n{done.stderr}")
        return time.perf_counter() - started

    rounds = [(grade(empty, work / f"e{r}"), grade(klass, work / f"o{r}")) for r in range(ROUNDS)]
    startup = statistics.median(e for e, _ in rounds)
    total = startup + statistics.median(t - e for e, t in rounds)  # each round's class less its own start-up
    first = json.loads((work / "o0" / "s0000.json").read_text(encoding="utf-8"))
    verdicts = [p["status"] == "correct" for p in first["parts"]]
    return {"per_part": (total - startup) / (students * len(pairs)), "startup": startup, "total": total,
            "distinct": len(distinct), "verdicts": dict(zip(kept, verdicts)), "parts": len(pairs)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="use only the first N readable pairs")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds sympy may spend on one pair")
    ap.add_argument("--students", type=int, default=100, help="submissions of the end-to-end class (0: skip it)")
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

    whole = None
    if args.students:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "grader")], check=True)  # as installed
        work = Path(tempfile.mkdtemp(prefix="grader-expr-bench-"))
        try:
            whole = end_to_end(pairs, args.students, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

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
    if whole is not None:
        changed = sum(v != ours[k] for k, v in whole["verdicts"].items())
        print(f"end to end: grader grade, {whole['parts']} expression parts x {args.students} students "
              f"({whole['distinct']} distinct answers): {whole['total']:.2f} s, start-up {whole['startup']:.2f} s")
        print(f"  grader per graded part, start-up taken off: {whole['per_part'] * 1e6:8.1f} us")
        print(f"  median sympy check / grader per part:       "
              f"{statistics.median(theirs_seconds) / whole['per_part']:8.1f}x")
        print(f"  verdicts as compare_scalar's: {whole['parts'] - changed}/{whole['parts']} "
              f"({len(pairs) - whole['parts']} pairs left out: their reference is no part's answer)")
    for i in decided:
        if ours[i] != theirs[i]:
            case = pairs[i]
            print(f"  differ: {case['student']!r} vs {case['reference']!r}: grader {ours[i]}, sympy {theirs[i]}, "
                  f"source {case['expect']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
