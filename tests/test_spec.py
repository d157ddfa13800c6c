"""grader validate: every spec problem as file:line:col, exit status 2; --selftest."""
from __future__ import annotations

import json

import pytest

from conftest import SEED_SPEC

GOOD = """
id: demo
title: Demo
parts:
  - id: p1
    kind: choice
    points: 1
    prompt: Pick.
    options: {a: x, b: y}
    answer: a
"""


def test_seed_spec_validates_and_selftests(cli):
    run = cli("validate", "--selftest", SEED_SPEC)
    assert run.status == 0, run.err
    assert "rnn-attention, 10 parts, 25 points" in run.out
    assert "selftest passed" in run.out
    assert "mistake:key-instead-of-value" in run.out


def test_good_spec(cli, write):
    assert cli("validate", write("s.yaml", GOOD)).status == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        # schema: unknown field with a suggestion, at the key
        (GOOD.replace("answer: a", "answr: a"),
         ["s.yaml:4:5: p1: missing field 'answer'", "s.yaml:9:5: p1: unknown field 'answr' (did you mean 'answer'?)"]),
        # unknown kind
        (GOOD.replace("kind: choice", "kind: choise"), ["s.yaml:5:11: p1.kind: unknown kind 'choise' (did you mean 'choice'?); kinds are choice, numeric, text, expression, code"]),
        # non-positive points
        (GOOD.replace("points: 1", "points: 0"), ["s.yaml:6:13: p1.points: must be more than 0, not 0"]),
        # wrong type
        (GOOD.replace("points: 1", "points: many"), ["s.yaml:6:13: p1.points: must be a number, not 'many'"]),
        # answer not among the options
        (GOOD.replace("answer: a", "answer: c"), ["s.yaml:9:13: part p1: answer 'c' is not among the options (a, b)"]),
        # missing top-level field
        (GOOD.replace("title: Demo\n", ""), ["s.yaml:1:1: missing field 'title'"]),
    ],
)
def test_schema_and_semantic_errors_are_positioned(cli, write, text, expected):
    run = cli("validate", write("s.yaml", text))
    assert run.status == 2
    lines = [line.split("/")[-1] for line in run.err.strip().splitlines()]
    assert lines == expected
    assert "Traceback" not in run.err


NUMERIC = """
id: demo
title: Demo
parts:
  - id: p1
    kind: numeric
    points: 2
    prompt: Attend.
    solver: attention.argmax
    params:
      query: [1, 1]
      keys: [[1, 0, 0], [0, 1, 0]]
      values: [[1], [2]]
    tolerance: {rtol: -0.1}
  - id: p1
    kind: numeric
    points: 1
    prompt: Again.
    solver: attention.argmaxx
  - id: p3
    kind: numeric
    points: 1
    prompt: Tie.
    solver: attention.argmax
    params: {query: [1, 1], keys: [[1, 0], [0, 1]], values: [[1], [2]], scale: 2}
"""


def test_every_problem_is_reported_in_one_pass(cli, write):
    """The schema's problems and every sound part's own problems together; a part the schema refused is
    checked further once its fields are right (its fields may not mean what they say until then)."""
    run = cli("validate", write("n.yaml", NUMERIC))
    assert run.status == 2
    lines = [line.split("/")[-1] for line in run.err.strip().splitlines()]
    assert lines[0] == "n.yaml:13:23: p1.tolerance.rtol: must not be negative, not -0.1"
    assert lines[1] == "n.yaml:14:9: duplicate part id 'p1' (first at line 4)"
    assert lines[2].startswith("n.yaml:24:73: part p3: attention.argmax takes no param 'scale'")
    assert len(lines) == 3
    run = cli("validate", write("n.yaml", NUMERIC.replace("rtol: -0.1", "rtol: 0.1")))
    err = run.err
    assert "n.yaml:11:13: part p1: keys has 3 columns but query fixes d = 2; they must agree" in err
    assert "n.yaml:14:9: duplicate part id 'p1' (first at line 4)" in err
    assert "n.yaml:24:73: part p3: attention.argmax takes no param 'scale'" in err


def test_solver_errors_are_spec_errors(cli, write):
    tie = NUMERIC.split("  - id: p1\n    kind: numeric\n    points: 1")[0].replace(
        "keys: [[1, 0, 0], [0, 1, 0]]", "keys: [[1, 0], [0, 1]]").replace("rtol: -0.1", "rtol: 0.1")
    run = cli("validate", write("t.yaml", tie))
    assert run.status == 2
    assert "t.yaml:11:13: part p1: scores tie at keys 0 and 1" in run.err


