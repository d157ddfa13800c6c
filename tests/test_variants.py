"""Per-student variants: drawing, determinism, constraints, spec errors, grading each student on their own numbers."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from itertools import combinations

import numpy as np
import pytest

from conftest import PRACTICE, ROOT
from helpers import variant_answers
from grader.errors import SpecErrors
from grader.grading import grade
from grader.model import Status, Submission
from grader.spec import load_spec
from grader.variants import Stream, draw, fill, show, student_key



def submit(spec, student, answers):
    return grade(spec, Submission(student=student, answers=answers, assignment=spec.assignment.id))


SMALL = """\
    id: small
    title: Small
    salt: s3cret
    variables:
      {variables}
    parts:
      - id: p1
        kind: numeric
        points: 1
        prompt: "q = {{q}}"
        solver: attention.argmax
        params: {{query: $q, keys: $K, values: $V}}
"""


def small(write, variables: str, name: str = "small.yaml"):
    body = textwrap.dedent(SMALL).replace("{variables}", textwrap.indent(textwrap.dedent(variables).strip(), "  ").strip())
    return write(name, body.replace("{{", "{").replace("}}", "}"))


# --- the stream and the draw --------------------------------------------------------------------

def test_stream_is_uniform_and_fixed_forever():
    stream = Stream("a", "b")
    counts = np.bincount([stream.below(6) for _ in range(60_000)], minlength=6)
    assert counts.min() > 9_500 and counts.max() < 10_500  # fair die: 10,000 +- 5 sigma
    # the bytes behind every variant: a change here reshuffles every class ever handed out
    assert [Stream("x").u64() for _ in range(1)] == [Stream("x").u64()]
    assert Stream("attention-practice", "salt", "s1", "0", "query").below(1000) == \
        Stream("attention-practice", "salt", "s1", "0", "query").below(1000)
    assert 0.0 <= Stream("u").unit() < 1.0


def test_same_student_same_numbers_in_another_process(practice):
    here = {k: show(v) for k, v in practice.variant("40012345").values.items()}
    code = ("import json; from grader.spec import load_spec; from grader.variants import show; "
            f"s = load_spec({str(PRACTICE)!r}); "
            "print(json.dumps({k: show(v) for k, v in s.variant('40012345').values.items()}))")
    there = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                      cwd=ROOT).stdout)
    assert there == here


def test_student_ids_are_normalised(practice):
    a = practice.variant("S40012345").values
    for same in (" s40012345 ", "S۴۰۰۱۲۳۴۵", "ｓ40012345"):
        assert student_key(same) == student_key("S40012345")
        assert show(practice.variant(same).values["keys"]) == show(a["keys"])


def test_a_roster_of_1000_gets_distinct_reproducible_variants(practice):
    roster = [f"{40100000 + i}" for i in range(1000)]
    first = [json.dumps({k: show(v) for k, v in draw(practice.plan, s).items()}) for s in roster]
    again = [json.dumps({k: show(v) for k, v in draw(practice.plan, s).items()}) for s in roster]
    assert first == again
    pairs = list(combinations(range(1000), 2))
    same = sum(first[i] == first[j] for i, j in pairs)
    assert same / len(pairs) < 0.01
    # every draw meets its constraints: a unique argmax by a margin of 1, no repeated value rows
    for s in roster[:200]:
        values = draw(practice.plan, s)
        top = np.sort(values["scores"])
        assert top[-1] - top[-2] >= 1
        assert len(np.unique(values["values"], axis=0)) == 4
        assert np.array_equal(values["scores"], values["keys"] @ values["query"])
        assert 0 not in values["query"]


def test_a_new_salt_reshuffles_everyone(write, practice):
    text = PRACTICE.read_text(encoding="utf-8").replace("salt: 7c1e9a4f2b6d3e80", "salt: another-term")
    other = load_spec(write("practice.yaml", text))
    changed = sum(show(practice.variant(s).values["keys"]) != show(other.variant(s).values["keys"])
                  for s in map(str, range(200)))
    assert changed >= 195


def test_draw_kinds_shapes_and_constraints(write):
    spec = load_spec(small(write, """
        d: {integer: [2, 4]}
        q: {integer: [-2, 2], shape: [d], exclude: [0]}
        K: {integer: [-2, 2], shape: [3, d]}
        V: {float: [-1, 1], shape: [3, 2], decimals: 1, distinct: rows}
        s: {value: "K q", unique_max: 0.5}
        W: {float: [-1, 1], shape: [3, 3], decimals: 2, condition: 5}
        act: {choice: [sigmoid, tanh]}
    """))
    for student in map(str, range(100)):
        v = spec.variant(student).values
        assert v["q"].shape == (v["d"],) and v["K"].shape == (3, v["d"]) and 0 not in v["q"]
        assert np.all(np.round(v["V"], 1) == v["V"])
        assert np.linalg.cond(v["W"]) <= 5
        top = np.sort(v["s"])
        assert top[-1] - top[-2] >= 0.5
        assert v["act"] in ("sigmoid", "tanh")


def test_placeholders_fill_display_text_only():
    values = {"q": np.array([1, -2]), "x": 0.123456, "cell": {"name": "tanh"}}
    assert fill("q = {q}, x = {x:.2f}, f = {cell.name}, \\frac{a}{b}", values) == \
        "q = [1, -2], x = 0.12, f = tanh, \\frac{a}{b}"
    assert show(np.array([[1.0, 2.5], [3.0, -0.0]])) == "[[1, 2.5], [3, 0]]"


# --- spec errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("variables, where, words", [
    ("q: {integer: [3, 1], shape: [3]}\nK: {integer: [0, 1], shape: [4, 3]}\nV: {integer: [0, 1], shape: [4, 2]}",
     (5, 6), "range [3, 1] is empty"),
    ("q: {integer: [1, 2], shape: [n]}\nK: {integer: [0, 1], shape: [4, 3]}\nV: {integer: [0, 1], shape: [4, 2]}",
     (5, 6), "not an earlier integer variable"),
    ("q: {integer: [0, 0], shape: [3], exclude: [0]}\nK: {integer: [0, 1], shape: [4, 3]}\nV: {integer: [0, 1], shape: [4, 2]}",
     (5, 6), "exclude leaves no value"),
    ("q: {integer: [1, 2], shape: [3]}\nK: {integer: [0, 1], shape: [4, 3]}\nV: {integer: [0, 1], shape: [4, 2]}\n"
     "s: {value: \"K q +\"}", (8, 6), "variable s"),
    ("q: {integer: [1, 1], shape: [3]}\nK: {integer: [1, 1], shape: [4, 3]}\nV: {integer: [0, 1], shape: [4, 2]}\n"
     "s: {value: \"K q\", unique_max: 1}", (8, 6), "1000 tries drew no value"),
    ("q: {integer: [1, 2], shape: [3], float: [0, 1]}\nK: {integer: [0, 1], shape: [4, 3]}\n"
     "V: {integer: [0, 1], shape: [4, 2]}", (5, 6), "exactly one of"),
    ("q: {integer: [1, 2], shape: [3]}\nK: {integer: [0, 1], shape: [4, 3]}\nV: {integer: [0, 1], shape: [5000, 2]}",
     (7, 6), "sizes go from 1 to 1000"),
])
def test_variable_problems_are_file_line_col(write, cli, variables, where, words):
    path = small(write, variables)
    with pytest.raises(SpecErrors) as caught:
        load_spec(path)
    first = caught.value.problems[0]
    assert words in first.message
    assert first.line == where[0]
    run = cli("validate", path)
    assert run.status == 2 and "Traceback" not in run.err
    assert f"{path}:{first.line}:{first.col}: " in run.err


def test_unknown_reference_and_missing_salt(write):
    path = small(write, "q: {integer: [1, 2], shape: [3]}\nK: {integer: [0, 1], shape: [4, 3]}")
    with pytest.raises(SpecErrors) as caught:
        load_spec(path)
    [problem] = caught.value.problems
    assert "no variable 'V'" in problem.message and problem.line == 13
    text = path.read_text().replace("salt: s3cret\n", "")
    with pytest.raises(SpecErrors) as caught:
        load_spec(write("nosalt.yaml", text))
    assert "needs a secret 'salt'" in caught.value.problems[0].message


def test_a_variable_of_the_wrong_kind_is_caught_where_it_is_used(write):
    path = small(write, "q: {choice: [a, b]}\nK: {integer: [0, 1], shape: [4, 3]}\nV: {integer: [0, 1], shape: [4, 2]}")
    with pytest.raises(SpecErrors) as caught:
        load_spec(path)
    assert caught.value.problems[0].line == 14  # the params line that says $q
    assert "query" in caught.value.problems[0].message


# --- grading on each student's own numbers ----------------------------------------------------------

def test_each_student_scores_full_marks_on_their_own_references(practice):
    for student in ("40012345", "40012346", "a.b@uni.example"):
        report = submit(practice, student, variant_answers(practice, student))
        assert report.score == report.max_score, [(p.id, p.feedback) for p in report.parts]


def test_anothers_answers_are_wrong_for_me_and_verdicts_stay_per_version(practice):
    mine, theirs = variant_answers(practice, "40012345"), variant_answers(practice, "40012346")
    numeric = [p.id for p in practice.assignment.parts if p.kind == "numeric"]
    # grading theirs first fills the verdict cache; it must not leak into my grade
    assert submit(practice, "40012346", theirs).score == practice.assignment.max_score
    report = submit(practice, "40012345", {pid: theirs[pid] for pid in numeric})
    wrong = {p.id for p in report.parts if p.status != Status.CORRECT}
    assert set(numeric) <= wrong | {pid for pid in numeric if mine[pid] == theirs[pid]}
    assert sum(mine[pid] != theirs[pid] for pid in numeric) >= 3


def test_shuffled_options_grade_by_the_students_labels_and_count_canonically(practice):
    variant = practice.variant("40012345")
    labels = variant.labels["att-scale"]
    shown_right = next(s for s, c in labels.items() if c == "a")  # the spec's answer is (a)
    report = submit(practice, "40012345", {"att-scale": shown_right})
    part = next(p for p in report.parts if p.id == "att-scale")
    assert part.status == Status.CORRECT and part.reading == ["a"]
    wrong = next(s for s in labels if s != shown_right)
    part = next(p for p in submit(practice, "40012345", {"att-scale": wrong}).parts if p.id == "att-scale")
    assert part.status == Status.INCORRECT and part.reading == [labels[wrong]]
    assert f"({wrong})" in part.feedback  # feedback speaks the student's labels
    orders = {tuple(practice.variant(str(s)).labels["att-scale"].values()) for s in range(100)}
    assert len(orders) > 10


def test_expression_parts_vary_with_the_activation(practice):
    by_act = {}
    for s in map(str, range(40)):
        variant = practice.variant(s)
        by_act.setdefault(variant.values["cell"]["activation"], s)
    assert set(by_act) == {"sigmoid", "tanh"}
    sig, tanh = by_act["sigmoid"], by_act["tanh"]
    answer = "sum_{i=1}^{t} g_{t,i} sigma'(z_i) h_{i-1}"
    part = lambda s, a: next(p for p in submit(practice, s, {"bptt-grad": a}).parts if p.id == "bptt-grad")  # noqa: E731
    assert part(sig, answer).status == Status.CORRECT
    assert part(tanh, answer).status != Status.CORRECT
    assert part(tanh, "sum_{i=1}^{t} g_{t,i} (1 - h_i^2) h_{i-1}").status == Status.CORRECT


def test_selftest_passes_for_a_roster_of_1000(cli, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name\n" + "".join(f"{40100000 + i},Student {i}\n" for i in range(1000)))
    run = cli("validate", "--selftest", "--roster", roster, PRACTICE)
    assert run.status == 0, run.out + run.err
    assert "att-soft: 1000 of 1000 versions passed all probes" in run.out
    assert "selftest passed" in run.out


def test_solve_shows_one_students_variant(cli):
    run = cli("solve", PRACTICE, "--student", "40012345", "--format", "json")
    data = json.loads(run.out)
    assert data["answers"]["att-argmax"] == variant_answers(load_spec(PRACTICE), "40012345")["att-argmax"]
    assert data["values"]["query"] == load_spec(PRACTICE).variant("40012345").values["query"].tolist()
    run = cli("solve", PRACTICE)
    assert run.status == 2 and "--student" in run.err


# --- what a review found: bounds, fields that cannot vary, rare failures, unnamed submissions ---------

def test_ranges_too_wide_to_draw_are_spec_errors(write):
    path = write("wide.yaml", "id: w\ntitle: w\nsalt: s\nvariables:\n  x: {integer: [0, 100000000000000000000000000000]}\n"
                              "parts:\n  - {id: p, kind: numeric, points: 1, prompt: p, answer: $x}\n")
    with pytest.raises(SpecErrors) as caught:
        load_spec(path)
    assert caught.value.problems[0].line == 5 and "keep the range within" in caught.value.problems[0].message
    with pytest.raises(ValueError):
        Stream("a").below(2 ** 64 + 1)


@pytest.mark.parametrize("field, value", [("id", "$k"), ("kind", "$k"), ("points", "$n")])
def test_id_kind_and_points_cannot_vary(write, field, value):
    part = {"id": "p", "kind": "numeric", "points": 1, "prompt": "p", "answer": 1, field: value}
    body = ", ".join(f"{k}: {v}" for k, v in part.items())
    path = write("fixed.yaml", "id: w\ntitle: w\nsalt: s\nvariables:\n  k: {choice: [numeric, text]}\n"
                               "  n: {integer: [1, 3]}\nparts:\n  - {" + body + "}\n")
    with pytest.raises(SpecErrors) as caught:
        load_spec(path)
    assert f"{field} cannot vary per student" in caught.value.problems[0].message
    assert caught.value.problems[0].line == 8


def test_constraints_need_numbers_and_one_broken_variable_is_one_error(write):
    path = write("c.yaml", "id: w\ntitle: w\nsalt: s\nvariables:\n  c: {choice: [sigmoid, tanh], distinct: true}\n"
                           "  d: {value: \"1 +\"}\n  e: {value: \"2 d\"}\nparts:\n"
                           "  - {id: p, kind: numeric, points: 1, prompt: p, answer: $e}\n")
    with pytest.raises(SpecErrors) as caught:
        load_spec(path)
    messages = [(p.line, p.message) for p in caught.value.problems]
    assert [line for line, _ in messages] == [5, 6], messages  # not a third complaint about d in e
    assert "distinct needs numbers" in messages[0][1]


def test_a_failure_one_student_in_sixty_draws_is_found_by_validate(write, cli):
    path = write("rare.yaml", "id: t\ntitle: t\nsalt: abc\nvariables:\n  x: {integer: [-30, 30]}\n"
                              "  y: {value: \"1/x\"}\nparts:\n  - {id: p, kind: numeric, points: 1, prompt: p, answer: $y}\n")
    run = cli("validate", path)
    assert run.status == 2 and f"{path}:6:" in run.err and "not a finite number" in run.err
    assert "Traceback" not in run.err


def test_a_shape_size_out_of_bounds_names_its_variable(write):
    path = write("s.yaml", "id: w\ntitle: w\nsalt: s\nvariables:\n  n: {integer: [999999, 1000000]}\n"
                           "  v: {integer: [0, 1], shape: [n]}\nparts:\n  - {id: p, kind: numeric, points: 1, "
                           "prompt: p, answer: $v}\n")
    with pytest.raises(SpecErrors) as caught:
        load_spec(path)
    problem = caught.value.problems[0]
    assert (problem.line, problem.col) == (6, 32) and "variable v: its shape takes n = " in problem.message


def test_a_submission_without_a_student_id_is_invalid_for_a_randomized_spec(write, practice):
    from grader.submission import load_submission

    path = write("hw.yaml", "assignment: attention-practice\nanswers:\n  att-scale: a\n")
    report = grade(practice, load_submission(path))
    assert report.problem and "add 'student: <your id>'" in report.problem
    assert {p.status for p in report.parts} == {Status.INVALID}


def test_copy_detection_on_answers_many_share_is_quick_and_quiet(write):
    from grader.suspicious import find

    spec = load_spec(write("tiny.yaml", "id: tiny\ntitle: t\nsalt: abc\nvariables:\n  x: {integer: [1, 2]}\n"
                                        "parts:\n  - {id: p, kind: numeric, points: 1, prompt: p, answer: $x}\n"))
    reports = []
    for k in range(1000):
        student = f"T{k:04d}"
        x = spec.variant(student).values["x"]
        reports.append(submit(spec, student, {"p": 3 - x}).to_json())  # everyone wrong: the other value
    assert find(spec, reports, null_size=200) == []  # each answer is right for half the class: no evidence


def test_class_statistics_count_shuffled_picks_by_the_specs_labels(cli, tmp_path):
    folder = ROOT / "submissions" / "attention-practice"
    written = {line.split(":", 1)[1].strip() for f in folder.glob("*.yaml")
               for line in f.read_text().splitlines() if line.strip().startswith("att-scale:")}
    assert len(written) >= 3  # the students saw the right option under different labels...
    out = tmp_path / "out"
    assert cli("grade", PRACTICE, folder, "--out", out, "--quiet").status == 0
    run = cli("stats", out)
    assert "att-scale picks: (a) 100%" in run.out  # ...and every one of them picked the spec's (a)
    assert "att-weights  numeric" in run.out


# --- bounds on drawing: an impossible constraint is named at once, a costly one within a budget ---

@pytest.mark.parametrize("variable, words", [
    ("{integer: [0, 3], shape: [4], unique_max: 5}", "the range [0, 3] is only 3 wide: no draw can meet it"),
    ("{integer: [0, 2], shape: [4], distinct: true}", "distinct asks 4 different entries, but the range [0, 2] holds "
                                                      "only 3 values"),
    ("{integer: [-1, 1], shape: [4], distinct: true, exclude: [0]}", "holds only 2 values"),
    ("{float: [0, 0.2], shape: [4], decimals: 1, distinct: true}", "holds only 3 values"),
    ("{integer: [0, 1], shape: [5, 2], distinct: rows}", "distinct: rows asks 5 different rows of 2, but the range "
                                                         "[0, 1] makes only 4"),
])
def test_constraints_no_draw_can_meet_are_refused_without_drawing(write, variable, words):
    path = small(write, f"q: {variable}\nK: {{integer: [0, 1], shape: [4, 3]}}\nV: {{integer: [0, 1], shape: [4, 2]}}")
    with pytest.raises(SpecErrors) as caught:
        load_spec(path)
    [problem] = caught.value.problems
    assert words in problem.message and problem.line == 5


def test_a_constraint_met_too_rarely_is_refused_within_a_budget_of_random_numbers(write, cli):
    """A 60x60 matrix with a condition number of at most 3: possible in principle, never met in practice; it
    once kept validate busy for 10 s per student. The bound counts random numbers, so every machine agrees."""
    path = small(write, "q: {integer: [1, 2], shape: [3]}\nK: {integer: [0, 1], shape: [4, 3]}\n"
                        "V: {integer: [0, 1], shape: [4, 2]}\nM: {float: [-1, 1], shape: [60, 60], condition: 3}")
    run = cli("validate", path)
    assert run.status == 2
    assert f"{path}:8:" in run.err and "random numbers: the most one student's values may cost" in run.err
    assert "a condition number that low (condition failed" in run.err


def test_validate_stops_probing_when_versions_are_slow_to_build_and_says_so(write, cli, monkeypatch):
    import grader.spec

    monkeypatch.setattr(grader.spec, "PROBE_SECONDS", 0.0)  # as if every version took long to build
    path = small(write, "q: {integer: [1, 2], shape: [3]}\nK: {integer: [-2, 2], shape: [4, 3]}\n"
                        "V: {integer: [0, 1], shape: [4, 2]}\ns: {value: \"K q\", unique_max: 1}")
    run = cli("validate", path, "--students", "50")
    assert run.status == 0 and "1 warning(s)" in run.out
    assert "warning: only 1 of 50 students' versions were built and checked" in run.err
