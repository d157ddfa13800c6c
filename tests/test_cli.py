"""The seed homework end to end through the command line, and the CLI's contract (exit codes, outputs)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT, SEED_CLASS, SEED_SPEC
from grader.schemas import report_schema

SEED_STUDENT = SEED_CLASS / "99522086.yaml"


@pytest.fixture
def graded(cli, tmp_path):
    out = tmp_path / "reports"
    run = cli("grade", SEED_SPEC, SEED_CLASS, "--out", out)
    return run, out


def test_class_table_and_reports(graded):
    run, out = graded
    assert run.status == 0
    header = run.out.splitlines()[0].split()
    assert header == ["student", "score", "max", "correct", "partial", "incorrect", "invalid", "missing", "review", "error"]
    assert "8 submission(s): 8 graded, 0 unchanged (skipped); 1 unreadable" in run.out
    students = sorted(p.stem for p in out.glob("*.json"))
    assert students == ["99522001", "99522014", "99522027", "99522033", "99522048", "99522059", "99522062", "99522086"]
    assert sorted(p.stem for p in out.glob("*.md")) == students
    for path in out.glob("*.json"):
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), report_schema())


def test_seed_student_report(graded):
    _, out = graded
    report = json.loads((out / "99522086.json").read_text(encoding="utf-8"))
    assert report["student"] == "99522086"  # from Persian digits
    status = {p["id"]: (p["status"], p["score"], p["max_score"]) for p in report["parts"]}
    assert status["q1a"] == ("correct", 2, 2)
    assert status["q1b"] == ("correct", 2, 2)
    assert status["q1c"] == ("correct", 2, 2)
    assert status["q2a"] == ("correct", 2, 2)  # sigma'(z_t) x h_{t-1}, LaTeX chain graded on its last side
    assert status["q2c"] == ("correct", 2, 2)
    assert status["q3a"] == ("correct", 2, 2)
    assert status["q3b"][0] == "needs_review"
    assert 0 < status["q3b"][1] < 3  # no-gradient and side remarks found; who stops learning is not said
    q2b = next(p for p in report["parts"] if p["id"] == "q2b")
    assert (q2b["status"], q2b["diagnosis"], q2b["score"]) == ("partial", "mistake:sigma-prime-at-t", 1)
    assert "σ' is taken at the wrong step" in q2b["feedback"]
    assert status["q2d"][0] == "missing"


def test_class_diagnoses(graded):
    _, out = graded

    def part(student, pid):
        report = json.loads((out / f"{student}.json").read_text(encoding="utf-8"))
        return next(p for p in report["parts"] if p["id"] == pid)

    assert part("99522014", "q3a")["diagnosis"] == "mistake:key-instead-of-value"
    assert part("99522027", "q3a")["diagnosis"] == "mistake:scores"
    assert part("99522033", "q3a")["diagnosis"] == "mistake:soft-attention"
    assert part("99522048", "q3a")["diagnosis"] == "mistake:off-by-one"
    assert part("99522059", "q3a")["diagnosis"] == "mistake:one-hot-weights"
    assert part("99522014", "q2a")["diagnosis"] == "mistake:sigma-instead-of-its-derivative"
    assert part("99522014", "q2d")["diagnosis"] == "rule:product-kind+transpose"  # g σ'(z_i) h_{i-1}: both named
    assert "A transpose is missing: h_{i-1}ᵀ" in part("99522014", "q2d")["feedback"]
    assert "outer product with σ'(z_i)ᵀ" not in part("99522014", "q2d")["feedback"]  # the misleading advice
    assert part("99522027", "q2b")["diagnosis"] == "mistake:state-at-the-same-step"
    assert part("99522027", "q2d")["status"] == "correct"  # outer(g ⊙ σ'(z_i), h_{i-1})
    assert part("99522033", "q2a")["status"] == "correct"  # Unicode: σ′(zₜ) hₜ₋₁
    assert part("99522033", "q2b")["diagnosis"] == "sign"
    assert part("99522033", "q2d")["diagnosis"] == "transpose"
    assert part("99522048", "q2a")["status"] == "invalid"
    assert "unknown symbol 'W_h' (did you mean W_hh or W_hx?)" in part("99522048", "q2a")["feedback"]
    assert part("99522048", "q2c")["diagnosis"] == "scale"
    assert part("99522059", "q1b")["status"] == "invalid"
    assert part("99522048", "q1c")["status"] == "missing"
    assert part("99522014", "q1a")["status"] == "partial"
    broken = json.loads((out / "99522062.json").read_text(encoding="utf-8"))
    assert broken["problem"].endswith("99522062.yaml:5:1: a tab character is not allowed here; YAML indents with spaces")
    assert {p["status"] for p in broken["parts"]} == {"invalid"}
    warned = json.loads((out / "99522048.json").read_text(encoding="utf-8"))
    assert warned["warnings"] == ["answer for unknown part 'q5' was ignored"]


def test_unreadable_file_is_one_line_on_stderr(graded):
    run, _ = graded
    assert run.err.strip().endswith("99522062.yaml:5:1: a tab character is not allowed here; YAML indents with spaces")
    assert len(run.err.strip().splitlines()) == 1


def test_check_is_the_student_view_without_answers(cli):
    run = cli("check", SEED_SPEC, SEED_CLASS / "99522014")
    assert run.status == 0
    assert "key with the highest score" in run.out
    assert "total" in run.out
    assert "6, 1, 2" not in run.out and "[6" not in run.out  # the reference value


def test_no_report_leaks_a_reference_unless_released(graded):
    _, out = graded
    for path in list(out.glob("*.json")) + list(out.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert '"reference"' not in text and "Reference answer" not in text
    wrong = json.loads((out / "99522014.json").read_text(encoding="utf-8"))
    for p in wrong["parts"]:
        assert "6, 1, 2" not in p["feedback"]


def test_released_answers_are_shown(cli, write):
    spec = write("r.yaml", SEED_SPEC.read_text(encoding="utf-8").replace("title: RNNs and attention",
                                                                         "title: RNNs and attention\nrelease_answers: true"))
    run = cli("check", spec, SEED_CLASS / "99522014", "--format", "json")
    report = json.loads(run.out)
    q3a = next(p for p in report["parts"] if p["id"] == "q3a")
    assert q3a["reference"] == [6.0, 1.0, 2.0]


def test_solve_is_the_instructor_view(cli):
    run = cli("solve", SEED_SPEC, "--format", "json")
    answers = json.loads(run.out)
    assert answers["q1a"] == ["b", "c"] and answers["q1b"] == "c" and answers["q3a"] == [6.0, 1.0, 2.0]
    assert answers["q2b"] == "sum_{i=1}^{t} g_{t,i} sigma'(z_i) h_{i-1}"
    assert set(answers) == {"q1a", "q1b", "q1c", "q2a", "q2b", "q2c", "q2d", "q3a", "q3b", "q4"}
    assert answers["q4"]["functions"][1]["solver"] == "rnn.grad_W_hh"  # which reference, never its outputs


def test_fail_under(cli, tmp_path):
    # the seed student: 15 of 25 points = 60% (their q4 file is not in the seed)
    assert cli("grade", SEED_SPEC, SEED_STUDENT, "--fail-under", "60", "--out", tmp_path).status == 0
    run = cli("grade", SEED_SPEC, SEED_STUDENT, "--fail-under", "65", "--out", tmp_path)
    assert run.status == 1 and "60.0% is below --fail-under 65%" in run.err
    assert cli("check", SEED_SPEC, SEED_CLASS / "99522014", "--fail-under", "60").status == 1


def test_exit_status_2_for_unusable_input(cli, write, tmp_path):
    assert cli("grade", SEED_SPEC, tmp_path / "nope").status == 2
    assert cli("grade", write("bad.yaml", "id: [\n"), SEED_STUDENT).status == 2
    run = cli("check", SEED_SPEC, write("s.yaml", "student: 1\nanswers: [\n"))
    assert run.status == 2 and "s.yaml:3:1:" in run.err
    assert cli("grade", SEED_SPEC, SEED_STUDENT, "--format", "pdf").status == 2
    assert cli("grade", SEED_SPEC, SEED_STUDENT, "--fail-under", "lots").status == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no submission files" in cli("grade", SEED_SPEC, empty).err


def test_wrong_assignment_is_invalid(cli, write, tmp_path):
    other = write("o.yaml", "assignment: other-hw\nstudent: x1\nanswers: {q1a: b}\n")
    run = cli("check", SEED_SPEC, other)
    assert run.status == 2 and "is for assignment 'other-hw', not 'rnn-attention'" in run.err
    cli("grade", SEED_SPEC, other, "--out", tmp_path / "out")
    report = json.loads((tmp_path / "out" / "x1.json").read_text(encoding="utf-8"))
    assert {p["status"] for p in report["parts"]} == {"invalid"}
    assert report["parts"][0]["feedback"].startswith("This submission cannot be graded: ")
    same = write("c.yaml", "assignment: RNN-Attention\nstudent: x2\nanswers: {q1b: c}\n")
    assert cli("check", SEED_SPEC, same).status == 0  # ids match ignoring case, as part ids do


def test_check_of_a_missing_file_is_one_line(cli, tmp_path):
    run = cli("check", SEED_SPEC, tmp_path / "nope.yaml")
    assert run.status == 2 and run.out == "" and "nope.yaml: no such file" in run.err


def test_out_that_is_a_file_is_a_usage_error(cli, write):
    run = cli("grade", SEED_SPEC, SEED_STUDENT, "--out", write("taken", "x"))
    assert run.status == 2 and "exists and is not a directory" in run.err and "internal" not in run.err


def test_reports_get_ordinary_permissions(graded):
    _, out = graded
    assert oct((out / "99522086.json").stat().st_mode & 0o777) in (oct(0o644), oct(0o664), oct(0o666))


def test_solvers_listing(cli):
    run = cli("solvers")
    assert "attention.argmax" in run.out and "mistake key-instead-of-value" in run.out
    assert "rnn.grad_W_hh" in run.out


def test_console_script_and_module_entry_points():
    commands = [[sys.executable, "-m", "grader", "--version"]]
    script = Path(sys.executable).parent / "grader"  # installed beside the interpreter by pip
    if script.exists():
        commands.append([str(script), "--version"])
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert done.returncode == 0 and done.stdout.startswith("grader ")


@pytest.mark.parametrize("args", [("solve", "PRACTICE", "--student", ""), ("handout", "PRACTICE", "--student", " "),
                                  ("suspicious", "OUT", "--threshold", "nan"), ("suspicious", "OUT", "--threshold", "-1")])
def test_empty_ids_and_thresholds_that_are_not_numbers_are_usage_errors(cli, tmp_path, args):
    from conftest import PRACTICE

    args = [PRACTICE if a == "PRACTICE" else tmp_path if a == "OUT" else a for a in args]
    run = cli(*args)
    assert run.status == 2 and "internal error" not in run.err and "see grader --help" in run.err


def test_the_program_tunes_the_collector_for_a_run_and_freezes_what_is_left():
    """The ``grader`` program (console script and ``python -m grader``) collects new objects every 50,000, not
    every 700, while it runs, and leaves nothing for shutdown to walk; ``main()`` in-process leaves both alone."""
    probe = ("import gc, grader.cli as cli\n"
             "before = gc.get_threshold()\n"
             "cli.main = lambda: print(gc.get_threshold(), gc.get_freeze_count() > 0) or 0\n"
             "code = cli.run()\n"
             "print(before, gc.get_freeze_count() > 0, code)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    during, after = done.stdout.splitlines()
    assert during == "(50000, 20, 20) False"
    assert after == "(700, 10, 10) True 0"