def test_totals_must_add_up(cli, write):
    text = GOOD.replace("title: Demo\n", "title: Demo\ntotal: 5\n")
    run = cli("validate", write("s.yaml", text))
    assert "s.yaml:3:8: total is 5 but the parts add up to 1" in run.err
    grouped = """
    id: demo
    title: Demo
    questions:
      - id: q1
        points: 3
        parts:
          - {id: a, kind: choice, points: 1, prompt: x, options: {a: x, b: y}, answer: a}
    """
    run = cli("validate", write("g.yaml", grouped))
    assert "g.yaml:5:13: question q1: points is 3 but its parts add up to 1" in run.err


def test_selftest_catches_a_mistake_equal_to_another(cli, write):
    text = """
    id: demo
    title: Demo
    parts:
      - id: p
        kind: numeric
        points: 1
        prompt: x
        answer: [1, 2]
        mistakes:
          - {name: swapped, value: [2, 1], feedback: Swapped.}
          - {name: reversed, value: [2, 1], feedback: Reversed.}
    """
    run = cli("validate", "--selftest", write("m.yaml", text))
    assert run.status == 1
    assert "p: FAIL mistake reversed: expected diagnosis mistake:reversed, got mistake:swapped" in run.out


def test_a_tolerance_too_loose_to_tell_a_listed_mistake_from_the_answer_is_a_spec_error(cli, write):
    """Plain validate catches it now (it once passed until --selftest): the mistake could never be diagnosed."""
    text = """
    id: demo
    title: Demo
    parts:
      - {id: p, kind: numeric, points: 1, prompt: x, answer: 2, mistakes: [{name: half, value: 1, feedback: Half.}],
         tolerance: {atol: 5}}
    """
    path = write("m.yaml", text)
    for args in (("validate", path), ("validate", "--selftest", path)):
        run = cli(*args)
        assert run.status == 2
        assert f"{path}:4:92: part p: mistake 'half' equals the right answer within the tolerance" in run.err


def test_many_specs_and_a_missing_one(cli, write, tmp_path):
    run = cli("validate", write("s.yaml", GOOD), tmp_path / "missing.yaml")
    assert run.status == 2
    assert "s.yaml: ok" in run.out
    assert "missing.yaml: no such file" in run.err


@pytest.mark.parametrize("change, words", [
    ("points: .nan", "s.yaml:6:13: p1.points: .nan is not a finite number"),
    ("points: .inf", "s.yaml:6:13: p1.points: .inf is not a finite number"),
    ("points: 1" + "0" * 400, "s.yaml:6:13: p1.points: 100000000000000000000000000000000000000… is not a finite"),
    ("points: 0x" + "f" * 300, "is not a finite number"),
])
def test_specs_refuse_non_finite_numbers(cli, write, change, words):
    run = cli("validate", write("s.yaml", GOOD.replace("points: 1", change)))
    assert run.status == 2 and words in run.err and "internal error" not in run.err


def test_specs_refuse_non_finite_tolerances(cli, write):
    text = GOOD.replace("    options: {a: x, b: y}\n    answer: a", "    answer: 1\n    tolerance: {rtol: .nan}")
    text = text.replace("kind: choice", "kind: numeric")
    run = cli("validate", write("s.yaml", text))
    assert run.status == 2 and "p1.tolerance.rtol: .nan is not a finite number" in run.err


def test_a_listed_solver_mistake_that_cannot_happen_is_reported(cli, write):
    text = """
    id: demo
    title: Demo
    parts:
      - id: p
        kind: numeric
        points: 1
        prompt: x
        solver: attention.scaled_dot_product
        params: {Q: [[1]], K: [[1], [2]], V: [[1], [0]]}
        mistakes: [{name: unscaled}]
    """
    run = cli("validate", write("m.yaml", text))
    assert run.status == 2
    assert "m.yaml:10:23: part p: mistake 'unscaled' does not apply to these params" in run.err


def test_selftest_of_a_zero_with_strict_sigfigs(cli, write):
    text = """
    id: demo
    title: Demo
    parts:
      - {id: p, kind: numeric, points: 1, prompt: x, answer: 0, tolerance: {sigfigs: 2, strict: true}}
    """
    run = cli("validate", "--selftest", write("z.yaml", text))
    assert run.status == 0, run.out


