"""Submissions as folders (answers.yaml and the files it names) beside single files; answers read from files,
never from outside the student's folder; notebooks read as Python."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import SEED_CLASS, SEED_SPEC
from grader.answer_files import MAX_FILE_BYTES, read_answer_file
from grader.collect import collect
from grader.grading import grade
from grader.model import FileAnswer, FileProblem, Status
from grader.notebooks import NotebookError, read_notebook
from grader.spec import load_spec
from grader.submission import load_submission

ESSAY = ("The argmax is piecewise constant, so its gradient is zero almost everywhere. No gradient flows back, so "
         "the queries and keys never receive a training signal and do not learn. Only the selected value receives "
         "a gradient. Hard attention is cheaper and easier to interpret.\n")
HEAD = 'assignment: rnn-attention\nstudent: "{sid}"\nanswers:\n  q1a: [b, c]\n  q1b: c\n'


def folder_submission(parent: Path, name: str, answers: str, files: dict[str, str | bytes] | None = None,
                      sid: str | None = None) -> Path:
    folder = parent / name
    folder.mkdir(parents=True)
    (folder / "answers.yaml").write_text(HEAD.format(sid=sid or name) + answers, encoding="utf-8")
    for file_name, content in (files or {}).items():
        target = folder / file_name
        target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content, encoding="utf-8")
    return folder


def part(report, pid: str):
    return next(p for p in report.parts if p.id == pid)


def graded(folder: Path):
    return grade(load_spec(SEED_SPEC), load_submission(folder / "answers.yaml"))


def notebook(*cells) -> str:
    made = [nbformat.v4.new_markdown_cell(c[1]) if c[0] == "md" else nbformat.v4.new_code_cell(c[1]) for c in cells]
    return nbformat.writes(nbformat.v4.new_notebook(cells=made))


# --- a class of both forms, graded together --------------------------------------------------------

def test_both_forms_graded_together(tmp_path, cli):
    klass = tmp_path / "class"
    klass.mkdir()
    shutil.copy(SEED_CLASS / "99522001.yaml", klass)
    folder_submission(klass, "99522090", "  q3b: essay.md\n",
                      {"essay.md": ESSAY, "config.yaml": "answers: {q1a: a}\n", "rnn.py": "x = 1\n"})
    (klass / "99522090" / "data").mkdir()
    (klass / "99522090" / "data" / "more.yaml").write_text("answers: {}\n")
    run = cli("grade", SEED_SPEC, klass, "--out", tmp_path / "out", "--jobs", "1")
    assert run.status == 0, run.err
    assert "2 submission(s): 2 graded" in run.out
    reports = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.json")}
    assert set(reports) == {"99522001", "99522090"}  # config.yaml and data/more.yaml are the student's, not submissions
    essay = next(p for p in reports["99522090"]["parts"] if p["id"] == "q3b")
    assert essay["status"] == "needs_review" and essay["answer"] == "essay.md" and essay["score"] > 0
    assert reports["99522090"]["source"].endswith(os.path.join("99522090", "answers.yaml"))


def test_a_changed_file_is_graded_again(tmp_path, cli):
    klass = tmp_path / "class"
    folder = folder_submission(klass, "99522091", "  q3b: essay.md\n", {"essay.md": "Nothing here.\n"})
    args = ("grade", SEED_SPEC, klass, "--out", tmp_path / "out", "--jobs", "1")
    assert "1 graded" in cli(*args).out
    assert "0 graded, 1 unchanged" in cli(*args).out
    (folder / "essay.md").write_text(ESSAY)  # answers.yaml itself is unchanged
    assert "1 graded, 0 unchanged" in cli(*args).out
    report = json.loads((tmp_path / "out" / "99522091.json").read_text())
    assert next(p for p in report["parts"] if p["id"] == "q3b")["score"] > 0


def test_a_changed_file_behind_a_link_inside_the_folder_is_graded_again(tmp_path, cli):
    """The loader follows a link to a file inside the submission folder; the check for a changed folder hashed the
    link itself, so an edited target kept its old grade."""
    klass = tmp_path / "class"
    folder = folder_submission(klass, "99522092", "  q3b: essay.md\n", {".draft.md": "Nothing here.\n"})
    (folder / "essay.md").symlink_to(".draft.md")
    args = ("grade", SEED_SPEC, klass, "--out", tmp_path / "out", "--jobs", "1")
    assert "1 graded" in cli(*args).out
    assert "0 graded, 1 unchanged" in cli(*args).out
    (folder / ".draft.md").write_text(ESSAY)
    assert "1 graded, 0 unchanged" in cli(*args).out
    report = json.loads((tmp_path / "out" / "99522092.json").read_text())
    assert next(p for p in report["parts"] if p["id"] == "q3b")["score"] > 0


def test_a_broken_answers_file_is_an_invalid_report_and_the_batch_goes_on(tmp_path, cli):
    klass = tmp_path / "class"
    klass.mkdir()
    shutil.copy(SEED_CLASS / "99522001.yaml", klass)
    broken = klass / "99522092"
    broken.mkdir()
    (broken / "answers.yaml").write_text("answers:\n  q1a: [b, c\n")
    run = cli("grade", SEED_SPEC, klass, "--out", tmp_path / "out", "--jobs", "1")
    assert "2 graded" in run.out and "1 unreadable" in run.out
    report = json.loads((tmp_path / "out" / "99522092.json").read_text())  # named after the folder: no id was read
    assert report["student"] == "99522092"
    assert all(p["status"] == "invalid" for p in report["parts"])
    assert f"{os.path.join('99522092', 'answers.yaml')}:3:1:" in report["problem"]
    assert json.loads((tmp_path / "out" / "99522001.json").read_text())["score"] == 21


def test_check_takes_the_folder_or_its_answers_file(tmp_path, cli):
    folder = folder_submission(tmp_path, "99522093", "  q3b: essay.md\n", {"essay.md": ESSAY})
    for given in (folder, folder / "answers.yaml"):
        run = cli("check", SEED_SPEC, given, "--format", "json")
        assert run.status == 0, run.err
        assert json.loads(run.out)["student"] == "99522093"
    empty = tmp_path / "empty"
    empty.mkdir()
    run = cli("check", SEED_SPEC, empty)
    assert run.status == 2 and "without answers.yaml" in run.err


def test_no_student_id_uses_the_folder_name(tmp_path):
    folder = tmp_path / "99522094"
    folder.mkdir()
    (folder / "answers.yaml").write_text("answers: {q1b: c}\n")
    submission = load_submission(folder / "answers.yaml")
    assert submission.student == "99522094"
    assert "using the folder name '99522094'" in submission.warnings[0]


# --- the listing -----------------------------------------------------------------------------------

def test_collect_lists_a_submission_folder_as_its_answers_file(tmp_path):
    klass = tmp_path / "class"
    folder_submission(klass, "a", "", {"answers.json": "{}", "notes.yaml": "x: 1\n"})
    folder_submission(klass / "section-2", "b", "")
    (klass / ".hidden").mkdir()
    (klass / ".hidden" / "answers.yaml").write_text("answers: {}\n")
    found = collect([str(klass)])
    assert [str(p.relative_to(klass)) for p in found.files] == ["a/answers.yaml", "section-2/b/answers.yaml"]
    assert any("answers.json: skipped" in note and "read from answers.yaml" in note for note in found.notes)
    # a student's folder given by itself is one submission; its other files are said not to be
    alone = collect([str(klass / "a")])
    assert [p.name for p in alone.files] == ["answers.yaml"]
    assert any("read as one student's submission folder" in note and "the 1 other" in note for note in alone.notes)


def test_an_answers_file_linked_from_outside_the_class_is_not_read(tmp_path):
    klass = tmp_path / "class"
    (klass / "c").mkdir(parents=True)
    (tmp_path / "elsewhere.yaml").write_text("answers: {}\n")
    (klass / "c" / "answers.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    (klass / "c" / "other.yaml").write_text("answers: {}\n")  # still the student's folder: not a submission
    shutil.copy(SEED_CLASS / "99522001.yaml", klass)
    found = collect([str(klass)])
    assert [p.name for p in found.files] == ["99522001.yaml"]
    assert any("outside the class folder" in note for note in found.notes)


# --- answers that name files -----------------------------------------------------------------------

def test_a_file_not_in_the_folder_is_missing_and_named(tmp_path):
    folder = folder_submission(tmp_path, "99522095", "  q3b: essay.md\n", {"Essay.md": ESSAY})
    outcome = part(graded(folder), "q3b")
    assert outcome.status == Status.MISSING
    assert "essay.md is not in the submission folder (is it Essay.md?)" in outcome.feedback


@pytest.mark.parametrize("name", ["../x.md", "/etc/passwd.md", "sub/x.md", "..\\x.md", "a\0b.md"])
def test_a_path_is_refused_without_being_opened(tmp_path, name):
    (tmp_path / "x.md").write_text("SECRET")
    folder = folder_submission(tmp_path, "99522096", f"  q3b: {json.dumps(name)}\n")
    outcome = part(graded(folder), "q3b")
    assert outcome.status == Status.INVALID and "is not a file name" in outcome.feedback
    assert outcome.answer == name


def test_etc_passwd_is_refused_by_the_loader(tmp_path):
    found = read_answer_file(tmp_path, "/etc/passwd")
    assert isinstance(found, FileProblem) and found.status == Status.INVALID
    assert "paths and subfolders are not read" in found.message


def test_a_link_out_of_the_folder_is_refused_and_one_inside_is_followed(tmp_path):
    (tmp_path / "secret.md").write_text("SECRET")
    folder = folder_submission(tmp_path, "99522097", "  q3b: essay.md\n", {"real.md": ESSAY})
    (folder / "essay.md").symlink_to(tmp_path / "secret.md")
    outcome = part(graded(folder), "q3b")
    assert outcome.status == Status.INVALID and "symbolic link to a file outside the submission folder" in \
        outcome.feedback and "SECRET" not in outcome.feedback
    (folder / "essay.md").unlink()
    (folder / "essay.md").symlink_to("real.md")
    assert part(graded(folder), "q3b").status == Status.NEEDS_REVIEW


def test_hidden_files_folders_and_pipes_are_refused(tmp_path):
    folder = folder_submission(tmp_path, "99522098", "", {".essay.md": ESSAY})
    (folder / "dir.md").mkdir()
    os.mkfifo(folder / "pipe.md")
    assert "hidden file" in read_answer_file(folder, ".essay.md").message
    assert "is a directory" in read_answer_file(folder, "dir.md").message
    assert "named pipe" in read_answer_file(folder, "pipe.md").message  # refused at once, not waited on


def test_an_oversized_file_is_invalid(tmp_path):
    folder = folder_submission(tmp_path, "99522099", "  q3b: essay.md\n", {"essay.md": "a" * (MAX_FILE_BYTES + 1)})
    outcome = part(graded(folder), "q3b")
    assert outcome.status == Status.INVALID
    assert "99522099/essay.md: file is 200,001 bytes, over the limit of 200,000 bytes" in outcome.feedback


def test_an_empty_file_is_missing_and_bad_bytes_are_invalid(tmp_path):
    folder = folder_submission(tmp_path, "99522100", "  q3b: essay.md\n  q3a: e.txt\n", {"essay.md": "\n"})
    assert "essay.md is empty" in part(graded(folder), "q3b").feedback
    (folder / "essay.md").write_bytes(b"caf\xe9\n")
    outcome = part(graded(folder), "q3b")
    assert outcome.status == Status.INVALID and "99522100/essay.md:1:4: not UTF-8 text" in outcome.feedback


def test_a_kind_that_takes_no_files_gets_the_name_as_written(tmp_path):
    folder = folder_submission(tmp_path, "99522101", "  q3a: essay.md\n", {"essay.md": ESSAY})
    submission = load_submission(folder / "answers.yaml")
    assert isinstance(submission.answers["q3a"], FileAnswer)
    outcome = part(grade(load_spec(SEED_SPEC), submission), "q3a")  # numeric: 'essay.md' is no number
    assert outcome.status == Status.INVALID and "Could not read this answer" in outcome.feedback
    assert outcome.answer == "essay.md"


def test_a_single_file_naming_a_file_is_missing_and_says_to_hand_in_a_folder(tmp_path):
    (tmp_path / "essay.md").write_text(ESSAY)  # beside the file, but a single file has no folder of its own
    (tmp_path / "99522102.yaml").write_text(HEAD.format(sid="99522102") + "  q3b: essay.md\n")
    outcome = part(grade(load_spec(SEED_SPEC), load_submission(tmp_path / "99522102.yaml")), "q3b")
    assert outcome.status == Status.MISSING and "needs a folder submission" in outcome.feedback


def test_prose_is_never_taken_for_a_file_name(tmp_path):
    folder = folder_submission(tmp_path, "99522103", "  q3b: see notes.md\n", {"notes.md": ESSAY})
    assert load_submission(folder / "answers.yaml").answers["q3b"] == "see notes.md"


# --- notebooks -------------------------------------------------------------------------------------

def test_a_notebook_is_read_for_its_code_cells(tmp_path):
    text = notebook(("md", "# My RNN"), ("code", "import numpy as np\n"), ("code", ""),
                    ("code", "def step(h, x):\n    return np.tanh(h + x)"))
    folder = folder_submission(tmp_path, "99522104", "", {"rnn.ipynb": text})
    found = read_answer_file(folder, "rnn.ipynb")
    assert isinstance(found, FileAnswer) and found.path_for_messages == "99522104/rnn.ipynb"
    assert found.text == "import numpy as np\n\ndef step(h, x):\n    return np.tanh(h + x)\n"
    assert found.origins == ((2, 1), None, (4, 1), (4, 2))
    assert found.where(4) == "rnn.ipynb, cell 4, line 2" and found.where(2) == "rnn.ipynb, line 2"
    assert "# My RNN" not in found.text


@pytest.mark.parametrize("cell, said", [
    ("import numpy\n!pip install torch", "cell 3, line 2: `!pip install torch` is a shell line"),
    ("%timeit f()", "cell 3, line 1: `%timeit f()` is an IPython magic"),
    ("%%bash\nls", "cell 3, line 1: `%%bash` is a cell magic"),
])
def test_magics_and_shell_lines_are_refused_by_cell_and_line(cell, said):
    with pytest.raises(NotebookError) as caught:
        read_notebook(notebook(("md", "intro"), ("code", "x = 1"), ("code", cell)))
    assert str(caught.value).startswith(said) and "graded as plain Python" in str(caught.value)


def test_python_that_only_looks_like_a_magic_is_kept():
    assert "%2" in read_notebook(notebook(("code", "x = (5\n%2)"))).source


@pytest.mark.parametrize("text, said", [
    ("{not json", "it is not JSON"),
    ('{"nbformat": 99, "nbformat_minor": 0, "cells": []}', "Unsupported nbformat version 99"),
    ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "missing an expected key: cells"),
    ("[1, 2]", "not a readable notebook"),
])
def test_a_broken_notebook_is_invalid_with_the_reason(tmp_path, text, said):
    folder = folder_submission(tmp_path, "99522105", "", {"rnn.ipynb": text})
    found = read_answer_file(folder, "rnn.ipynb")
    assert isinstance(found, FileProblem) and found.status == Status.INVALID
    assert found.message.startswith("99522105/rnn.ipynb: not a readable notebook") and said in found.message
