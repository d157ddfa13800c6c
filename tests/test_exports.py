"""Exports pass their consumers' checks: JUnit against pytest's schema, Gradescope's documented fields,
CSVs that round-trip with formulas neutralised, escaped HTML; and the statistics are right."""
from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import xmlschema
import yaml
from xml.etree import ElementTree

from conftest import ROOT, SEED_CLASS, SEED_SPEC
from grader.export.sheets import cell
from grader.gradebook import Gradebook
from grader.stats import class_stats

FORMATS = ROOT / "tests" / "data" / "formats"
ALL = "canvas,moodle,csv,gradescope,junit,md,html,stats"

HOSTILE_NAMES = ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "Smith, Jane",
                 "Quote \"Q\" Mark", "Line\nBreak", "<script>alert(1)</script>", "مریم حسینی"]


@pytest.fixture
def exported(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", out).status == 0
    assert cli("export", out, "--format", ALL).status == 0
    return out / "export"


@pytest.fixture
def hostile(cli, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for i, name in enumerate(HOSTILE_NAMES):
        answers = {"q1b": "c", "q3b": "<img src=x onerror=alert(1)> not differentiable"}
        (folder / f"s{i}.json").write_text(json.dumps({"student": f"h{i}", "name": name, "answers": answers}),
                                           encoding="utf-8")
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, folder, "--out", out).status == 0
    assert cli("export", out, "--format", ALL).status == 0
    return out / "export"


JUNIT_SCHEMAS = ["junit-xunit-plugin.xsd", "junit-pytest.xsd"]


def strict_copy(path: Path, tmp_path: Path) -> Path:
    """The JUnit file without what only the ci family adds (file and properties on each testcase)."""
    tree = ElementTree.parse(path)
    for case in tree.iter("testcase"):
        case.attrib.pop("file", None)
        for props in case.findall("properties"):
            case.remove(props)
    copy = tmp_path / "stripped.xml"
    tree.write(copy, encoding="utf-8", xml_declaration=True)
    return copy


@pytest.mark.parametrize("xsd", JUNIT_SCHEMAS)
def test_junit_follows_the_current_jenkins_and_pytest_schemas(cli, tmp_path, exported, xsd):
    """strict validates as it is; the default ci family once file and testcase properties are taken out
    (the only things it adds, for GitLab and Jenkins' JUnit plugin)."""
    schema = xmlschema.XMLSchema(str(FORMATS / xsd))
    schema.validate(str(strict_copy(exported / "junit.xml", tmp_path)))
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(str(exported / "junit.xml"))  # the ci family's file on testcase is outside the schema
    assert cli("export", exported.parent, "--format", "junit", "--junit-family", "strict").status == 0
    schema.validate(str(exported / "junit.xml"))


def test_junit_is_what_gitlab_reads(exported):
    """GitLab reads name, classname, file and time from each testcase (never file from a testsuite), and a
    test's identity is its suite's name, classname and name."""
    tree = ElementTree.parse(exported / "junit.xml")
    cases = [(suite.get("name"), case) for suite in tree.iter("testsuite") for case in suite.iter("testcase")]
    assert len(cases) == 80
    for _, case in cases:
        assert case.get("file", "").endswith((".yaml", ".json")) and case.get("classname") and case.get("time")
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        assert set(props) == {"score", "max_score", "status"}
    assert len({(suite, case.get("classname"), case.get("name")) for suite, case in cases}) == 80
    seed = {case.get("name"): case for suite, case in cases if suite == "rnn-attention: 99522086"}
    assert set(seed) == {"q1a: RNN architectures", "q1b: RNN architectures", "q1c: RNN architectures",
                         "q2a: Back-propagation through time", "q2b: Back-propagation through time",
                         "q2c: Back-propagation through time", "q2d: Back-propagation through time",
                         "q3a: Argmax attention", "q3b: Argmax attention", "q4: BPTT in code"}


def test_junit_names_do_not_change_when_scores_do(cli, exported):
    def identities():
        tree = ElementTree.parse(exported / "junit.xml")
        return sorted((s.get("name"), c.get("classname"), c.get("name")) for s in tree.iter("testsuite")
                      for c in s.iter("testcase"))

    before = identities()
    assert cli("override", exported.parent, "--student", "99522086", "--part", "q2b", "--score", "3").status == 0
    assert cli("export", exported.parent, "--format", "junit").status == 0
    assert identities() == before
    assert '<property name="q2b.score" value="3"/>' in (exported / "junit.xml").read_text(encoding="utf-8")


def test_the_graders_own_failure_is_a_junit_error(cli, tmp_path, monkeypatch):
    import grader.kinds.numeric

    def broken(config, reference, answer):
        raise RuntimeError("a bug")

    monkeypatch.setattr(grader.kinds.numeric, "check", broken)
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, SEED_CLASS / "99522086.yaml", "--out", out).status == 0
    assert cli("export", out, "--format", "junit").status == 0
    tree = ElementTree.parse(out / "export" / "junit.xml")
    q3a = next(c for c in tree.iter("testcase") if c.get("name").startswith("q3a"))
    assert q3a.find("error") is not None and q3a.find("failure") is None
    suite = next(tree.iter("testsuite"))
    assert suite.get("errors") == "1" and tree.getroot().get("errors") == "1"
    for xsd in JUNIT_SCHEMAS:
        xmlschema.XMLSchema(str(FORMATS / xsd)).validate(str(strict_copy(out / "export" / "junit.xml", tmp_path)))


