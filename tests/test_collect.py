"""Which files a grade run reads: never an output folder, never through a bad entry, never a pipe or a device;
and what it writes: never through a link planted in the output folder."""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SEED_CLASS, SEED_SPEC
from grader.document import Limits, read_bytes
from grader.errors import InputError
from grader.gradebook import Gradebook
from helpers import output_files, run_grader

ALL = "canvas,moodle,csv,gradescope,junit,md,html,stats"


def _without_dac_override() -> None:
    """In the child, before exec: drop the capabilities that let root read any file, so a closed folder is
    closed to this process too (the test suite runs as root in CI)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def grade_as_a_user(*args: object, timeout: float = 120) -> subprocess.CompletedProcess:
    """``grader`` in a process for which a folder with mode 000 is really closed, even when we are root."""
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=_without_dac_override if os.geteuid() == 0 else None)


@pytest.fixture
def closed_folder(tmp_path):
    folder = tmp_path / "closed"
    folder.mkdir()
    shutil.copy(SEED_CLASS / "99522001.yaml", folder / "hidden.yaml")
    folder.chmod(0)
    yield folder
    folder.chmod(0o755)


def plant_trouble(class_folder: Path, closed: Path) -> None:
    """Every kind of entry that once stopped or poisoned a listing."""
    (class_folder / "loop.yaml").symlink_to("loop.yaml")
    (class_folder / "into-closed.yaml").symlink_to(closed / "hidden.yaml")
    (class_folder / "closed-inside").mkdir()
    shutil.copy(SEED_CLASS / "99522001.yaml", class_folder / "closed-inside" / "x.yaml")
    (class_folder / "closed-inside").chmod(0)
    os.mkfifo(class_folder / "pipe.yaml")
    (class_folder / "dangling.yaml").symlink_to("nowhere.yaml")
    (class_folder / "outside.json").symlink_to(SEED_SPEC)
    (class_folder / "through-a-file.yaml").symlink_to(class_folder / "99522001.yaml" / "x.yaml")


def test_a_class_holding_its_own_out_and_bad_entries_grades_twice_like_a_clean_copy(tmp_path, closed_folder):
    """The issue's test: its own OUT, a link loop, a link into a closed folder and a FIFO in the class folder,
    graded twice in a row, give every student the same reports and exports as the clean class."""
    class_folder = tmp_path / "class"
    shutil.copytree(SEED_CLASS, class_folder)
    clean = tmp_path / "clean-out"
    assert grade_as_a_user("grade", SEED_SPEC, class_folder, "--out", clean, "--quiet").returncode == 0
    assert run_grader("export", clean, "--format", ALL).returncode == 0

    plant_trouble(class_folder, closed_folder)
    out = class_folder / "out"
    try:
        for _ in range(2):
            run = grade_as_a_user("grade", SEED_SPEC, class_folder, "--out", out, "--quiet")
            assert run.returncode == 0, run.stderr
            export = run_grader("export", out, "--format", ALL)
            assert export.returncode == 0, export.stderr
    finally:
        (class_folder / "closed-inside").chmod(0o755)
    assert output_files(out) == output_files(clean)
    lines = run.stderr.splitlines()
    for entry, why in [("loop.yaml", "Too many levels of symbolic links"), ("into-closed.yaml", "Permission denied"),
                       ("closed-inside", "cannot list it (Permission denied)"), ("pipe.yaml", "named pipe (FIFO)"),
                       ("dangling.yaml", "points to nothing"), ("outside.json", "outside the class folder"),
                       ("through-a-file.yaml", "Not a directory"), ("out", "this run's --out")]:
        said = [line for line in lines if line.startswith(f"{class_folder / entry}: skipped")]
        assert len(said) == 1 and why in said[0], (entry, lines)


def test_another_runs_output_folder_inside_the_class_is_never_read(cli, tmp_path):
    class_folder = tmp_path / "class"
    shutil.copytree(SEED_CLASS, class_folder)
    assert cli("grade", SEED_SPEC, class_folder, "--out", class_folder / "old-run").status == 0
    shutil.copy(class_folder / "old-run" / "99522086.json", class_folder / "copied-report.json")  # a stray report
    run = cli("grade", SEED_SPEC, class_folder, "--out", tmp_path / "out")
    assert run.status == 0
    assert f"{class_folder / 'old-run'}: skipped, a grader output folder (it holds gradebook.sqlite)" in run.err
    assert f"{class_folder / 'copied-report.json'}: skipped, a grader report, not a submission" in run.err
    assert "8 submission(s): 8 graded" in run.out
    report = json.loads((tmp_path / "out" / "99522086.json").read_text(encoding="utf-8"))
    assert report["score"] == 15 and report["source"].endswith("99522086.yaml")


def test_out_inside_the_class_is_skipped_every_run(cli, tmp_path):
    class_folder = tmp_path / "class"
    shutil.copytree(SEED_CLASS, class_folder)
    for run_number in range(2):
        run = cli("grade", SEED_SPEC, class_folder, "--out", class_folder / "reports")
        assert run.status == 0
        said = f"{class_folder / 'reports'}: skipped, this run's --out" in run.err
        assert said == (run_number > 0)  # the first run lists the class before it makes its --out
        assert "8 submission(s)" in run.out
    assert cli("export", class_folder / "reports", "--format", "csv").status == 0
    rows = (class_folder / "reports" / "export" / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 9 and all("missing field 'answers'" not in r for r in rows)


@pytest.mark.parametrize("where", ["class", "output"])
def test_the_class_folder_cannot_be_an_output_folder(cli, tmp_path, where):
    class_folder = tmp_path / "class"
    shutil.copytree(SEED_CLASS, class_folder)
    if where == "class":  # --out the class folder itself
        run = cli("grade", SEED_SPEC, class_folder, "--out", class_folder)
        assert run.status == 2 and "is also --out" in run.err
    else:  # a folder grader wrote into, given as the class
        cli("grade", SEED_SPEC, class_folder, "--out", tmp_path / "out")
        run = cli("grade", SEED_SPEC, tmp_path / "out", "--out", tmp_path / "other")
        assert run.status == 2 and "is a grader output folder (it holds gradebook.sqlite)" in run.err
    assert "internal error" not in run.err


def fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", ["grade-submission", "grade-spec", "validate", "check", "check-spec",
                                     "override-import", "handout-roster"])
def test_a_named_pipe_on_the_command_line_is_refused_at_once(tmp_path, command):
    pipe = fifo(tmp_path, "input.yaml")
    out = tmp_path / "out"
    if command == "override-import":
        assert run_grader("grade", SEED_SPEC, SEED_CLASS, "--out", out, "--quiet").returncode == 0
    args = {"grade-submission": ("grade", SEED_SPEC, pipe, "--out", out),
            "grade-spec": ("grade", pipe, SEED_CLASS, "--out", out),
            "validate": ("validate", pipe),
            "check": ("check", SEED_SPEC, pipe),
            "check-spec": ("check", pipe, SEED_CLASS / "99522086.yaml"),
            "override-import": ("override", out, "--import", pipe),
            "handout-roster": ("handout", ROOT / "problems" / "attention-practice.yaml", "--roster", pipe,
                               "--out", out)}[command]
    done = run_grader(*args, timeout=30)  # a hang fails here instead of stopping the suite
    assert done.returncode == 2, done.stderr
    assert "is a named pipe (FIFO), not a regular file" in done.stderr and "internal error" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_device_is_refused_and_never_read(cli, tmp_path):
    run = cli("grade", SEED_SPEC, "/dev/zero", "--out", tmp_path / "out")
    assert run.status == 2 and "/dev/zero: is a device, not a regular file" in run.err
    assert cli("validate", "/dev/zero").status == 2


def test_sizes_are_bounded_by_the_bytes_read_not_the_size_reported():
    status = Path(f"/proc/{os.getpid()}/status")  # a regular file whose reported size is 0
    assert status.stat().st_size == 0 and len(status.read_bytes()) > 100
    with pytest.raises(InputError, match="over the limit of 100 bytes"):
        read_bytes(status, Limits(max_bytes=100))


# --- writing: never through a link planted in OUT ---------------------------------------------------

@pytest.fixture
def graded(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", out).status == 0
    return out


def test_a_planted_staging_link_is_never_written_through_or_cleaned(cli, tmp_path, graded):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / ".tmp-1-victim.part"
    victim.write_text("not grader's", encoding="utf-8")
    shutil.rmtree(graded / ".staging")
    (graded / ".staging").symlink_to(elsewhere, target_is_directory=True)
    run = cli("grade", SEED_SPEC, SEED_CLASS, "--out", graded, "--regrade")
    assert run.status == 2 and ".staging: is a symbolic link" in run.err
    assert victim.read_text(encoding="utf-8") == "not grader's" and sorted(elsewhere.iterdir()) == [victim]


@pytest.mark.parametrize("name", ["gradebook.sqlite", "gradebook.sqlite-wal"])
def test_a_planted_gradebook_link_is_refused(cli, tmp_path, graded, name):
    target = tmp_path / "elsewhere.sqlite"
    shutil.copy(graded / "gradebook.sqlite", target)
    before = target.read_bytes()
    (graded / name).unlink(missing_ok=True)
    (graded / name).symlink_to(target)
    for args in (("grade", SEED_SPEC, SEED_CLASS, "--out", graded, "--regrade"), ("export", graded),
                 ("override", graded, "--student", "99522086", "--part", "q3b", "--score", "3")):
        run = cli(*args)
        assert run.status == 2 and f"{name}: is a symbolic link" in run.err, run.err
    assert target.read_bytes() == before


def test_a_report_link_is_replaced_not_written_through(cli, tmp_path, graded):
    target = tmp_path / "precious.txt"
    target.write_text("keep me", encoding="utf-8")
    (graded / "99522086.md").unlink()
    (graded / "99522086.md").symlink_to(target)
    (graded / "export").mkdir()
    (graded / "export" / "grades.csv").symlink_to(target)
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", graded, "--regrade").status == 0
    assert cli("export", graded, "--format", "csv").status == 0
    assert target.read_text(encoding="utf-8") == "keep me"
    assert not (graded / "99522086.md").is_symlink() and "Score" in (graded / "99522086.md").read_text(encoding="utf-8")
    assert not (graded / "export" / "grades.csv").is_symlink()


@pytest.mark.parametrize("planted, fmt, words", [
    ("export=file", "csv", "export: exists and is not a directory"),
    ("export=link", "csv", "export: is a symbolic link"),
    ("export/html=file", "html", "html: exists and is not a directory"),
    ("export/html=link", "html", "html: is a symbolic link"),
    ("export/gradescope=link", "gradescope", "gradescope: is a symbolic link"),
    ("export/grades.csv=dir", "csv", "grades.csv: is a directory, where grader writes a file"),
    ("export/junit.xml=dir", "junit", "junit.xml: is a directory, where grader writes a file"),
])
def test_export_paths_in_the_way_get_one_clear_line(cli, tmp_path, graded, planted, fmt, words):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where, kind = planted.split("=")
    path = graded / where
    path.parent.mkdir(parents=True, exist_ok=True)
    {"file": lambda: path.write_text("x", encoding="utf-8"), "dir": path.mkdir,
     "link": lambda: path.symlink_to(elsewhere, target_is_directory=True)}[kind]()
    run = cli("export", graded, "--format", fmt)
    assert run.status == 2 and words in run.err and "internal error" not in run.err
    assert len(run.err.strip().splitlines()) == 1
    assert list(elsewhere.iterdir()) == []


def test_stale_temporaries_of_killed_runs_are_removed_by_the_next(cli, graded):
    leftovers = [graded / ".tmp-999999-abcdef01-0.part", graded / ".staging" / ".tmp-999999-abcdef01-1.part"]
    export = graded / "export"
    export.mkdir()
    (export / "html").mkdir()
    (export / "gradescope" / "99522086").mkdir(parents=True)
    leftovers += [export / ".tmp-999999-abcdef01-2.part", export / "html" / ".tmp-999999-abcdef01-3.part",
                  export / "gradescope" / "99522086" / ".tmp-999999-abcdef01-4.part"]
    running = export / f".tmp-{os.getpid()}-abcdef01-5.part"  # a live process's: not ours to remove
    for path in leftovers + [running]:
        path.write_text("half a file", encoding="utf-8")
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", graded).status == 0
    assert cli("export", graded, "--format", ALL).status == 0
    assert [p for p in leftovers if p.exists()] == []
    assert running.exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign", "another-program", "report", "parts"])
def test_a_damaged_gradebook_gets_one_clear_line(cli, graded, damage):
    book = graded / "gradebook.sqlite"
    if damage == "garbage":
        book.write_bytes(b"this is not a database" * 100)
    elif damage == "truncated":
        book.write_bytes(book.read_bytes()[:5000])
    elif damage in ("foreign", "another-program"):  # another program's database, tables named like ours or not
        book.unlink()
        db = sqlite3.connect(book)
        db.execute("CREATE TABLE submissions (id INTEGER, grade TEXT)" if damage == "foreign" else
                   "CREATE TABLE foo (x)")
        db.commit()
        db.close()
    else:  # rows edited by hand
        db = sqlite3.connect(book)
        db.execute("UPDATE submissions SET report = 'not json'" if damage == "report" else
                   "UPDATE assignments SET parts = '[1, 2]'")
        db.commit()
        db.close()
    before = book.read_bytes()
    for args in (("export", graded, "--format", ALL), ("stats", graded),
                 ("override", graded, "--student", "99522086", "--part", "q3b", "--score", "3"),
                 ("grade", SEED_SPEC, SEED_CLASS, "--out", graded)):
        run = cli(*args)
        if damage == "parts" and args[0] == "grade":  # grading writes the assignment's parts anew
            assert run.status == 0 and cli("export", graded, "--format", ALL).status == 0
            continue
        assert run.status == 2, (args, run.err)
        assert "gradebook.sqlite: cannot be used as a gradebook" in run.err and "internal error" not in run.err
        assert len(run.err.strip().splitlines()) == 1
    if damage == "another-program":
        assert book.read_bytes() == before  # not a byte of grader's written into it



def test_a_new_gradebook_is_made_whole_or_not_at_all(cli, tmp_path, monkeypatch):
    """Its tables are made in one transaction: a run killed while it made them (a batch killed at random moments
    met this) leaves a file with no tables, which the next run finishes, not some of grader's tables, which it
    would refuse as another program's. The making fails here at its last statement, as a kill there would."""
    from grader import gradebook

    book = tmp_path / "out" / "gradebook.sqlite"
    book.parent.mkdir()
    monkeypatch.setattr(gradebook, "SCHEMA", gradebook.SCHEMA + "\nCREATE TABLE broken (;")
    with pytest.raises(gradebook.GradebookError):
        gradebook.Gradebook(book)
    monkeypatch.undo()
    db = sqlite3.connect(book)
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
    db.close()
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", book.parent).status == 0

