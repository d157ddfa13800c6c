"""Grading a class: skipping what has not changed, parallel = serial, and surviving kill -9."""
from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SEED_SPEC
from helpers import gradebook_rows, make_class, output_files, run_grader


def test_unchanged_submissions_are_skipped_and_changes_are_graded(cli, tmp_path):
    files = make_class(tmp_path / "class", 12)
    out = tmp_path / "out"
    first = cli("grade", SEED_SPEC, tmp_path / "class", "--out", out, "--jobs", "1")
    assert "12 graded, 0 unchanged" in first.out
    again = cli("grade", SEED_SPEC, tmp_path / "class", "--out", out, "--jobs", "1")
    assert "0 graded, 12 unchanged" in again.out
    assert files[0].suffix == ".yaml"
    files[0].write_text(files[0].read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    changed = cli("grade", SEED_SPEC, tmp_path / "class", "--out", out, "--jobs", "1")
    assert "1 graded, 11 unchanged" in changed.out
    forced = cli("grade", SEED_SPEC, tmp_path / "class", "--out", out, "--jobs", "1", "--regrade")
    assert "12 graded, 0 unchanged" in forced.out
    spec = tmp_path / "spec.yaml"
    spec.write_text(SEED_SPEC.read_text(encoding="utf-8").replace("points: 2\n", "points: 2.0\n", 1), encoding="utf-8")
    new_spec = cli("grade", spec, tmp_path / "class", "--out", out, "--jobs", "1")
    assert "12 graded, 0 unchanged" in new_spec.out  # another spec: every result may differ


def test_parallel_and_serial_runs_write_the_same(cli, tmp_path):
    make_class(tmp_path / "class", 40)
    cli("grade", SEED_SPEC, tmp_path / "class", "--out", tmp_path / "one", "--jobs", "1", "--format", "json,md")
    cli("grade", SEED_SPEC, tmp_path / "class", "--out", tmp_path / "two", "--jobs", "2", "--format", "json,md")
    assert output_files(tmp_path / "one") == output_files(tmp_path / "two")
    assert gradebook_rows(tmp_path / "one") == gradebook_rows(tmp_path / "two")


def test_files_graded_step_by_step_together_are_graded_as_one_at_a_time(cli, tmp_path, monkeypatch):
    """A worker takes files in chunks and does each step for all of them before the next (issue 13); every
    outcome a file can have, mixed in one chunk, must come out as when each file is graded on its own."""
    from grader import batch

    files = make_class(tmp_path / "class", 30)
    (tmp_path / "class" / "broken.yaml").write_text("student: s\nanswers: [unclosed\n", encoding="utf-8")
    (tmp_path / "class" / "empty.yaml").write_text("", encoding="utf-8")
    (tmp_path / "class" / "not-a-mapping.json").write_text("[1, 2]", encoding="utf-8")
    results = {}
    for chunk in (batch.CHUNK, 1):
        monkeypatch.setattr(batch, "CHUNK", chunk)
        out = tmp_path / f"out-{chunk}"
        cli("grade", SEED_SPEC, tmp_path / "class", "--out", out, "--jobs", "1", "--format", "json,md")
        copy = tmp_path / "class" / "copied-report.json"  # a report among the submissions: left out, said why
        copy.write_bytes(next(out.glob("*.json")).read_bytes())
        files[3].write_text(files[3].read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
        again = cli("grade", SEED_SPEC, tmp_path / "class", "--out", out, "--jobs", "1", "--format", "json,md")
        assert "1 graded, 32 unchanged" in again.out and "1 other entry left out" in again.out
        results[chunk] = (again.out.split("; ")[:-2], again.err, output_files(out), gradebook_rows(out))
        copy.unlink()
        files[3].write_text(files[3].read_text(encoding="utf-8").replace("# edited\n", ""), encoding="utf-8")
    assert results[batch.CHUNK] == results[1]


def test_a_batch_killed_at_random_moments_ends_as_one_never_interrupted(tmp_path):
    make_class(tmp_path / "class", 600)
    reference = run_grader("grade", SEED_SPEC, tmp_path / "class", "--out", tmp_path / "whole", "--jobs", "2",
                           "--quiet")
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "killed"
    rng = random.Random(20261127)
    kills = 0
    for _ in range(4):
        process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(SEED_SPEC), str(tmp_path / "class"),
                                    "--out", str(out), "--jobs", "2", "--quiet"], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.2, 1.2))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the whole group: the workers die too
            kills += 1
        process.wait()
    finished = run_grader("grade", SEED_SPEC, tmp_path / "class", "--out", out, "--jobs", "2", "--quiet")
    assert finished.returncode == 0, finished.stderr
    assert kills >= 1, "the batch finished before any kill: make the class larger"
    for folder in (out, tmp_path / "whole"):
        exported = run_grader("export", folder, "--format", "canvas,moodle,csv,gradescope,junit,md,html,stats")
        assert exported.returncode == 0, exported.stderr
    assert output_files(out) == output_files(tmp_path / "whole")  # reports and every export
    assert gradebook_rows(out) == gradebook_rows(tmp_path / "whole")
    assert not list(out.glob(".tmp-*"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_workers_stop_at_once_when_their_coordinator_is_killed(tmp_path):
    """Killed alone, the coordinator of two jobs left its workers grading on, each then printing a traceback into
    the closed pipe of results."""
    from grader.files import is_running

    make_class(tmp_path / "class", 600)
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(SEED_SPEC), str(tmp_path / "class"),
                                "--out", str(tmp_path / "out"), "--jobs", "2", "--quiet"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
            workers = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == process.pid]
        assert len(workers) == 2, "the pool never started"
        os.kill(process.pid, signal.SIGKILL)  # the coordinator alone
        process.wait()
        deadline = time.monotonic() + 5
        while any(is_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(is_running(pid) for pid in workers)
        assert "Traceback" not in process.stderr.read().decode("utf-8", "replace")
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_bytes().rsplit(b")", 1)[-1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def test_progress_is_quiet_off_a_terminal_and_the_summary_counts(tmp_path):
    make_class(tmp_path / "class", 60)
    done = run_grader("grade", SEED_SPEC, tmp_path / "class", "--out", tmp_path / "out")
    assert done.returncode == 0
    assert "it/s" not in done.stderr and "file/s" not in done.stderr  # no progress bar into a pipe
    assert "60 submission(s): 60 graded, 0 unchanged (skipped)" in done.stdout
    assert "student " not in done.stdout.splitlines()[0]  # a class this size gets a summary, not a table


def test_reports_match_the_gradebook(cli, tmp_path):
    make_class(tmp_path / "class", 10)
    out = tmp_path / "out"
    cli("grade", SEED_SPEC, tmp_path / "class", "--out", out)
    db = sqlite3.connect(out / "gradebook.sqlite")
    for stem, report in db.execute("SELECT report_stem, report FROM submissions"):
        on_disk = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
        assert on_disk == json.loads(report)
    parts = db.execute("SELECT count(*) FROM part_results").fetchone()[0]
    assert parts == 10 * 10  # ten parts: q4 is answered by none of these copies (missing)


def test_a_gradebook_that_kept_a_row_per_part_reads_its_parts_from_the_reports_and_keeps_its_readings(cli, tmp_path):
    """Part rows are read from the reports (a view): a gradebook of an earlier version, with a table of them,
    keeps its choice readings and shows the same parts as one made now, before and after a regrade; a regrade
    that no longer reads a choice leaves no reading behind."""
    make_class(tmp_path / "class", 3)
    new, old = tmp_path / "new", tmp_path / "old"
    cli("grade", SEED_SPEC, tmp_path / "class", "--out", new)
    cli("grade", SEED_SPEC, tmp_path / "class", "--out", old)
    made_now = gradebook_rows(new)
    assert len(made_now["part_results"]) == 30 and len(made_now["part_readings"]) == 9  # three choice parts each
    db = sqlite3.connect(old / "gradebook.sqlite")  # as an earlier version wrote it
    db.executescript("""
        CREATE TABLE earlier (assignment TEXT NOT NULL, source TEXT NOT NULL, part TEXT NOT NULL, kind TEXT NOT NULL,
            score REAL NOT NULL, max_score REAL NOT NULL, status TEXT NOT NULL, diagnosis TEXT, feedback TEXT,
            answer_key TEXT, PRIMARY KEY (assignment, source, part));
        INSERT INTO earlier SELECT * FROM part_results;
        DROP VIEW part_results; DROP TABLE part_readings;
        ALTER TABLE earlier RENAME TO part_results;""")
    db.close()
    cli("export", old, "--format", "stats")  # any command that opens it
    db = sqlite3.connect(old / "gradebook.sqlite")
    assert db.execute("SELECT type FROM sqlite_master WHERE name = 'part_results'").fetchone() == ("view",)
    db.close()
    assert gradebook_rows(old) == made_now
    first = sorted((tmp_path / "class").iterdir())[0]
    text = first.read_text(encoding="utf-8")
    first.write_text(re.sub(r"q1b: [a-z]", "q1b: ''", text) if first.suffix != ".json" else
                     re.sub(r'"q1b": "[a-z]"', '"q1b": ""', text), encoding="utf-8")
    cli("grade", SEED_SPEC, tmp_path / "class", "--out", old)
    rows = gradebook_rows(old)
    assert len(rows["part_results"]) == 30 and len(rows["part_readings"]) == 8
    assert [r for r in rows["part_results"] if r[2] == "q1b" and r[-1] is None]


def test_part_rows_of_a_damaged_report_say_the_gradebook_is_damaged(cli, tmp_path):
    from grader.gradebook import Gradebook, GradebookError

    make_class(tmp_path / "class", 2)
    cli("grade", SEED_SPEC, tmp_path / "class", "--out", tmp_path / "out")
    db = sqlite3.connect(tmp_path / "out" / "gradebook.sqlite")
    db.execute("UPDATE submissions SET report = '{broken' WHERE rowid = 1")
    db.commit()
    db.close()
    with Gradebook(tmp_path / "out" / "gradebook.sqlite") as book, pytest.raises(GradebookError, match="not JSON"):
        book.part_results("rnn-attention")


def test_report_names_asked_for_together_are_the_ones_asked_for_one_by_one(tmp_path):
    """A batch names a few hundred submissions with one question to the gradebook: the same names as one at a
    time, in order: an earlier run's name kept, a name taken in any case (here or by another assignment) or
    earlier in the same batch made unique, a name freed by nothing reused."""
    from grader.files import unique_stem
    from grader.gradebook import Gradebook

    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        assert book.stems_for("hw", [("a.yaml", "ali"), ("x.yaml", "Zed")], named_before=False) == ["ali", "Zed"]
        assert book.stem_for("other", "o.yaml", "bob") == "bob"
        book.flush()
        wanted = [("b.yaml", "Ali"), ("a.yaml", "ali"), ("c.yaml", "bob"), ("d.yaml", "cy"), ("e.yaml", "CY"),
                  ("f.yaml", "zed")]
        names = book.stems_for("hw", wanted)
        assert names == [unique_stem("Ali", "b.yaml"), "ali", unique_stem("bob", "c.yaml"), "cy",
                         unique_stem("CY", "e.yaml"), unique_stem("zed", "f.yaml")]
        book.flush()
        many = [(f"s{k}.yaml", f"st{k}") for k in range(1200)]  # more than one question's parameters
        assert book.stems_for("hw", many, named_before=False) == [f"st{k}" for k in range(1200)]
        book.flush()
        assert book.stems_for("hw", many[::-1]) == [f"st{k}" for k in range(1199, -1, -1)]


def test_a_progress_bar_on_a_terminal_and_none_with_quiet(tmp_path):
    import pty

    make_class(tmp_path / "class", 30)

    def stderr_on_a_terminal(*extra: str) -> str:
        main, child = pty.openpty()  # a bare pty reports a 0x0 size; the bar must show all the same
        done = subprocess.run([sys.executable, "-m", "grader", "grade", str(SEED_SPEC), str(tmp_path / "class"),
                               "--out", str(tmp_path / "out"), "--regrade", *extra], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=child, timeout=120)
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(main)
        assert done.returncode == 0
        return b"".join(chunks).decode("utf-8", "replace")

    import re

    bar = re.compile(r"\d+/30 \[")  # tqdm's "12/30 [00:00<...]", drawn on the terminal
    assert bar.search(stderr_on_a_terminal())
    assert not bar.search(stderr_on_a_terminal("--quiet"))


def test_a_class_folder_is_searched_below_but_not_in_hidden_places_or_through_folder_links(tmp_path):
    made = make_class(tmp_path / "class" / "section-b", 2) + make_class(tmp_path / "class" / "section-a", 1)
    hidden = make_class(tmp_path / "class" / ".git", 1)[0]  # e.g. a repository's own files
    (tmp_path / "class" / "section-a" / ".draft.yaml").write_text(hidden.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "class" / "notes.txt").write_text("not a submission", encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    make_class(tmp_path / "elsewhere", 1)
    (tmp_path / "class" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "class" / "one-file.yaml").symlink_to(made[0])  # graded under its own name already
    (tmp_path / "class" / "from-hidden.yaml").symlink_to(hidden)  # the only way to that file: followed
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(SEED_SPEC), str(tmp_path / "class"), "--out",
                           str(tmp_path / "out"), "--jobs", "1", "--format", "json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    db = sqlite3.connect(tmp_path / "out" / "gradebook.sqlite")
    sources = [Path(s) for (s,) in db.execute("SELECT source FROM submissions")]
    graded = sorted(s.relative_to(tmp_path / "class").as_posix() for s in sources)
    expected = sorted(["from-hidden.yaml", *(p.relative_to(tmp_path / "class").as_posix() for p in made)])
    assert graded == expected and len(expected) == 4
    assert "linked: skipped, a symbolic link to a folder (links to folders are not followed)" in done.stderr
    assert f"one-file.yaml: skipped, a symbolic link to {made[0]}, which is graded under its own name" in done.stderr


# --- a class's size does not decide what the run holds (issue 13) ----------------------------------------

def test_a_student_handing_in_again_is_told_of_the_earlier_file_graded_in_an_earlier_run(cli, write, tmp_path):
    """Students who handed in twice are found in the gradebook, not in a table of the run: a new file is warned
    about beside one graded (and unchanged) since an earlier run; a run that grades nothing warns of nothing."""
    write("class/a.yaml", "student: s1\nanswers: {q1b: c}\n")
    write("class/b.yaml", "student: s2\nanswers: {q1b: c}\n")
    out = tmp_path / "out"
    first = cli("grade", SEED_SPEC, tmp_path / "class", "--out", out, "--jobs", "1")
    assert "also submitted" not in first.err and "differ only in case" not in first.err
    write("class/c.yaml", "student: s1\nanswers: {q1b: d}\n")
    write("class/d.yaml", "student: S2\nanswers: {q1b: d}\n")
    second = cli("grade", SEED_SPEC, tmp_path / "class", "--out", out, "--jobs", "1")
    assert "2 graded, 2 unchanged" in second.out
    assert f"{tmp_path / 'class' / 'c.yaml'}: student 's1' also submitted {tmp_path / 'class' / 'a.yaml'}" in second.err
    assert "student 'S2' and 's2' differ only in case" in second.err
    third = cli("grade", SEED_SPEC, tmp_path / "class", "--out", out, "--jobs", "1")
    assert "0 graded, 4 unchanged" in third.out and "also submitted" not in third.err


def test_a_pool_kept_to_a_few_submissions_in_flight_grades_as_one_process_does(tmp_path, monkeypatch):
    from grader import batch
    from grader.collect import collect
    from grader.spec import load_spec

    make_class(tmp_path / "class", 30)
    spec = load_spec(SEED_SPEC)
    serial = batch.grade_class(SEED_SPEC, spec, collect([str(tmp_path / "class")]).files, tmp_path / "one",
                               jobs=1, formats=["json"])
    monkeypatch.setattr(batch, "IN_FLIGHT", 2)  # the window is at least 4 chunks a worker: 8 of 30 at a time
    pooled = batch.grade_class(SEED_SPEC, spec, collect([str(tmp_path / "class")]).files, tmp_path / "two",
                               jobs=2, formats=["json"])
    assert (pooled.graded, pooled.total_score) == (serial.graded, serial.total_score) == (30, serial.total_score)
    assert output_files(tmp_path / "one") == output_files(tmp_path / "two")


def test_the_pool_minds_its_workers_without_waking_at_every_result(tmp_path, monkeypatch):
    """The coordinator shares the machine with its workers: the pool's thread that minds them wakes when a worker
    exits or the pool changes state, not once (or, spinning, many times) per result a worker sends."""
    from grader import batch
    from grader.collect import collect
    from grader.spec import load_spec

    from multiprocessing.pool import Pool  # its worker thread runs Pool._handle_workers, which calls Pool's own

    make_class(tmp_path / "class", 64)
    spec = load_spec(SEED_SPEC)
    maintain = Pool._maintain_pool
    woken = []

    def counted(*args):
        woken.append(1)
        return maintain(*args)

    monkeypatch.setattr(Pool, "_maintain_pool", staticmethod(counted))
    summary = batch.grade_class(SEED_SPEC, spec, collect([str(tmp_path / "class")]).files, tmp_path / "out", jobs=2,
                                formats=["json"])
    assert summary.graded == 64
    assert 1 <= len(woken) < 8, f"the pool's worker thread woke {len(woken)} times for 16 results (chunks of 4)"


def test_a_run_that_fails_while_the_pool_waits_for_room_ends_instead_of_hanging(tmp_path, monkeypatch):
    """The pool's feeding thread waits for room; a run stopped by an error (a full disk while writing rows, say)
    must still shut the pool down, not wait for that thread forever."""
    import threading

    from grader import batch
    from grader.collect import collect
    from grader.spec import load_spec

    make_class(tmp_path / "class", 60)
    spec = load_spec(SEED_SPEC)
    monkeypatch.setattr(batch, "IN_FLIGHT", 2)
    taken = []

    def failing_take(*args, **kwargs):
        taken.append(1)
        if len(taken) == 3:
            time.sleep(0.5)  # the feeding thread fills the window (24 of 60) and waits for room
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(batch, "_take", failing_take)
    outcome: list = []

    def run():
        try:
            batch.grade_class(SEED_SPEC, spec, collect([str(tmp_path / "class")]).files, tmp_path / "out", jobs=2,
                              formats=["json"])
        except OSError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the run hung after its error"
    assert outcome and outcome[0].errno == 28
    assert not multiprocessing.active_children()  # the pool is shut down, not left to the garbage collector


def test_a_new_gradebook_has_pages_a_report_shares_and_an_old_one_keeps_its_own(cli, tmp_path):
    """Reports are about 3 KB: a new gradebook is made with 16 KB pages, where several share a page. A gradebook
    made with SQLite's default pages (an earlier version's) is graded into as it is, its page size unchanged."""
    from conftest import SEED_CLASS
    from grader.gradebook import PAGE_BYTES, SCHEMA

    def page_size(folder):
        with sqlite3.connect(folder / "gradebook.sqlite") as db:
            return db.execute("PRAGMA page_size").fetchone()[0]

    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", tmp_path / "new").status == 0
    assert page_size(tmp_path / "new") == PAGE_BYTES == 16_384

    old = tmp_path / "old"
    old.mkdir()
    with sqlite3.connect(old / "gradebook.sqlite") as db:  # as an earlier version made it: default pages, WAL
        db.execute("PRAGMA page_size=4096")
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", old).status == 0
    assert page_size(old) == 4096
    with sqlite3.connect(old / "gradebook.sqlite") as db:
        graded = db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    assert graded == 8  # the example class, its unreadable file included