def test_junit_keeps_what_it_always_showed(exported):
    schema = xmlschema.XMLSchema(str(FORMATS / "junit-xunit-plugin.xsd"))
    tree = schema.to_dict(str(exported / "junit.xml"), validation="skip")
    suites = tree["testsuite"]
    assert len(suites) == 8 and all(len(s["testcase"]) == 10 for s in suites)
    seed = next(s for s in suites if s["@name"] == "rnn-attention: 99522086")
    props = {p["@name"]: p["@value"] for p in seed["properties"][0]["property"]}
    assert props["score"] == "15" and props["q2b.score"] == "1" and props["q2b.status"] == "partial"
    q2b = next(c for c in seed["testcase"] if c["@name"].startswith("q2b"))
    assert q2b["failure"][0]["@type"] == "mistake:sigma-prime-at-t"
    assert "σ' is taken at the wrong step" in q2b["failure"][0]["@message"]
    q3b = next(c for c in seed["testcase"] if c["@name"].startswith("q3b"))
    assert "skipped" in q3b  # awaiting an instructor's review


def test_gradescope_results_have_the_documented_fields(exported):
    schema = json.loads((FORMATS / "gradescope-results.schema.json").read_text(encoding="utf-8"))
    files = sorted((exported / "gradescope").glob("*/results.json"))
    assert len(files) == 8
    for path in files:
        results = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.validate(results, schema)
        assert len(results["tests"]) == 10
        assert math.isclose(results["score"], sum(t["score"] for t in results["tests"]))
        for test in results["tests"]:
            assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)


def test_canvas_sheet(exported):
    rows = list(csv.reader((exported / "canvas.csv").open(encoding="utf-8", newline="")))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "RNNs and attention"]
    assert rows[1] == ["Points Possible", "", "", "", "", "25"]
    by_id = {r[2]: r for r in rows[2:]}
    # the seed's q3b (free text) awaits review: its total is held back, never the rubric's guess sent as final
    assert by_id["99522086"][5] == "" and by_id["99522001"][0] == "Sara Ahmadi"


def test_plain_and_moodle_sheets(exported):
    rows = list(csv.DictReader((exported / "grades.csv").open(encoding="utf-8", newline="")))
    seed = next(r for r in rows if r["student"] == "99522086")
    assert (seed["score"], seed["q2b"], seed["q3b"], seed["awaiting_review"]) == ("", "1", "", "q3b")
    moodle = list(csv.DictReader((exported / "moodle.csv").open(encoding="utf-8", newline="")))
    assert list(moodle[0]) == ["ID number", "RNNs and attention (Real)", "RNNs and attention (Feedback)", "Full name"]
    seed = next(r for r in moodle if r["ID number"] == "99522086")
    assert seed["RNNs and attention (Real)"] == "" and "q3b awaiting review (out of 3)" in seed[
        "RNNs and attention (Feedback)"]