def test_every_kind_of_problem_is_reported_in_one_pass(cli, write):
    """A new author once fixed a spec in passes, one kind of error per run: the schema's, then each part's."""
    path = write("multi.yaml", """
    id: multi
    title: Many problems
    parts:
      - {id: a, kind: numeric, points: 1, prompt: x, answer: 1, tolerance: 0.01}
      - {id: b, kind: choice, points: 1, prompt: y, options: {a: one, b: two}, answer: c}
      - {id: c, kind: expression, points: 1, prompt: z, symbols: {x: scalar}, answer: "x +"}
      - {id: d, kind: numerc, points: 1, prompt: w}
      - {id: e, kind: numeric, points: 1, prompt: v, solver: attention.argmax,
         params: {query: [1, 1], keys: [[1, 1]], valus: [[1]]}}
    """)
    run = cli("validate", path)
    assert run.status == 2
    lines = run.err.strip().splitlines()
    assert [line.split(": ", 1)[0].split(":")[-2] for line in lines] == ["4", "5", "6", "7", "9"]
    assert "a.tolerance: must be a mapping, not 0.01; write it as {rtol: 0.01} (relative) or {atol: 0.01}" in lines[0]
    assert "answer 'c' is not among the options" in lines[1]
    assert "'+' is missing its right operand" in lines[2]
    assert "unknown kind 'numerc' (did you mean 'numeric'?)" in lines[3]
    assert "takes no param 'valus'" in lines[4]


@pytest.mark.parametrize("tolerance, words", [
    ("[0.01]", "must be a mapping, not a list; for example {rtol: 1.0e-06} or {atol: 0.01} or {sigfigs: 3}"),
    ("1.0e-6", "write it as {rtol: 1.0e-6} (relative) or {atol: 1.0e-6} (absolute), or as {sigfigs: 3}"),
])
def test_a_tolerance_in_the_wrong_form_shows_the_right_one(cli, write, tolerance, words):
    path = write("t.yaml", f"id: t\ntitle: T\nparts:\n  - {{id: a, kind: numeric, points: 1, prompt: x, answer: 1, "
                           f"tolerance: {tolerance}}}\n")
    run = cli("validate", path)
    assert run.status == 2 and words in run.err


def test_messages_show_text_as_written_not_escaped(cli, write):
    path = write("b.yaml", r"""
    id: b
    title: Backslash
    parts:
      - id: p
        kind: expression
        points: 1
        prompt: x
        symbols: {'\delta': scalar}
        answer: x
    """)
    run = cli("validate", path)
    assert run.status == 2 and "'\\delta' is not a symbol name" in run.err and "\\\\delta" not in run.err


def test_schema_for_editors_of_an_installed_grader(cli, tmp_path):
    from grader.schemas import SCHEMAS, render

    run = cli("schema")
    assert run.status == 0 and json.loads(run.out)["title"] == "grader problem set"
    assert json.loads(cli("schema", "report").out)["title"] == "grader report"
    run = cli("schema", "--write", tmp_path / "schemas")
    assert run.status == 0
    for name in SCHEMAS:
        assert (tmp_path / "schemas" / name).read_text(encoding="utf-8") == render(name)
    where = (tmp_path / "schemas" / "problem.schema.json").resolve()
    assert f"# yaml-language-server: $schema={where}" in run.out


def test_schema_messages_show_names_as_written(cli, write):
    path = write("b.yaml", r"""
    id: '\delta'
    title: T
    parts:
      - {id: '\p', kind: choice, points: 1, prompt: x, options: {a: '1', b: '2'}, answer: a, scoring: '\all'}
    """)
    run = cli("validate", path)
    assert run.status == 2 and "\\\\" not in run.err
    assert "id: '\\delta' is not a valid name here: use letters, digits and _ . - (starting with a letter" in run.err
    assert "scoring: '\\all' is not one of 'all-or-nothing', 'partial'" in run.err


def test_points_finer_than_scores_are_kept_are_refused(cli, write):
    """Scores are kept to a millionth: with points 0.3333333 a full answer would score 0.333333, below the
    part's points, and --fail-under 100 would fail a perfect student."""
    path = write("p.yaml", "id: p\ntitle: P\nparts:\n  - {id: a, kind: numeric, points: 0.3333333, prompt: x, answer: 1}\n")
    run = cli("validate", path)
    assert run.status == 2 and "p.yaml:4:36: part a: points 0.3333333 has more decimals than scores keep (6)" in run.err
    assert cli("validate", write("q.yaml", path.read_text().replace("0.3333333", "0.333333"))).status == 0
