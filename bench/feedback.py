"""How well grader's feedback teaches, against a teacher: the realistic answers of
``tests/data/realistic_answers.yaml`` (written by hand before tuning, each with a teacher's
verdict, mistake and the words a specific feedback must contain), graded one by one.

    python bench/feedback.py [--show verdicts,diagnoses,refused,leaks] [--part q2b]

It prints, in one run:
- verdicts right (grader's status against the teacher's: correct, partial, incorrect, invalid,
  review for free text);
- wrong answers with a specific and correct diagnosis: a diagnosis code that is not the generic
  "differs" one, and feedback holding every ``must_mention`` string;
- correct answers refused;
- leaks: feedback to a wrong answer that holds the reference, or a factor to divide by;
- free text: how often the provisional rubric score (never shown to students) is within half a point of the
  teacher's approximate score;
- the median time to check a wrong expression answer against a right one (what diagnosis adds).
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading import grade  # noqa: E402
from grader.kinds import KINDS  # noqa: E402
from grader.model import Submission  # noqa: E402
from grader.spec import load_spec  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "realistic_answers.yaml"
STATUS = {"correct": "correct", "partial": "partial", "incorrect": "incorrect", "invalid": "invalid",
          "needs_review": "review", "missing": "invalid", "error": "error"}
FACTOR = re.compile(r"is (-?[\d.]+(?:/[\d.]+)?) times the right one")


def references(spec, student: str) -> dict[str, str]:
    """Each part's reference as a student could read it in feedback (expressions, vectors, numbers)."""
    variant = spec.variant(student)
    out = {}
    for part in variant.parts:
        shown = KINDS[part.kind].show(part.config, variant.references[part.id])
        if part.kind in ("expression", "numeric"):
            out[part.id] = shown if isinstance(shown, str) else json.dumps(shown)
    return out


def leaks(feedback: str, reference: str | None) -> list[str]:
    found = []
    if reference and len(reference) >= 3 and reference.replace(" ", "") in feedback.replace(" ", ""):
        found.append("the reference")
    m = FACTOR.search(feedback)
    if m:
        found.append(f"a factor to divide by ({m.group(1)})")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", default="", help="comma-separated: verdicts, diagnoses, refused, leaks, free-text")
    parser.add_argument("--part", help="only this part id")
    args = parser.parse_args()
    show = set(filter(None, args.show.split(",")))
    entries = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["answers"]
    if args.part:
        entries = [e for e in entries if e["part"] == args.part]
    specs = {name: load_spec(ROOT / "problems" / f"{name}.yaml") for name in {e["spec"] for e in entries}}
    for spec in specs.values():  # warm: variants, solvers, parsed references
        grade(spec, Submission("warm", {}))
    refs: dict[tuple, dict] = {}
    tally = Counter()
    times: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, list[str]] = defaultdict(list)
    for e in entries:
        spec = specs[e["spec"]]
        student = str(e.get("student") or "corpus")
        key = (e["spec"], student)
        if key not in refs:
            refs[key] = references(spec, student)
        started = time.perf_counter()
        report = grade(spec, Submission(student, {e["part"]: e["answer"]}, named=True))
        took = time.perf_counter() - started
        part = next(p for p in report.parts if p.id == e["part"])
        got, want = STATUS[str(part.status)], e["verdict"]
        label = f"{e['id']} [{e['part']}] {e['answer']!r:.70}"
        tally["answers"] += 1
        if got == want:
            tally["verdict right"] += 1
        else:
            failures["verdicts"].append(f"{label}: grader {got}, teacher {want} -- {part.feedback[:100]}")
        if part.kind == "expression":
            times["right" if want == "correct" else "wrong" if want in ("incorrect", "partial") else "other"].append(took)
        if want == "correct":
            tally["correct"] += 1
            if got != "correct":
                tally["correct refused"] += 1
                failures["refused"].append(f"{label}: {got} -- {part.feedback[:120]}")
        teacher_score = re.search(r"(\d+(?:\.\d+)?)/(\d+)", e.get("teacher", "")) if want == "review" else None
        if teacher_score:  # free text: the provisional score an instructor sees, against the teacher's
            tally["free text"] += 1
            close = abs(part.score - float(teacher_score.group(1))) <= 0.5
            tally["free text close"] += close
            if not close:
                failures["free-text"].append(f"{label}: provisional {part.score:g}, teacher {teacher_score.group(0)}")
        if want in ("incorrect", "partial"):
            tally["wrong"] += 1
            said = part.feedback + " " + " ".join(part.details)
            mentions = [m for m in e.get("must_mention") or [] if m.lower() not in said.lower()]
            specific = part.diagnosis is not None and got == want and not mentions
            if specific:
                tally["wrong, specific diagnosis"] += 1
            else:
                why = f"missing {mentions}" if mentions else f"diagnosis {part.diagnosis}, {got}"
                failures["diagnoses"].append(f"{label} ({e.get('mistake')}): {why} -- {part.feedback[:140]}")
            leaked = leaks(said, refs[key].get(e["part"]))
            if leaked:
                tally["leaks"] += 1
                failures["leaks"].append(f"{label}: {', '.join(leaked)} -- {part.feedback[:140]}")
    n = tally["answers"]
    print(f"{n} answers from {CORPUS.relative_to(ROOT)}")
    print(f"  verdicts right                 {tally['verdict right']:4d} / {n}  ({100 * tally['verdict right'] / n:.0f}%)")
    print(f"  wrong answers, specific and correct diagnosis "
          f"{tally['wrong, specific diagnosis']:4d} / {tally['wrong']}  "
          f"({100 * tally['wrong, specific diagnosis'] / max(1, tally['wrong']):.0f}%)")
    print(f"  correct answers refused        {tally['correct refused']:4d} / {tally['correct']}")
    print(f"  leaks                          {tally['leaks']:4d}")
    if tally["free text"]:
        print(f"  free text, provisional score within 0.5 of the teacher's (instructors only) "
              f"{tally['free text close']:4d} / {tally['free text']}")
    if times["wrong"] and times["right"]:
        wrong, right = statistics.median(times["wrong"]) * 1000, statistics.median(times["right"]) * 1000
        print(f"  expression check, median: wrong {wrong:.2f} ms, right {right:.2f} ms: diagnosis adds "
              f"{wrong - right:.2f} ms")
    for kind in ("verdicts", "diagnoses", "refused", "leaks", "free-text"):
        if kind in show:
            print(f"\n{kind} ({len(failures[kind])}):")
            for line in failures[kind]:
                print("  " + line)


if __name__ == "__main__":
    main()