def test_unreviewed_totals_are_sent_only_when_asked_and_then_flagged(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", out).status == 0
    held = cli("export", out, "--format", "canvas,csv,gradescope")
    assert held.status == 0 and "totals are held back" in held.err
    assert cli("export", out, "--format", "canvas,csv,gradescope", "--unreviewed", "flag").status == 0
    canvas = {r[2]: r for r in csv.reader((out / "export" / "canvas.csv").open(encoding="utf-8", newline=""))}
    plain = {r["student"]: r for r in csv.DictReader((out / "export" / "grades.csv").open(encoding="utf-8"))}
    assert canvas["99522086"][5] == "15" and plain["99522086"]["awaiting_review"] == "q3b"
    results = json.loads((out / "export" / "gradescope" / "99522086" / "results.json").read_text())
    assert results["score"] == 15 and "q3b awaiting an instructor's review" in results["output"]
    # once the instructor scores it, it is final everywhere, held or not
    assert cli("override", out, "--student", "99522086", "--part", "q3b", "--score", "3").status == 0
    assert cli("export", out, "--format", "canvas").status == 0
    canvas = {r[2]: r for r in csv.reader((out / "export" / "canvas.csv").open(encoding="utf-8", newline=""))}
    assert canvas["99522086"][5] == "16"


def test_sheets_neutralise_formulas_and_round_trip_awkward_names(hostile):
    for sheet, column in (("canvas.csv", 0), ("grades.csv", 1), ("moodle.csv", 3)):
        rows = list(csv.reader((hostile / sheet).open(encoding="utf-8", newline="")))
        names = {r[column] for r in rows[1:]}
        for name in HOSTILE_NAMES:
            expected = "'" + name if name.startswith(("=", "+", "-", "@", "\t", "\r")) else name
            assert expected in names, (sheet, name)
        for value in names:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_cell_rule():
    assert cell("=1+1") == "'=1+1" and cell("-x") == "'-x" and cell(-2.5) == "-2.5" and cell("a=b") == "a=b"
    assert cell("\n=1+1") == "'\n=1+1" and cell("\r\n@x") == "'\r\n@x"  # a cell that starts on its next line


@pytest.mark.parametrize("value, shown", [(1234567, "1234567"), (1234567.0, "1234567"), (0.000001, "0.000001"),
                                          (1e-7, "0.0000001"), (2.5, "2.5"), (-0.0, "0"), (1 / 3, "0.3333333333333333"),
                                          (12345678901234567.0, "12345678901234568"), (21, "21")])
def test_numbers_are_plain_decimals(value, shown):
    """Canvas reads a score by /^-?[0-9.,]+%?$/: 1.23457e+06 is no score to it, and :g rounded to 6 figures."""
    assert cell(value) == shown


def test_html_pages_escape_student_text_and_keep_directions(hostile):
    pages = list((hostile / "html").glob("h*.html"))
    assert len(pages) == len(HOSTILE_NAMES)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script>" not in html and "<img" not in html
        assert 'dir="auto"' in html
    persian = (hostile / "html" / f"h{HOSTILE_NAMES.index('مریم حسینی')}.html").read_text(encoding="utf-8")
    assert "<bdi>مریم حسینی</bdi>" in persian
    assert "&lt;script&gt;" in (hostile / "html" / "index.html").read_text(encoding="utf-8")


def test_pages_show_reference_answers_only_when_released(cli, tmp_path, exported):
    assert "Reference answer" not in (exported / "html" / "99522014.html").read_text(encoding="utf-8")
    spec = tmp_path / "released.yaml"
    spec.write_text(SEED_SPEC.read_text(encoding="utf-8").replace("title: RNNs and attention\n",
                                                                  "title: RNNs and attention\nrelease_answers: true\n", 1),
                    encoding="utf-8")
    out = tmp_path / "released"
    cli("grade", spec, SEED_CLASS, "--out", out)
    cli("export", out, "--format", "html")
    page = (out / "export" / "html" / "99522014.html").read_text(encoding="utf-8")
    assert "Reference answer" in page and "[6.0, 1.0, 2.0]" in page


def test_overrides_reach_every_export(cli, tmp_path):
    out = tmp_path / "out"
    cli("grade", SEED_SPEC, SEED_CLASS, "--out", out)
    cli("override", out, "--student", "99522086", "--part", "q3b", "--score", "3", "--comment", "Full marks")
    cli("export", out, "--format", ALL)
    export = out / "export"
    canvas = {r[2]: r for r in csv.reader((export / "canvas.csv").open(encoding="utf-8", newline=""))}
    assert canvas["99522086"][5] == "16"
    results = json.loads((export / "gradescope" / "99522086" / "results.json").read_text(encoding="utf-8"))
    q3b = next(t for t in results["tests"] if t["name"].startswith("q3b"))
    assert results["score"] == 16 and "Instructor: Full marks" in q3b["output"]
    assert "Full marks" in (export / "html" / "99522086.html").read_text(encoding="utf-8")
    assert "<property name=\"q3b.score\" value=\"3\"" in (export / "junit.xml").read_text(encoding="utf-8")


def test_statistics_by_hand(cli, tmp_path, write):
    spec = write("s.yaml", """
    id: tiny
    title: Tiny
    parts:
      - {id: a, kind: choice, points: 1, prompt: x, options: {a: x, b: y, c: z}, answer: a}
      - {id: b, kind: numeric, points: 1, prompt: x, answer: 2}
    """)
    answers = [("a", 2), ("a", 2), ("b", 2), ("c", 1)]  # totals 2, 2, 1, 0
    for i, (pick, number) in enumerate(answers):
        write(f"class/s{i}.yaml", f"student: s{i}\nanswers: {{a: {pick}, b: {number}}}\n")
    out = tmp_path / "out"
    cli("grade", spec, tmp_path / "class", "--out", out)
    with Gradebook(out / "gradebook.sqlite") as book:
        stats = class_stats(book, book.assignment(None))
    a, b = stats.parts
    assert stats.students == 4 and stats.mean == 1.25 and stats.median == 1.5
    assert a.facility == 0.5 and b.facility == 0.75
    # part a: scores 1,1,0,0 against the rest of the test (part b) 1,1,1,0
    assert a.discrimination == pytest.approx(1 / math.sqrt(3))
    assert a.options == [("a", 2, 0.5), ("b", 1, 0.25), ("c", 1, 0.25)]
    run = cli("stats", out)
    assert "4 students, mean 1.25, median 1.50" in run.out
    assert (out / "export" / "class-report.html").is_file()


def test_unreadable_submissions_are_left_out_of_the_statistics_and_counted(cli, tmp_path, write):
    """Two unreadable files would add two zeros to every part: facility, discrimination, the histogram and the
    means would describe the files, not the questions."""
    spec = write("s.yaml", """
    id: tiny
    title: Tiny
    parts:
      - {id: a, kind: choice, points: 1, prompt: x, options: {a: x, b: y, c: z, d: w}, answer: a}
      - {id: b, kind: numeric, points: 1, prompt: x, answer: 2}
    """)
    answers = [("a", 2), ("b", 3), ("B", " 3 "), ("(b)", 5), ("c", 2), ("a", 7)]
    for i, (pick, number) in enumerate(answers):
        write(f"class/s{i}.yaml", f"student: s{i}\nanswers: {{a: '{pick}', b: '{number}'}}\n")
    write("class/t1.yaml", "student: t1\nanswers:\n\ta: a\n")  # a tab: unreadable
    write("class/t2.yaml", "student: t2\nanswers: [\n")
    out = tmp_path / "out"
    cli("grade", spec, tmp_path / "class", "--out", out)
    with Gradebook(out / "gradebook.sqlite") as book:
        stats = class_stats(book, book.assignment(None))
    assert (stats.students, stats.unreadable) == (6, 2)
    assert stats.scores == [2, 0, 0, 0, 1, 1] and stats.mean == 4 / 6
    a, b = stats.parts
    assert a.facility == 2 / 6 and a.answered == 6
    assert a.options == [("a", 2, 2 / 6), ("b", 3, 0.5), ("c", 1, 1 / 6), ("d", 0, 0.0)]
    assert a.wrong_answers == [("b", 3), ("c", 1)]  # counted by the option picked, however written
    assert b.wrong_answers == [("3", 2), ("5", 1), ("7", 1)]  # as written, white space aside
    run = cli("stats", out)
    assert "6 students, mean 0.67" in run.out and "2 submissions could not be read and are left out" in run.out


def test_markdown_summary_for_one_student_and_a_class(cli, tmp_path, exported):
    summary = (exported / "summary.md").read_text(encoding="utf-8")
    assert "7 students" in summary and "| q3a | 2 |" in summary  # the eighth could not be read:
    assert "1 submission could not be read and is left out" in summary
    out = tmp_path / "one"
    cli("grade", SEED_SPEC, SEED_CLASS / "99522086.yaml", "--out", out)
    cli("export", out, "--format", "md")
    single = (out / "export" / "summary.md").read_text(encoding="utf-8")
    assert "**99522086: 15 / 25**" in single


def test_export_usage_errors(cli, tmp_path, exported):
    assert cli("export", tmp_path / "nowhere", "--format", "csv").status == 2
    run = cli("export", exported.parent, "--format", "pdf")
    assert run.status == 2 and "unknown --format pdf" in run.err


def test_a_hostile_class_grades_fully_and_writes_only_inside_out(cli, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    malformed = []
    for i in range(30):
        if i % 10 == 3:  # one malformed file in ten
            path = folder / f"s{i:02d}.yaml"
            path.write_text("student: [unclosed\nanswers: {q1b: c}\n", encoding="utf-8")
            malformed.append(path.name)
            continue
        record = {"student": ["../../escape", "/etc/passwd", "..", "con", "ok"][i % 5] + ("" if i == 0 else str(i)),
                  "name": HOSTILE_NAMES[i % len(HOSTILE_NAMES)],
                  "answers": {"q1b": "c", "q3b": "<script>alert('x')</script>", "q3a": "=cmd|' /C calc'!A0"}}
        (folder / f"s{i:02d}.json").write_text(json.dumps(record), encoding="utf-8")
    out = tmp_path / "deep" / "out"
    run = cli("grade", SEED_SPEC, folder, "--out", out)
    assert run.status == 0
    assert "30 submission(s): 30 graded" in run.out and "3 unreadable" in run.out
    for name in malformed:
        assert name in run.err  # every bad file reported
    assert cli("export", out, "--format", ALL).status == 0
    everything = [p for p in tmp_path.rglob("*") if p.is_file() and "class" not in p.relative_to(tmp_path).parts]
    assert all(out in p.parents for p in everything)  # nothing outside OUT
    rows = list(csv.reader((out / "export" / "grades.csv").open(encoding="utf-8", newline="")))
    assert len(rows) == 31
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r)
    for page in (out / "export" / "html").glob("*.html"):
        assert "<script>" not in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("student", ["index", "Index"])
def test_a_student_called_index_keeps_their_page(cli, tmp_path, student):
    folder = tmp_path / "class"
    folder.mkdir()
    for sid in (student, "other"):
        (folder / f"{sid}.yaml").write_text(f"student: {sid}\nanswers: {{q1b: c}}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, folder, "--out", out).status == 0
    assert cli("export", out, "--format", "html").status == 0
    html = out / "export" / "html"
    index = (html / "index.html").read_text(encoding="utf-8")
    assert "2 students." in index
    pages = sorted(p.name for p in html.glob("*.html") if p.name != "index.html")
    assert len(pages) == 2 and "other.html" in pages
    mine = next(p for p in pages if p != "other.html")
    assert mine.startswith(f"{student}-") and f'href="{mine}"' in index
    assert f"<bdi>{student}</bdi>" in (html / mine).read_text(encoding="utf-8")


def test_canvas_fills_the_assignment_whose_id_it_is_given(cli, exported):
    assert cli("export", exported.parent, "--format", "canvas", "--canvas-assignment-id", "40721").status == 0
    rows = list(csv.reader((exported / "canvas.csv").open(encoding="utf-8", newline="")))
    assert rows[0][5] == "RNNs and attention (40721)"
    assert re.fullmatch(r"(.*)\s\((\d+)\)", rows[0][5])  # how Canvas reads the id back (title_with_id)
    for bad in ("0", "abc", "-3"):
        run = cli("export", exported.parent, "--format", "canvas", "--canvas-assignment-id", bad)
        assert run.status == 2 and "internal error" not in run.err


def test_moodle_feedback_carries_override_comments_and_unknown_ids_are_named(cli, tmp_path, write, exported):
    out = exported.parent
    assert cli("override", out, "--student", "99522086", "--part", "q3b", "--score", "3",
               "--comment", "Clear, = right").status == 0
    roster = write("roster.csv", "ID number,Full name\n99522086,Mina\n99522001,Sara\n")
    run = cli("export", out, "--format", "moodle,csv", "--roster", roster)
    assert run.status == 0
    assert "6 student id(s) the roster does not know: 99522014, 99522027" in run.err
    rows = list(csv.DictReader((exported / "moodle.csv").open(encoding="utf-8", newline="")))
    assert len(rows) == 8
    mina = next(r for r in rows if r["ID number"] == "99522086")
    assert mina["RNNs and attention (Real)"] == "16"
    assert "q3b 3/3 correct (instructor: Clear, = right)" in mina["RNNs and attention (Feedback)"]
    run = cli("export", out, "--format", "moodle,csv,canvas", "--roster", roster, "--known-only")
    assert run.status == 0 and "left out of the grade sheets" in run.err
    for sheet, column in (("moodle.csv", 0), ("grades.csv", 0), ("canvas.csv", 2)):
        rows = list(csv.reader((exported / sheet).open(encoding="utf-8", newline="")))
        ids = {r[column] for r in rows[1:]} - {""}
        assert ids == {"99522086", "99522001"}, sheet
    assert cli("export", out, "--format", "moodle", "--known-only").status == 2  # needs a roster
    assert "Moodle stops the whole import" in cli("export", out, "--format", "moodle").err


def test_the_job_summary_cuts_feedback_before_escaping(cli, tmp_path, write):
    spec = write("s.yaml", """
    id: cut
    title: Cut
    parts:
      - id: p
        kind: numeric
        points: 1
        prompt: x
        answer: 1
        feedback: {entries: "%s"}
    """ % ("<" * 400))
    out = tmp_path / "out"
    assert cli("grade", spec, write("a.yaml", "student: s\nanswers: {p: 5}\n"), "--out", out).status == 0
    assert cli("export", out, "--format", "md").status == 0
    row = next(line for line in (out / "export" / "summary.md").read_text(encoding="utf-8").splitlines()
               if line.startswith("| p |"))
    feedback = row.split(" | ")[-1].rstrip(" |")
    assert feedback.endswith("&lt;…") and "&l…" not in feedback
    shown = feedback.replace("&lt;", "<").replace("\\|", "|")  # as a reader sees it
    assert len(shown) == 300 and shown.endswith("<…")


# --- the Gradescope autograder script of docs/ci.md -----------------------------------------------

SCRIPT = ROOT / "docs" / "gradescope" / "run_autograder"


def run_autograder(tmp_path: Path, files: dict[str, str]) -> dict:
    source, submission, results = tmp_path / "source", tmp_path / "submission", tmp_path / "results"
    source.mkdir()
    submission.mkdir()
    (source / "spec.yaml").write_text(SEED_SPEC.read_text(encoding="utf-8"), encoding="utf-8")
    for name, text in files.items():
        (submission / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "GRADER_SOURCE": str(source), "GRADER_SUBMISSION": str(submission),
           "GRADER_RESULTS": str(results), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results_json = json.loads((results / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results_json, json.loads((FORMATS / "gradescope-results.schema.json").read_text("utf-8")))
    return results_json


def test_the_gradescope_script_is_the_one_the_docs_show():
    assert SCRIPT.read_text(encoding="utf-8") in (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["answers.yaml", "hw3 answers.yml", "submission.json"])
def test_the_gradescope_script_grades_the_file_whatever_its_name(tmp_path, name):
    text = (SEED_CLASS / "99522086.yaml").read_text(encoding="utf-8")
    if name.endswith(".json"):
        text = json.dumps(yaml.safe_load(text), ensure_ascii=False)
    results = run_autograder(tmp_path, {name: text, "README.txt": "not answers"})
    assert results["score"] == 13 and len(results["tests"]) == 10  # q3b (free text) held back until reviewed


@pytest.mark.parametrize("files, words", [
    ({}, "No answers were found"),
    ({"notes.txt": "hello"}, "No answers were found"),
    ({"a.yaml": "student: s1\nanswers: {q1b: c}\n", "b.yaml": "student: s2\nanswers: {q1b: c}\n"},
     "answers for 2 different students"),
])
def test_the_gradescope_script_always_leaves_a_result_that_says_why(tmp_path, files, words):
    results = run_autograder(tmp_path, files)
    assert results["score"] == 0 and words in results["output"]


def test_an_unreadable_file_in_gradescope_is_graded_invalid_with_its_line(tmp_path):
    results = run_autograder(tmp_path, {"answers.yaml": "student: s1\nanswers:\n\tq1a: b\n"})
    assert results["score"] == 0 and "answers.yaml:3:1: a tab character" in results["output"]


def test_junit_stays_well_formed_whatever_names_and_answers_hold(cli, tmp_path):
    """A file name may hold a control character, and a YAML escape can put one in an answer or a name:
    XML 1.0 cannot hold them, and one would make the whole report unreadable to every CI system."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "c\x01d.yaml").write_text("student: cc\nanswers: {q1b: c}\n", encoding="utf-8")
    (folder / "b.yaml").write_text('student: "t\\x01y"\nname: "M\\x1b[2J"\nanswers:\n  q1a: "\\x01"\n'
                                   '  q3a: "[6, 1, \\x02]"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, folder, "--out", out).status == 0
    for family in ("ci", "strict"):
        assert cli("export", out, "--format", "junit", "--junit-family", family).status == 0
        tree = ElementTree.parse(out / "export" / "junit.xml")  # well-formed
        assert len(list(tree.iter("testcase"))) == 20
        if family == "strict":
            for xsd in JUNIT_SCHEMAS:
                xmlschema.XMLSchema(str(FORMATS / xsd)).validate(str(out / "export" / "junit.xml"))


@pytest.mark.parametrize("code, said", [
    ("mistake:key-instead-of-value", "key instead of value"), ("option:a+d", "picked (a, d)"),
    ("missing-option", "a right option left out"), ("rule:index-swap+sum-bounds", "index swap + sum bounds"),
    ("unworked-derivative", "unworked derivative"), ("scale", "off by a factor"),
])
def test_class_statistics_name_each_kind_of_diagnosis_in_words(code, said):
    from grader.stats import describe_diagnosis
    assert describe_diagnosis(code) == said


def _class_gradebook(path: Path, students: int) -> Gradebook:
    """A gradebook of ``students`` reports of ten parts, each with 3,000 characters of feedback (a report of some
    30 KB), written through the gradebook's own API."""
    book = Gradebook(path)
    parts = [{"id": f"p{k}", "kind": "choice" if k < 2 else "numeric", "points": 1, "title": f"Part {k}"}
             for k in range(10)]
    book.register("big", "Big class", 10, parts, "big.yaml", "digest")
    for i in range(students):
        scored = [{"id": p["id"], "kind": p["kind"], "score": float((i + k) % 2), "max_score": 1.0,
                   "status": "correct" if (i + k) % 2 else "incorrect", "feedback": f"{k} " + "x" * 3000,
                   "diagnosis": None, "answer": "b" if k < 2 else str(i), "details": []}
                  for k, p in enumerate(parts)]
        report = {"assignment": "big", "title": "Big class", "student": f"s{i:04d}", "name": None, "source": f"s{i}",
                  "score": sum(p["score"] for p in scored), "max_score": 10.0, "problem": None, "warnings": [],
                  "parts": scored, "grader_version": "test"}
        book.record("big", f"s{i}.yaml", f"h{i}", "digest", "test", float(i), f"s{i:04d}", report,
                    {"p0": ["b"], "p1": ["a", "b"]})
    book.flush()
    return book


def test_exports_read_a_class_one_report_at_a_time(tmp_path):
    """Statistics, the JUnit file and the feedback pages keep a class's scores, not its reports: 100 more students
    (some 3 MB of reports) add far less to the memory they take (a class of 100,000 held 2 GB)."""
    import tracemalloc

    from grader.export import Options, export

    peaks = []
    for students in (5, 20, 120):  # the first makes what every export makes once (templates, the pattern cache)
        with _class_gradebook(tmp_path / f"{students}.sqlite", students) as book:
            assignment = book.assignment("big")
            (tmp_path / f"export{students}").mkdir()
            tracemalloc.start()
            try:
                stats = class_stats(book, assignment)
                export(book, assignment, tmp_path / f"export{students}", ["junit", "html", "stats", "md"], Options())
                peaks.append(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
        assert stats.students == students and stats.parts[1].options == [("a", students, 1.0), ("b", students, 1.0)]
    junit = ElementTree.parse(tmp_path / "export120" / "junit.xml").getroot()
    assert junit.get("tests") == "1200" and len(junit.findall("testsuite")) == 120
    assert peaks[2] - peaks[1] < 1_000_000, peaks
