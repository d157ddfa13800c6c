"""Handouts: each student's own numbers, their own option order, a blank answer sheet, and no answers."""
from __future__ import annotations

import re

import numpy as np
import pytest
import yaml

from conftest import PRACTICE, ROOT
from grader.handout import handout, render
from grader.spec import load_spec
from grader.variants import show



def secrets_of(spec, student) -> list[str]:
    """Texts that would give an answer away: every continuous reference entry, to 4 and to all decimals."""
    variant = spec.variant(student)
    out = ["7c1e9a4f2b6d3e80"]  # the salt
    for part in variant.parts:
        if part.kind != "numeric" or part.id == "att-argmax":  # argmax picks a row of V, which is given
            continue
        for x in np.ravel(variant.references[part.id].value):
            out += [repr(float(x)), f"{x:.4f}"]
    for part in variant.parts:
        if part.kind == "expression":
            out.append(part.config.answer_text)
    return out


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_handout_has_my_numbers_and_no_answers(practice, fmt):
    text = render(handout(practice, "40012345", "Sara"), fmt)
    values = practice.variant("40012345").values
    for name in ("query", "keys", "values", "Q"):
        assert show(values[name]) in text
    assert f"T = {values['T']} steps" in text and values["cell"]["name"].split()[-1] in text
    for secret in secrets_of(practice, "40012345"):
        assert secret not in text
    assert "{query}" not in text and "$query" not in text


def test_the_answer_sheet_is_a_submission_skeleton(practice):
    text = render(handout(practice, "40012345"), "md")
    sheet = yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))
    assert sheet["assignment"] == "attention-practice" and sheet["student"] == "40012345"
    assert list(sheet["answers"]) == [p.id for p in practice.assignment.parts]


def test_options_are_in_the_students_own_order(practice):
    for student in ("40012345", "40012346", "40012347"):
        sheet = handout(practice, student)
        [part] = [p for s in sheet["sections"] for p in s["parts"] if p["id"] == "att-scale"]
        config = practice.variant(student).parts[4].config
        assert part["options"] == [(label, config.texts[label]) for label in config.options]
        assert [label for label, _ in part["options"]] == ["a", "b", "c", "d"]


def test_a_roster_gets_one_handout_each(cli, tmp_path, practice):
    roster = tmp_path / "roster.csv"
    ids = [f"{40100000 + i}" for i in range(1000)] + ["../escape", "<b>x</b>"]
    roster.write_text("Student,Name\n" + "".join(f"{s},Name {i}\n" for i, s in enumerate(ids))
                      + "40100000,duplicate row\n", encoding="utf-8")
    out = tmp_path / "handouts"
    run = cli("handout", PRACTICE, "--roster", roster, "--out", out, "--format", "html")
    assert run.status == 0, run.err
    files = sorted(out.iterdir())
    assert len(files) == 1002 and all(f.parent == out for f in files)
    assert "1002 handout(s) written" in run.out
    for student in ("40100000", "40100999"):
        text = (out / f"{student}.html").read_text(encoding="utf-8")
        assert show(practice.variant(student).values["keys"]) in text
        for secret in secrets_of(practice, student):
            assert secret not in text
    hostile = next(f for f in files if f.name.startswith("b_x_b"))
    assert "<b>x</b>" not in hostile.read_text(encoding="utf-8")  # escaped, never markup
    assert not (tmp_path / "escape.html").exists()


def test_handout_cli_errors(cli, tmp_path):
    assert cli("handout", PRACTICE).status == 2
    bad = tmp_path / "roster.csv"
    bad.write_text("email,name\na@b,c\n")
    run = cli("handout", PRACTICE, "--roster", bad, "--out", tmp_path / "h")
    assert run.status == 2 and f"{bad}:1:1: no student id column" in run.err
    bad.write_text("student,name\n,nameless\n")
    run = cli("handout", PRACTICE, "--roster", bad, "--out", tmp_path / "h")
    assert run.status == 2 and f"{bad}:2:1: this row has no student id" in run.err
    run = cli("handout", PRACTICE, "--student", "s1")
    assert run.status == 0 and run.out.startswith("# Attention and BPTT practice")


def test_a_fixed_spec_gets_the_same_handout_for_everyone(cli):
    seed = ROOT / "problems" / "rnn-attention.yaml"
    a = cli("handout", seed, "--student", "a").out
    b = cli("handout", seed, "--student", "b").out
    assert a.replace("**a**", "") == b.replace("**b**", "").replace('"b"', '"a"')
    assert "q3a" in a and "Select all tasks that suit a many-to-one RNN" in a


def test_markdown_shows_roster_text_as_text(practice):
    text = render(handout(practice, "<img src=x onerror=alert(1)>", "<script>x</script>"), "md")
    assert "<img" not in text.split("## Your answer sheet")[0] and "<script>" not in text
    assert "&lt;script&gt;" in text


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_rosters_as_spreadsheets_and_lmss_write_them(tmp_path, delimiter):
    from grader.roster import read_roster

    roster = tmp_path / "r.csv"
    roster.write_text(f"student{delimiter}name\n40110001{delimiter}Ava Rahimi\n", encoding="utf-8")
    assert [(e.student, e.name) for e in read_roster(roster)] == [("40110001", "Ava Rahimi")]
    canvas = 'Student,ID,SIS User ID,SIS Login ID,Section\n    Points Possible,,,,\n"Rahimi, Ava",123,40110001,ava,S1\n'
    roster.write_text(canvas, encoding="utf-8")
    assert [(e.student, e.name) for e in read_roster(roster)] == [("40110001", "Rahimi, Ava")]
    roster.write_text("Student ID\n40110001\n40110002\n", encoding="utf-8")
    assert [e.student for e in read_roster(roster)] == ["40110001", "40110002"]
    roster.write_text("40110001\n40110002\n", encoding="utf-8")
    assert [e.student for e in read_roster(roster)] == ["40110001", "40110002"]


def test_the_answer_sheet_quotes_an_assignment_id_that_looks_like_a_number(write):
    seed = (ROOT / "problems" / "rnn-attention.yaml").read_text(encoding="utf-8")
    spec = load_spec(write("n.yaml", seed.replace("id: rnn-attention", "id: '2024'", 1)))
    sheet = yaml.safe_load(re.search(r"```yaml\n(.*?)```", render(handout(spec, "s1"), "md"), re.S).group(1))
    assert sheet["assignment"] == "2024"


def test_question_text_may_be_a_whole_variable_and_a_whole_case_is_never_shown(write):
    from grader.errors import SpecErrors

    base = """\
        id: w
        title: "Week {n}"
        salt: s
        variables:
          n: {integer: [3, 3]}
          intro: {choice: ["Read carefully."]}
          cell: {choice: [{name: tanh, answer: "x"}]}
        questions:
          - id: q
            title: $intro
            prompt: PROMPT
            parts:
              - {id: p, kind: numeric, points: 1, prompt: "n = {n}", answer: $n}
    """
    sheet = handout(load_spec(write("a.yaml", base.replace("PROMPT", "$intro"))), "s1")
    assert sheet["title"] == "Week 3" and sheet["sections"][0]["title"] == "Read carefully."
    assert sheet["sections"][0]["prompt"] == "Read carefully."
    with pytest.raises(SpecErrors) as caught:
        load_spec(write("b.yaml", base.replace("PROMPT", '"f is {cell}"')))
    problem = caught.value.problems[0]
    assert "{cell} is a whole case of fields" in problem.message and problem.line == 11
