"""Bad and hostile input: one clear line or an invalid part, never a traceback, never a write outside --out."""
from __future__ import annotations

import json

import pytest

from conftest import SEED_SPEC

BILLION_LAUGHS = "\n".join(
    ['assignment: rnn-attention', 'student: bomb', 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    + ["answers: {q3a: *l9}"]
) + "\n"

SUBMISSIONS = {
    "malformed.yaml": ("assignment: rnn-attention\nstudent: m1\nanswers: {q1a: [b, c}\n", "malformed.yaml:3:"),
    "tabs.yaml": ("student: t1\nanswers:\n\tq1a: b\n", "tabs.yaml:3:1: a tab character"),
    "types.yaml": ("student: w1\nanswers: [b, c]\n", "types.yaml:2:10: answers: must be a mapping, not a list"),
    "empty.yaml": ("", "empty.yaml:1:1: file is empty"),
    "nested.yaml": ("student: n1\nanswers:\n  q3a: " + "[" * 200 + "]" * 200 + "\n", "nested"),
    "bomb.yaml": (BILLION_LAUGHS, "aliases expanding too far"),
    "latin1.yaml": ("student: l1\nname: Jos\xe9\n".encode("latin-1"), "latin1.yaml:2:10: not UTF-8 text"),
    # after a byte-order mark the place is still the bad byte's, as an editor shows it (it was 3 bytes early)
    "bom.yaml": (b"\xef\xbb\xbfstudent: b1\nname: Jos\xe9\n", "bom.yaml:2:10: not UTF-8 text (byte 0xe9)"),
    "scalar.yaml": ("just some words\n", "expected a mapping with 'student' and 'answers'"),
}


@pytest.mark.parametrize("name", sorted(SUBMISSIONS))
def test_unreadable_submissions_become_invalid_reports(cli, write, tmp_path, name):
    text, words = SUBMISSIONS[name]
    path = write(f"class/{name}", text)
    out = tmp_path / "out"
    run = cli("grade", SEED_SPEC, path, "--out", out)
    assert run.status == 0  # graded: the student gets an invalid report
    assert words in run.err and len(run.err.strip().splitlines()) == 1
    assert "Traceback" not in run.err
    report = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    assert words in report["problem"]
    assert {p["status"] for p in report["parts"]} == {"invalid"}
    # the student's own self-check refuses the file with the same line, exit status 2
    check = cli("check", SEED_SPEC, path)
    assert check.status == 2 and words in check.err


def test_a_50_megabyte_file_is_refused_before_reading(cli, tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.seek(50_000_000)
        fh.write(b"\n")
    run = cli("check", SEED_SPEC, big)
    assert run.status == 2 and "file is 50,000,001 bytes, over the limit of 1,000,000 bytes" in run.err


def test_one_bad_file_never_stops_the_batch(cli, write, tmp_path):
    write("class/good.yaml", "assignment: rnn-attention\nstudent: g1\nanswers: {q1a: [b, c], q3a: [6, 1, 2]}\n")
    write("class/bad.yaml", "student: [\n")
    out = tmp_path / "out"
    run = cli("grade", SEED_SPEC, tmp_path / "class", "--out", out)
    assert run.status == 0
    assert "2 submission(s): 2 graded, 0 unchanged (skipped); 1 unreadable" in run.out
    good = json.loads((out / "g1.json").read_text(encoding="utf-8"))
    assert good["score"] == 4


@pytest.mark.parametrize("answer, words", [
    (".nan", "not a finite number"), (".inf", "not a finite number"), ("-.inf", "not a finite number"),
    ("[6, .nan, 2]", "not a finite number"), ("'nan'", "not a number"), ("1e999", "not a finite number"),
])
def test_nan_and_inf_answers_are_invalid(cli, write, answer, words):
    path = write("s.yaml", f"student: x\nanswers:\n  q3a: {answer}\n")
    report = json.loads(cli("check", SEED_SPEC, path, "--format", "json").out)
    q3a = next(p for p in report["parts"] if p["id"] == "q3a")
    assert q3a["status"] == "invalid" and words in q3a["feedback"]
    json.dumps(report, allow_nan=False)  # the report itself stays valid JSON


@pytest.mark.parametrize("student", ["../../escaped", "/etc/passwd", "..", "a/../../b", "con", "x\x1b[2Jy", "..\\..\\win"])
def test_student_ids_never_become_paths(cli, write, tmp_path, student):
    path = write("class/s.json", json.dumps({"student": student, "answers": {"q1b": "c"}}))
    out = tmp_path / "deep" / "out"
    run = cli("grade", SEED_SPEC, path, "--out", out)
    assert run.status == 0
    written = [p for p in tmp_path.rglob("*") if p.is_file() and "class" not in p.parts
               and not p.name.startswith("gradebook.sqlite")]
    assert written and all(p.parent == out for p in written)
    assert "\x1b" not in run.out  # no terminal escapes from student text
    report = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    assert report["student"] == "".join(ch for ch in student if ch.isprintable())  # the id is kept as data


def test_duplicate_student_ids_get_distinct_files(cli, write, tmp_path):
    write("class/a.yaml", "student: same\nanswers: {q1b: c}\n")
    write("class/b.yaml", "student: same\nanswers: {q1b: d}\n")
    write("class/c.yaml", "student: Same\nanswers: {q1b: d}\n")
    write("class/d.yaml", "student: same-2\nanswers: {q1b: d}\n")
    out = tmp_path / "out"
    run = cli("grade", SEED_SPEC, tmp_path / "class", "--out", out)
    names = sorted(p.stem for p in out.glob("*.json"))
    assert len(names) == 4 and "same" in names and "same-2" in names  # same-2 is the student of that id
    assert all(n in ("same", "same-2") or len(n) == len("same-") + 10 for n in names)
    assert "b.yaml: student 'same' also submitted" in run.err
    again = cli("grade", SEED_SPEC, tmp_path / "class", "--out", tmp_path / "out2")
    assert sorted(p.stem for p in (tmp_path / "out2").glob("*.json")) == names  # stable across runs
    assert again.status == 0


def test_file_names_that_are_not_utf8_are_reported_not_crashed(cli, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ok.yaml").write_text("student: s1\nanswers: {q1b: c}\n", encoding="utf-8")
    (folder / "\udcff\udcfe.yaml").write_bytes(b"answers: {q1b: c}\n")
    run = cli("grade", SEED_SPEC, folder, "--out", tmp_path / "out", "--format", "json")
    assert run.status == 0
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "out").glob("*.json")]
    assert len(reports) == 2 and {r["student"] for r in reports} >= {"s1"}


@pytest.mark.parametrize("spec, words", [
    ("id: x\ntitle: y\nparts:\n  - id: p\n\tkind: choice\n", "s.yaml:5:1: a tab character"),
    ("", "s.yaml:1:1: file is empty"),
    ("id: x\ntitle: y\nparts: {p: 1}\n", "s.yaml:3:8: parts: must be a list, not a mapping"),
    ("id: x\ntitle: y\nparts:\n  - {id: p, kind: essay, points: 1, prompt: x}\n", "unknown kind 'essay'"),
    (b"id: x\ntitle: \xff\n", "s.yaml:2:8: not UTF-8 text"),
])
def test_bad_specs_exit_2_with_one_line(cli, write, spec, words):
    run = cli("grade", write("s.yaml", spec), write("sub.yaml", "student: a\nanswers: {}\n"))
    assert run.status == 2
    assert words in run.err and "Traceback" not in run.err


def test_markdown_reports_escape_student_text(cli, write, tmp_path):
    answer = "<script>alert(1)</script> **bold** [link](http://x) \u202eevil"
    path = write("s.yaml", f"student: s1\nname: '<b>Mallory</b>'\nanswers:\n  q3b: '{answer}'\n  q1a: '<i>'\n")
    cli("grade", SEED_SPEC, path, "--out", tmp_path / "out", "--format", "md")
    md = (tmp_path / "out" / "s1.md").read_text(encoding="utf-8")
    import re

    outside_code = re.sub(r"(`+)(?s:.+?)\1", "", md)  # a code span shows its text literally in Markdown
    assert "<" not in outside_code and "**bold**" not in outside_code
    assert "`<script>alert(1)</script> **bold** [link](http://x) \ufffdevil`" in md
    assert "\u202e" not in md
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in md
