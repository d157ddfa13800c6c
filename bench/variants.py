"""What per-student variants cost, against the same work without them, measured in one run.

    python bench/variants.py [--students 1000]

On problems/attention-practice.yaml, in one process (the core's cost; files and processes
are bench/batch.py's business), for N students with right and wrong answers:

- baseline: grade the N submissions with the spec's variants already built (every variant
  drawn and solved beforehand, so only checking is timed);
- variants: grade the same N submissions on a freshly loaded spec, so each student's
  variant is drawn (with rejection for the constraints) and its parts solved as grading
  meets them;
- handouts: render N Markdown handouts (variants already built), against the baseline;
- suspicious: copy detection over the N reports (including its 1,000 made-up variants),
  against the baseline.

It prints seconds, milliseconds per student and each ratio to the baseline.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading import grade  # noqa: E402
from grader.handout import handout, render  # noqa: E402
from grader.kinds import KINDS  # noqa: E402
from grader.model import Submission  # noqa: E402
from grader.spec import load_spec  # noqa: E402
from grader.suspicious import find  # noqa: E402

SPEC = ROOT / "problems" / "attention-practice.yaml"


def submissions(spec, n: int) -> list[Submission]:
    rng = np.random.default_rng(1)
    out = []
    for i in range(n):
        student = f"{40500000 + i}"
        variant = spec.variant(student)
        answers = {p.id: KINDS[p.kind].show(p.config, variant.references[p.id]) for p in variant.parts}
        for pid in ("att-argmax", "att-soft", "att-scaled"):
            if rng.random() < 0.4:
                answers[pid] = np.round(np.asarray(answers[pid], dtype=float) + rng.normal(0, 0.5), 3).tolist()
        out.append(Submission(student=student, answers=answers))
    return out


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    args = parser.parse_args()
    n = args.students
    warm = load_spec(SPEC)
    subs = submissions(warm, n)  # builds every variant of warm
    warm.verdicts.clear()
    baseline = timed(lambda: [grade(warm, s) for s in subs])
    fresh = load_spec(SPEC)
    with_variants = timed(lambda: [grade(fresh, s) for s in subs])
    handouts = timed(lambda: [render(handout(warm, s.student), "md") for s in subs])
    reports = [grade(warm, s).to_json() for s in subs]
    suspicious = timed(lambda: find(warm, reports))
    print(f"{n} students, {SPEC.name}")
    rows = [("grade, variants prebuilt (baseline)", baseline), ("grade, drawing each variant", with_variants),
            ("render handouts (md)", handouts), ("copy detection", suspicious)]
    for label, seconds in rows:
        print(f"  {label:38s} {seconds:7.2f} s  {1000 * seconds / n:6.2f} ms/student  "
              f"{seconds / baseline:5.2f}x baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
