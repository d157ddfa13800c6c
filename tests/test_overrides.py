"""Manual grading: overrides survive regrading and show in every report."""
from __future__ import annotations

import json

import pytest

from conftest import SEED_CLASS, SEED_SPEC
from grader.gradebook import Gradebook, Override


def graded(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", out, "--format", "json,md").status == 0
    return out


def test_an_override_changes_the_report_and_survives_regrading(cli, tmp_path):
    out = graded(cli, tmp_path)
    run = cli("override", out, "--student", "99522086", "--part", "q3b", "--score", "2.5",
              "--comment", "Good on gradients; say which layers stop learning.")
    assert run.status == 0 and "1 override(s) recorded for 1 student(s); 2 report file(s) rewritten" in run.out
    for _ in range(2):  # as written by override, then after a full regrade
        report = json.loads((out / "99522086.json").read_text(encoding="utf-8"))
        q3b = next(p for p in report["parts"] if p["id"] == "q3b")
        assert q3b["score"] == 2.5 and q3b["status"] == "partial"
        assert q3b["override"] == {"score": 2.5, "comment": "Good on gradients; say which layers stop learning.",
                                   "automatic_score": 2.0}
        assert report["score"] == 15.5
        assert "Good on gradients" in (out / "99522086.md").read_text(encoding="utf-8")
        assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", out, "--format", "json,md", "--regrade").status == 0


def test_overrides_from_a_csv(cli, tmp_path, write):
    out = graded(cli, tmp_path)
    sheet = write("overrides.csv", "student,part,score,comment\n99522001,q3b,3,\"Complete, and clear.\"\n"
                                   "99522014,q3b,1,Too short\n")
    run = cli("override", out, "--import", sheet)
    assert run.status == 0 and "2 override(s) recorded for 2 student(s)" in run.out
    report = json.loads((out / "99522014.json").read_text(encoding="utf-8"))
    assert next(p for p in report["parts"] if p["id"] == "q3b")["override"]["comment"] == "Too short"


def test_bad_overrides_are_refused_with_one_line(cli, tmp_path, write):
    out = graded(cli, tmp_path)
    bad = [
        (["--student", "99522086", "--part", "q9", "--score", "1"], "has no part 'q9'"),
        (["--student", "99522086", "--part", "q3b", "--score", "7"], "must be from 0 to 3"),
        (["--student", "nobody", "--part", "q3b", "--score", "1"], "no submission from student 'nobody'"),
        (["--student", "99522086"], "give --student, --part and --score"),
    ]
    for args, words in bad:
        run = cli("override", out, *args)
        assert run.status == 2 and words in run.err and "Traceback" not in run.err
    sheet = write("bad.csv", "student,part,score\n99522086,q3b,many\n")
    run = cli("override", out, "--import", sheet)
    assert run.status == 2 and "bad.csv:2: score 'many' is not a number" in run.err
    assert cli("override", tmp_path / "nowhere", "--student", "a", "--part", "b", "--score", "1").status == 2


@pytest.mark.parametrize("content, words", [
    ("student,part,score,comment\n99522086,q3b,2,Fine, but short\n", "bad.csv:2: this row has 5 cells but the header "
                                                                      "names 4 columns"),
    ("student,part,score,comment\n99522086,q3b,2,Jos\xe9\n".encode("latin-1"), "bad.csv:2:19: not UTF-8 text"),
    ('student,part,score,comment\n99522086,q3b,2,"' + "x" * 200_000 + '"\n', "bad.csv:2: not readable as CSV: field "
                                                                               "larger than field limit"),
    ('student,part,score,comment\n99522086,q3b,2,"never closed\n', "bad.csv:2: not readable as CSV: unexpected end of data"),
    ("student,part,score,comment\n99522086,q3b,2," + "y" * 20_000 + "\n", "the comment is 20,000 characters long"),
    ("student,part,score,score\n99522086,q3b,2,3\n", "bad.csv:1: the header names the column 'score' twice"),
    ("name,mark\nSara,3\n", "bad.csv:1: the header must name the columns student, part, score"),
    ("", "bad.csv:1: the header must name the columns student, part, score"),
])
def test_unusable_override_sheets_get_one_clear_line(cli, tmp_path, write, content, words):
    out = graded(cli, tmp_path)
    run = cli("override", out, "--import", write("bad.csv", content))
    assert run.status == 2 and words in run.err, run.err
    assert "internal error" not in run.err and len(run.err.strip().splitlines()) == 1
    with Gradebook(out / "gradebook.sqlite") as book:
        assert book.overrides("rnn-attention") == {}  # nothing half-recorded


@pytest.mark.parametrize("encoding, delimiter", [("utf-8-sig", ","), ("utf-16", "\t"), ("utf-8", ";")])
def test_sheets_as_spreadsheets_save_them(cli, tmp_path, write, encoding, delimiter):
    """Excel's "Unicode text" is UTF-16 with tabs; European spreadsheets use semicolons and decimal commas;
    columns the importer does not know (a name) are ignored."""
    out = graded(cli, tmp_path)
    rows = [["student", "name", "part", "score", "comment"], ["99522086", "Mina", "q3b", "2,5", "Clear; short"],
            ["۹۹۵۲۲۰۰۱", "Sara", "q3b", "3", "Complete"]]
    text = "\r\n".join(delimiter.join(f'"{c}"' if {";", ","} & set(c) else c for c in row) for row in rows) + "\r\n"
    sheet = write("sheet.csv", text.encode(encoding))
    run = cli("override", out, "--import", sheet)
    assert run.status == 0 and "2 override(s) recorded for 2 student(s)" in run.out, run.err
    with Gradebook(out / "gradebook.sqlite") as book:
        overrides = book.overrides("rnn-attention")
    assert overrides[("99522086", "q3b")] == Override(2.5, "Clear; short")
    assert overrides[("99522001", "q3b")] == Override(3.0, "Complete")


def test_an_import_is_one_transaction_and_one_pass_over_the_class(cli, tmp_path, write, monkeypatch):
    """Linear in rows: however many rows the sheet has, the class is read once and written in one transaction."""
    out = graded(cli, tmp_path)
    statements: list[str] = []
    opened = Gradebook.__init__

    def tracing(self, path):
        opened(self, path)
        self.db.set_trace_callback(statements.append)

    monkeypatch.setattr(Gradebook, "__init__", tracing)
    counts = {}
    for rows in (1, 7):
        students = sorted(p.stem for p in SEED_CLASS.iterdir())[:rows]
        sheet = write(f"sheet{rows}.csv", "student,part,score\n" + "".join(f"{s},q3b,1\n" for s in students))
        statements.clear()
        assert cli("override", out, "--import", sheet).status == 0
        counts[rows] = (sum(s.startswith("BEGIN") for s in statements),
                        sum(s.startswith("SELECT s.source") for s in statements),
                        sum(not s.startswith("INSERT OR REPLACE INTO overrides") for s in statements))
    assert counts[1][:2] == counts[7][:2] == (1, 1)  # one transaction, one read of the class's reports
    assert counts[1][2] == counts[7][2]  # and no statement but the row's own insert repeats per row


@pytest.mark.parametrize("content, words", [
    ("student,part,score,comment\n99522001,q3b,1,first\n99522001,q3b,2,second\n",
     "bad.csv:3: student '99522001''s q3b already has 1 from"),
    ("student,part,score,assignment\n99522001,q3b,1,rnn-atention\n",
     "bad.csv:2: no assignment 'rnn-atention' in this gradebook (it holds rnn-attention)"),
    ("student,part,score\n99522001,q3b,1_5\n", "bad.csv:2: score '1_5' is not a number"),
    ("student,part,score\n99522001,q3b,nan\n", "bad.csv:2: score 'nan' is not a number"),
    ("student,part,score\n99522001,q3b,3.0000000001\n", "score 3.0000000001 for q3b must be from 0 to 3"),
])
def test_sheets_that_would_land_other_than_meant_are_refused(cli, tmp_path, write, content, words):
    out = graded(cli, tmp_path)
    run = cli("override", out, "--import", write("bad.csv", content))
    assert run.status == 2 and words in run.err, run.err


def test_sheet_rows_count_once_and_other_assignments_are_said(cli, tmp_path, write):
    out = graded(cli, tmp_path)
    sheet = write("s.csv", "student,part,score,comment,assignment\n99522001,q3b,۲٫۵,same,RNN-Attention\n"
                           "99522001,q3b,2.5,same,rnn-attention\n99522014,q3b,1,x,\n")
    run = cli("override", out, "--import", sheet)
    assert run.status == 0 and "2 override(s) recorded for 2 student(s)" in run.out, run.err
    with Gradebook(out / "gradebook.sqlite") as book:
        assert book.overrides("rnn-attention")[("99522001", "q3b")] == Override(2.5, "same")


def test_a_long_comment_is_refused_on_the_command_line_too(cli, tmp_path):
    out = graded(cli, tmp_path)
    run = cli("override", out, "--student", "99522086", "--part", "q3b", "--score", "1", "--comment", "x" * 20_000)
    assert run.status == 2 and "the comment is 20,000 characters long" in run.err


def test_a_sheet_for_several_assignments_lands_each_row_where_it_belongs(cli, tmp_path, write):
    from conftest import PRACTICE, ROOT

    out = graded(cli, tmp_path)
    assert cli("grade", PRACTICE, ROOT / "submissions" / "attention-practice", "--out", out).status == 0
    sheet = write("s.csv", "assignment,student,part,score\nrnn-attention,99522001,q3b,2\n"
                           "attention-practice,40110001,att-argmax,1\n")
    run = cli("override", out, "--import", sheet, "--assignment", "rnn-attention")
    assert run.status == 0 and "1 override(s) recorded" in run.out
    assert "1 row(s) for other assignments left as they are" in run.out