def test_an_empty_gradebook_says_there_is_nothing_graded_yet(cli, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "gradebook.sqlite").write_bytes(b"")
    run = cli("export", tmp_path / "out", "--format", "csv")
    assert run.status == 2 and "holds no graded class yet: grade one with --out" in run.err and "None" not in run.err


def test_a_folder_grader_may_not_write_in_is_said_so_not_called_damaged(tmp_path):
    out = tmp_path / "out"
    assert run_grader("grade", SEED_SPEC, SEED_CLASS, "--out", out, "--quiet").returncode == 0
    assert run_grader("export", out, "--format", "csv").returncode == 0
    for folder, args in ((out, ("stats", out)), (out / "export", ("export", out, "--format", "csv")),
                         (tmp_path / "ro", ("schema", "--write", tmp_path / "ro"))):
        folder.mkdir(exist_ok=True)
        folder.chmod(0o555)
        try:
            done = grade_as_a_user(*args)
        finally:
            folder.chmod(0o755)
        assert done.returncode == 2, done.stderr
        assert "cannot write in this folder" in done.stderr or "cannot write here (Permission denied)" in done.stderr
        assert "internal error" not in done.stderr and "cannot be used as a gradebook" not in done.stderr


def test_a_full_disk_is_not_called_a_damaged_gradebook():
    from grader.gradebook import sqlite_problem

    full = str(sqlite_problem(Path("out/gradebook.sqlite"), sqlite3.OperationalError("database or disk is full")))
    assert full.startswith("out: no room left to write the gradebook") and "move it away" not in full
    damaged = str(sqlite_problem(Path("out/gradebook.sqlite"), sqlite3.DatabaseError("file is not a database")))
    assert "cannot be used as a gradebook" in damaged


