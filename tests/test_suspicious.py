"""Copy detection: another student's right answers are flagged; honest wrong answers are not."""
from __future__ import annotations

import json

import numpy as np

from conftest import PRACTICE, ROOT
from helpers import variant_answers
from grader.grading import grade
from grader.model import Submission
from grader.suspicious import find

NUMERIC = ("att-argmax", "att-weights", "att-soft", "att-scaled")


def honest(spec, student, rng):
    """Half the parts right; the rest wrong the ways students are: rounding slips, noise, made-up numbers,
    and two systematic slips (the lowest-scoring key taken as the best, hard attention throughout; no
    softmax, equal weights throughout), whose answers are other variants' right answers far more often
    than chance in a continuum would say (a zero query row makes equal weights right)."""
    answers = variant_answers(spec, student)
    values = spec.variant(student).values
    roll = rng.random()
    if roll < 0.2:
        j = int(np.argmin(values["scores"]))
        row = values["values"][j].astype(float).tolist()
        answers.update({"att-argmax": row, "att-soft": row, "att-weights": [float(i == j) for i in range(4)]})
        return answers
    if roll < 0.35:  # no softmax at all: equal weights, the mean of the values
        mean = values["values"].mean(axis=0).tolist()
        answers.update({"att-weights": [0.25] * 4, "att-soft": mean, "att-scaled": [mean, mean]})
        return answers
    for pid in NUMERIC:
        value = np.asarray(answers[pid], dtype=float)
        roll = rng.random()
        if roll < 0.5:
            continue
        if roll < 0.7:
            wrong = value + rng.normal(0, 0.3, value.shape)
        elif roll < 0.85:
            wrong = rng.integers(-4, 5, value.shape).astype(float)
        else:
            wrong = np.round(rng.uniform(-4, 4, value.shape), 2)
        answers[pid] = np.round(wrong, 3).tolist()
    return answers


def report(spec, student, answers):
    return grade(spec, Submission(student=student, answers=answers)).to_json()


def test_a_class_of_1000_honest_students_has_no_flag_and_a_planted_copy_is_flagged(practice):
    rng = np.random.default_rng(2026)
    students = [f"{40200000 + i}" for i in range(1000)]
    reports = [report(practice, s, honest(practice, s, rng)) for s in students]
    findings = find(practice, reports)
    assert not [f for f in findings if f.flagged], [f.to_json() for f in findings if f.flagged][:3]
    assert findings, "random integer answers do hit other variants' argmax outputs: they must be seen, and cleared"
    # student B hands in student A's correct answers
    a, b = students[10], students[11]
    reports[11] = report(practice, b, variant_answers(practice, a))
    flagged = [f for f in find(practice, reports) if f.flagged]
    assert [(f.student, f.other) for f in flagged] == [(b, a)]
    [copy] = flagged
    assert {m.part for m in copy.matches} >= {"att-soft", "att-scaled"}
    assert copy.expected < 0.01 and copy.p < 1e-8


def test_a_single_coincidence_on_a_common_value_is_not_flagged(practice):
    """An argmax output is one row of V: many variants share it, so one such match says little."""
    a, b = "40300001", "40300002"
    mine = variant_answers(practice, b)
    mine["att-argmax"] = variant_answers(practice, a)["att-argmax"]
    reports = [report(practice, a, variant_answers(practice, a)), report(practice, b, mine)]
    reports += [report(practice, f"4031{i:04d}", honest(practice, f"4031{i:04d}", np.random.default_rng(i)))
                for i in range(100)]
    matches = [f for f in find(practice, reports) if f.student == b and f.other == a]
    if matches:  # unless a's argmax output happens to equal b's own
        assert not matches[0].flagged and matches[0].p > 1e-3


def test_suspicious_end_to_end(cli, tmp_path, practice):
    folder = tmp_path / "class"
    folder.mkdir()
    rng = np.random.default_rng(7)
    students = [f"{40400000 + i}" for i in range(40)]
    for s in students:
        answers = variant_answers(practice, students[3]) if s == students[5] else honest(practice, s, rng)
        (folder / f"{s}.json").write_text(json.dumps({"assignment": "attention-practice", "student": s,
                                                       "answers": answers}))
    out = tmp_path / "out"
    assert cli("grade", PRACTICE, folder, "--out", out, "--quiet", "--jobs", "1").status == 0
    run = cli("suspicious", out)
    assert run.status == 0
    flagged = [line for line in run.out.splitlines() if line.startswith("FLAG")]
    assert len(flagged) == 1 and flagged[0].startswith(f"FLAG {students[5]}: ")
    assert f"right for {students[3]}'s on " in flagged[0]
    data = json.loads(cli("suspicious", out, "--format", "json").out)
    assert data[0]["student"] == students[5] and data[0]["matches_variant_of"] == students[3]
    assert data[0]["flagged"] and data[0]["expected_by_chance"] < 0.01


def test_suspicious_needs_a_randomized_spec(cli, tmp_path):
    out = tmp_path / "out"
    cli("grade", ROOT / "problems" / "rnn-attention.yaml", ROOT / "submissions" / "rnn-attention", "--out", out,
        "--quiet")
    run = cli("suspicious", out)
    assert run.status == 2 and "nothing to compare" in run.err


def test_the_example_class_has_one_planted_copy(cli, tmp_path):
    out = tmp_path / "out"
    run = cli("grade", PRACTICE, ROOT / "submissions" / "attention-practice", "--out", out, "--jobs", "1")
    assert run.status == 0 and "12 graded" in run.out
    run = cli("suspicious", out)
    flagged = [line for line in run.out.splitlines() if line.startswith("FLAG")]
    assert len(flagged) == 1 and flagged[0].startswith("FLAG 40110010: ") and "right for 40110004's" in flagged[0]


def test_the_expected_count_is_p_times_the_comparisons(practice):
    a, b = "40500001", "40500002"
    reports = [report(practice, a, variant_answers(practice, a)), report(practice, b, variant_answers(practice, a))]
    [finding] = [f for f in find(practice, reports) if f.student == b]
    considered = finding.expected / finding.p  # wrong answers of b's considered, times 1 other student
    assert round(considered) == considered and 3 <= considered <= 4


def test_suspicious_refuses_a_spec_changed_since_grading(cli, tmp_path):
    spec = tmp_path / "practice.yaml"
    spec.write_text(PRACTICE.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    assert cli("grade", spec, ROOT / "submissions" / "attention-practice", "--out", out, "--quiet").status == 0
    spec.write_text(spec.read_text(encoding="utf-8").replace("salt: 7c1e9a4f2b6d3e80", "salt: new"), encoding="utf-8")
    run = cli("suspicious", out)
    assert run.status == 2 and "has changed since" in run.err
    run = cli("suspicious", out, "--spec", PRACTICE)
    assert run.status == 0 and run.out.startswith("FLAG 40110010")