# --- one file, one gradebook row, one set of reports ----------------------------------------------

def test_a_file_reached_twice_is_graded_once(cli, tmp_path):
    class_folder = tmp_path / "class"
    shutil.copytree(SEED_CLASS, class_folder)
    (class_folder / "sub").mkdir()
    shutil.move(class_folder / "99522001.yaml", class_folder / "sub" / "99522001.yaml")
    out = tmp_path / "out"
    run = cli("grade", SEED_SPEC, class_folder, class_folder / "sub", class_folder / "sub" / "99522001.yaml",
              class_folder, "--out", out)
    assert run.status == 0, run.err
    assert "8 submission(s): 8 graded" in run.out
    assert f"{class_folder / 'sub' / '99522001.yaml'}: skipped, the same file as" in run.err
    assert sorted(p.stem for p in out.glob("*.json")) == sorted(p.stem for p in SEED_CLASS.iterdir())


def test_file_names_that_look_alike_stay_two_students(cli, tmp_path):
    """A name holding the byte 0xff and a name spelling out the characters \\xff once shared a gradebook key,
    and one of the two students vanished from every export."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / os.fsdecode(b"a\xff.yaml")).write_text("student: alice\nanswers: {q3a: '[6, 1, 2]'}\n", encoding="utf-8")
    (folder / "a\\xff.yaml").write_text("student: bob\nanswers: {q3a: '[0, 0, 0]'}\n", encoding="utf-8")
    out = tmp_path / "out"
    for _ in range(2):
        assert cli("grade", SEED_SPEC, folder, "--out", out).status == 0
    assert cli("export", out, "--format", "csv").status == 0
    rows = (out / "export" / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert {r.split(",")[0] for r in rows[1:]} == {"alice", "bob"}
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("SELECT count(*) FROM submissions").fetchone() == (2,)


def test_report_files_a_run_asks_for_are_there_after_it(cli, tmp_path):
    """An unchanged submission is skipped only when its report files are all there: a new --format, or a
    report someone deleted, is written again."""
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", out, "--format", "json").status == 0
    assert not list(out.glob("*.md"))
    run = cli("grade", SEED_SPEC, SEED_CLASS, "--out", out, "--format", "json,md")
    assert "8 graded, 0 unchanged" in run.out and len(list(out.glob("*.md"))) == 8
    (out / "99522014.json").unlink()
    run = cli("grade", SEED_SPEC, SEED_CLASS, "--out", out, "--format", "json,md")
    assert "1 graded, 7 unchanged" in run.out and (out / "99522014.json").is_file()


def test_an_override_stopped_by_an_obstacle_records_nothing(cli, graded):
    (graded / "99522001.json").unlink()
    (graded / "99522001.json").mkdir()
    run = cli("override", graded, "--student", "99522001", "--part", "q3b", "--score", "1")
    assert run.status == 2 and "99522001.json: is a directory, where grader writes a file" in run.err
    with sqlite3.connect(graded / "gradebook.sqlite") as db:
        assert db.execute("SELECT count(*) FROM overrides").fetchone() == (0,)


def test_an_export_folder_is_no_class_and_a_refused_run_makes_no_out(cli, tmp_path):
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", tmp_path / "out").status == 0
    assert cli("export", tmp_path / "out", "--format", "gradescope").status == 0
    run = cli("grade", SEED_SPEC, tmp_path / "out" / "export", "--out", tmp_path / "new" / "out")
    assert run.status == 2 and "is where grader exports a graded class" in run.err
    assert not (tmp_path / "new").exists()


def test_ids_that_differ_only_in_case_are_warned_about(cli, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.yaml").write_text("student: S001\nanswers: {q1b: c}\n", encoding="utf-8")
    (folder / "b.yaml").write_text("student: s001\nanswers: {q1b: c}\n", encoding="utf-8")
    run = cli("grade", SEED_SPEC, folder, "--out", tmp_path / "out")
    assert run.status == 0 and "student 's001' and 'S001' differ only in case" in run.err


def test_a_withdrawn_submission_leaves_the_gradebook_and_its_reports(cli, tmp_path):
    """Rows were only ever added: a draft deleted from the class (whose file date, kept by unzip, was newer
    than the final's) went on winning every export."""
    folder = tmp_path / "class"
    folder.mkdir()
    draft = folder / "draft.yaml"
    draft.write_text("student: '77'\nanswers: {q3a: '[0, 0, 0]'}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, folder, "--out", out).status == 0
    draft.unlink()
    final = folder / "final.yaml"
    final.write_text("student: '77'\nanswers: {q3a: '[6, 1, 2]'}\n", encoding="utf-8")
    os.utime(final, (0, 0))  # older than the draft, as an unzipped file can be
    run = cli("grade", SEED_SPEC, folder, "--out", out)
    assert run.status == 0 and f"{draft}: graded before, no longer in the class folder" in run.err
    assert "1 graded before and gone from the class folder (removed)" in run.out
    assert cli("export", out, "--format", "csv").status == 0
    rows = (out / "export" / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2 and rows[1].startswith("77,,2,") and rows[1].endswith("final.yaml")
    assert sorted(p.name for p in out.glob("77*")) == ["77.json", "77.md"]
    assert "[6, 1, 2]" in (out / "77.md").read_text(encoding="utf-8")


def test_what_cannot_be_listed_this_time_is_not_gone(cli, tmp_path, monkeypatch):
    """A folder closed for a moment (permissions being fixed, a network share dropping) was read as every file in
    it withdrawn: their grades and reports were deleted. What is there but unseen keeps what it had."""
    folder = tmp_path / "class"
    (folder / "late").mkdir(parents=True)
    (folder / "a.yaml").write_text("student: a\nanswers: {q1b: c}\n", encoding="utf-8")
    (folder / "late" / "b.yaml").write_text("student: b\nanswers: {q1b: c}\n", encoding="utf-8")
    (folder / "c.yaml").write_text("student: c\nanswers: {q1b: c}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, folder, "--out", out).status == 0
    closed = {str(folder / "late"), str(folder / "c.yaml")}
    scandir, lstat = os.scandir, os.lstat

    def refusing(call):
        def refused(path, *args, **kwargs):
            if os.fspath(path) in closed:
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return call(path, *args, **kwargs)
        return refused

    monkeypatch.setattr(os, "scandir", refusing(scandir))
    monkeypatch.setattr(os, "lstat", refusing(lstat))
    run = cli("grade", SEED_SPEC, folder, "--out", out)
    assert run.status == 0 and "cannot list it (Permission denied)" in run.err
    assert "no longer in the class folder" not in run.err
    assert sorted(p.name for p in out.glob("*.json")) == ["a.json", "b.json", "c.json"]
    with Gradebook(out / "gradebook.sqlite") as book:
        assert sorted(row.student for row in book.rows("rnn-attention")) == ["a", "b", "c"]
    monkeypatch.undo()
    (folder / "late" / "b.yaml").unlink()  # now really gone: forgotten, as before
    run = cli("grade", SEED_SPEC, folder, "--out", out)
    assert "b.yaml: graded before, no longer in the class folder" in run.err
    assert sorted(p.name for p in out.glob("*.json")) == ["a.json", "c.json"]


def test_a_run_stopped_while_it_removes_withdrawn_reports_leaves_none_behind(cli, tmp_path, monkeypatch):
    """The rows went first and the files after: a run killed between the two left report files no row named,
    and no later run knew of them."""
    folder = tmp_path / "class"
    folder.mkdir()
    for name in "abc":
        (folder / f"{name}.yaml").write_text(f"student: {name}\nanswers: {{q1b: c}}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, folder, "--out", out).status == 0
    (folder / "b.yaml").unlink()
    (folder / "c.yaml").unlink()
    unlink = Path.unlink
    removed = []

    def stopped_after_one(self, *args, **kwargs):
        if self.parent == out and self.name.startswith(("b.", "c.")):
            if removed:
                raise KeyboardInterrupt  # the run is stopped here
            removed.append(self)
        return unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", stopped_after_one)
    assert cli("grade", SEED_SPEC, folder, "--out", out).status != 0
    monkeypatch.undo()
    with Gradebook(out / "gradebook.sqlite") as book:  # stopped before the rows went: the next run finds them
        assert [row.student for row in book.rows("rnn-attention")] == ["a", "b", "c"]
    run = cli("grade", SEED_SPEC, folder, "--out", out)
    assert run.status == 0
    assert sorted(p.name for p in out.iterdir() if p.is_file() and not p.name.startswith("gradebook")) == \
        ["a.json", "a.md"]
    with Gradebook(out / "gradebook.sqlite") as book:
        assert [row.student for row in book.rows("rnn-attention")] == ["a"]


def test_a_file_name_cannot_write_lines_of_its_own_into_the_warnings(cli, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a\nforged: line.yaml").write_text("student: nl\nanswers: {q1b: c}\n", encoding="utf-8")
    (folder / "b.yaml").write_text("student: nl\nanswers: {q1b: c}\n", encoding="utf-8")
    out = tmp_path / "out"
    run = cli("grade", SEED_SPEC, folder, "--out", out)
    assert run.status == 0 and "also submitted" in run.err
    assert not any(line.startswith("forged") for line in run.err.splitlines())
    (folder / "a\nforged: line.yaml").unlink()
    run = cli("grade", SEED_SPEC, folder, "--out", out)
    assert "a?forged: line.yaml: graded before, no longer in the class folder" in run.err
    assert not any(line.startswith("forged") for line in run.err.splitlines())


def test_a_file_swapped_for_a_link_after_listing_is_not_read(tmp_path):
    """Between listing a class and reading a file, someone who can write in the class folder put a link to a file
    outside it under a listed name: the link was followed, and the outside file graded as a submission."""
    from grader.batch import grade_class
    from grader.collect import collect
    from grader.spec import load_spec

    folder = tmp_path / "class"
    folder.mkdir()
    for name in "ab":
        (folder / f"{name}.yaml").write_text(f"student: {name}\nanswers: {{q1b: c}}\n", encoding="utf-8")
    secret = tmp_path / "outside.yaml"
    secret.write_text("student: SECRET-OWNER\nanswers: {q1b: c}\n", encoding="utf-8")
    found = collect([str(folder)])
    (folder / "b.yaml").unlink()
    (folder / "b.yaml").symlink_to(secret)
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        spec = load_spec(SEED_SPEC)
        summary = grade_class(SEED_SPEC, spec, found.files, out, jobs=jobs, formats=["json"], folders=found.folders)
        assert (summary.graded, summary.unreadable) == (2, 1)
        assert "b.yaml: is another file than the one listed" in summary.problems[0]
        assert not any("SECRET" in p.read_text(encoding="utf-8") for p in out.glob("*.json"))


# --- the packed listing (issue 13): the same files, in the same order, as a plain sort of their paths ---------

def test_the_listing_is_every_file_once_in_the_order_of_its_path_name_by_name(tmp_path):
    """A random class of nested folders, submission folders, names that sort differently whole and name by name
    (``a-b.yaml`` against ``a/…``), hard links and links to files inside: the packed listing gives each file
    once, in the order of ``sorted(paths, key=split by /)``, the first of two names of one file kept."""
    import random

    from grader.collect import collect

    rng = random.Random(13)
    klass = tmp_path / "class"
    klass.mkdir()
    made: list[Path] = []
    names = ["a", "a-b", "a.b", "a_b", "b", "B", "é", "z", "0", "a b"]
    for k in range(120):
        depth = rng.randrange(3)
        folder = klass.joinpath(*(rng.choice(names) + ("" if rng.random() < 0.5 else "-d") for _ in range(depth)))
        if folder.exists() and not folder.is_dir():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        if any(folder.glob("answers.*")) or folder in made:
            continue
        path = folder / (rng.choice(names) + f"{k % 7}" + rng.choice([".yaml", ".yml", ".json"]))
        if path.exists() or path.is_dir():
            continue
        path.write_text(f"student: s{k}\nanswers: {{}}\n", encoding="utf-8")
        made.append(path)
    (klass / "sub").mkdir()
    (klass / "sub" / "answers.yaml").write_text("student: folder\nanswers: {}\n", encoding="utf-8")
    (klass / "sub" / "notes.yaml").write_text("x: 1\n", encoding="utf-8")
    os.link(made[0], klass / "zz-hard.yaml")  # after made[0] in order unless made[0] sorts later
    (klass / "zz-link.yaml").symlink_to(made[1])
    found = collect([str(klass)])
    listed = [str(p) for p in found.files]
    expected = sorted([str(p) for p in made] + [str(klass / "sub" / "answers.yaml"), str(klass / "zz-hard.yaml")],
                      key=lambda p: p.split(os.sep))
    first, second = sorted([str(made[0]), str(klass / "zz-hard.yaml")], key=lambda p: p.split(os.sep))
    expected.remove(second)  # one file under two names: graded once, under the name met first
    assert listed == expected
    assert len(found.files) == len(expected) and found.files.path(len(expected) - 1) == expected[-1]
    assert any(f"{second}: skipped, the same file as {first}" in note for note in found.notes)
    assert any("zz-link.yaml: skipped, a symbolic link to" in note for note in found.notes)


def test_files_named_one_by_one_are_told_apart_in_one_pass(tmp_path):
    """A shell's ``class/*.yaml`` names every file: a file named twice, or two names of one file, is graded once,
    and a folder given after them is checked against them too."""
    from grader.collect import collect

    klass = tmp_path / "class"
    klass.mkdir()
    paths = []
    for k in range(300):
        path = klass / f"{k:04d}.yaml"
        path.write_text(f"student: s{k}\nanswers: {{}}\n", encoding="utf-8")
        paths.append(str(path))
    os.link(paths[5], klass / "0005-again.yaml")
    found = collect(paths + [paths[7], str(klass / "0005-again.yaml"), str(klass)])
    assert [str(p) for p in found.files] == paths
    # 0007 named again, 0005-again (named, then listed), and the folder's 300 files, each said once
    assert sum("skipped, the same file as" in note for note in found.notes) == 303
    assert f"{paths[7]}: skipped, the same file as {paths[7]}, graded once" in found.notes
    assert f"{klass / '0005-again.yaml'}: skipped, the same file as {paths[5]}, graded once" in found.notes


def test_students_who_handed_in_twice_are_found_the_same_whichever_way_their_rows_are_ordered(tmp_path,
                                                                                              monkeypatch):
    """The gradebook hashes every id first and orders only the rows of ids met twice; past MAX_NAMESAKES such ids,
    SQLite orders every row. Both must name the same pairs, in the same order: ids in another case, ids that fold
    alike beyond ASCII (Straße and STRASSE), files graded before and in this run."""
    from grader import gradebook
    from grader.gradebook import Gradebook, SubmissionRows

    book = Gradebook(tmp_path / "gradebook.sqlite")
    students = [("a/1.yaml", "S001"), ("a/2.yaml", "s001"), ("b/1.yaml", "Straße"), ("a/3.yaml", "x9"),
                ("c/1.yaml", "STRASSE"), ("c/2.yaml", "S001"), ("d/1.yaml", "ÄRZTIN"), ("d/2.yaml", "ärztin")]
    students += [(f"z/{i:04d}.yaml", f"only{i}") for i in range(300)]

    def record(pairs):
        for source, student in pairs:
            stem = book.stems_for("hw", [(source, student)], True)[0]
            book.record_rows(stem, SubmissionRows((student, None), ("hw", source, student, "h", "s", "v", 0.0, 1.0, 2.0,
                                                                    None, "{}"), []))
        book.flush()

    record(students[:3])
    since = book.last_row()
    record(students[3:])
    found = list(book.namesakes("hw", since))
    monkeypatch.setattr(gradebook, "MAX_NAMESAKES", 0)
    assert list(book.namesakes("hw", since)) == found
    assert found == [  # a/1 and a/2 were both graded before: said then, not again
        ("c/2.yaml", "S001", "a/1.yaml", "S001"), ("c/1.yaml", "STRASSE", "b/1.yaml", "Straße"),
        ("d/2.yaml", "ärztin", "d/1.yaml", "ÄRZTIN")]
    assert list(book.namesakes("hw", book.last_row())) == []  # none written after the last row
    book.close()


def test_the_listing_keeps_each_folder_once_and_gives_every_path_back_as_added():
    """A class folder's files share its path in the listing (issue 13: 100,000 files in a folder named like
    /dev/shm/grader-bench-xxxxxxxx/class-100000 held 4 MB of that name alone); every path comes back as it was
    added, whatever its folder, in order, through indices and iteration, and after files are dropped."""
    from pathlib import Path

    from grader.collect import Listing

    folder = "/dev/shm/a-class-folder-with-a-long-name/class-100000/"
    added = [folder + f"{k:06d}.yaml" for k in range(500)] + [
        "plain.yaml", "/at-the-root.yaml", "./dot/a.yaml", "sub/answers.yaml", "sub/answers.yaml", "sub2/answers.yaml",
        folder + "again.yaml", os.fsdecode(b"bytes/\xff\xfe.yaml"), "trailing//b.json"]
    listing = Listing()
    for k, path in enumerate(added):
        listing.add(path, 1, k, linked=k % 7 == 0)
    assert [listing.path(k) for k in range(len(added))] == added
    assert [str(p) for p in listing] == [str(Path(p)) for p in added]
    assert len(listing._folders) < 4 * len(folder) + 60  # the long folder held at most once per run of its files
    listing.drop([0, 3, 501, len(added) - 1])
    kept = [p for k, p in enumerate(added) if k not in (0, 3, 501, len(added) - 1)]
    assert [listing.path(k) for k in range(len(kept))] == kept
    assert [listing.is_link(k) for k in range(len(kept))] == [k % 7 == 0 for k, _ in enumerate(added)
                                                             if k not in (0, 3, 501, len(added) - 1)]
