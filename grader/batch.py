"""Grading a class: many submission files, every core, constant memory, resumable.

Workers (one per core) read, grade and render submissions; results come back in input
order to this process, which alone writes report files (atomically) and gradebook rows
(in transactions, after the files). So a run killed at any moment and run again ends with
the same files and rows as one never interrupted: what was committed is skipped as
unchanged, what was not is graded again and written the same way.
"""
from __future__ import annotations

import collections
import ctypes
import functools
import gc
import hashlib
import itertools
import os
import shutil
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Iterable, Iterator

import numpy as np

from . import __version__
from .files import ensure_folder, publish, remove_stale_temporaries, stage
from .gradebook import Graded, Gradebook, Override, SubmissionRows, apply_overrides, rows_of
from .grading import grade_safely
from .outline import stored_parts
from .report import RENDERERS
from .spec import LoadedSpec, load_spec
from .answer_files import folder_fingerprint, is_answers_file
from .document import SUBMISSION_LIMITS, read_with_status
from .errors import GraderError, InputError, quote, shown_path
from .collect import Listing, identity
from .submission import load_submission, unreadable

FLUSH_EVERY = 250  # submissions per gradebook transaction: bounds the rows held in memory
FLUSH_SECONDS = 2.0
TRIM_EVERY = 250  # submissions a worker grades between giving back the C heap's free pages
STAGING = ".staging"  # workers write here (a small directory: creating files is cheap), then files are renamed


@dataclass
class Work:
    """What a worker sends back for one submission file: little, since a pool pickles it across."""

    source: str
    content_hash: str
    skipped: bool = False
    left_out: str | None = None  # why this file is no submission at all (a report grader wrote)
    student: str = ""
    score: float = 0.0
    max_score: float = 0.0
    problem: str | None = None  # why the whole file could not be graded
    errors: int = 0  # parts the grader itself failed on
    rows: SubmissionRows | None = None  # its gradebook rows, but for the report file stem, which is chosen here
    staged: dict[str, str] = field(default_factory=dict)  # format -> a written temporary file, to be renamed
    texts: dict[str, str] = field(default_factory=dict)  # format -> the report's text, where no file was staged


@dataclass
class Summary:
    graded: int = 0
    skipped: int = 0
    unreadable: int = 0
    left_out: int = 0  # files that turned out to be grader's own output
    gone: int = 0  # submissions graded before whose files are no longer in the class folder
    errors: int = 0
    total_score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # one line per unreadable file (the first 100)
    warnings: list[str] = field(default_factory=list)  # e.g. two files claiming one student (the first 100)
    rows: list[dict[str, Any]] = field(default_factory=list)  # the table, for small classes


# --- the worker side -------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _start(spec_path: str, graded: dict[str, tuple[str, str, str, str]] | None, spec_hash: str, regrade: bool,
           formats: list[str], overrides: dict[tuple[str, str], Override], out: Path, assignment: str,
           spec: LoadedSpec | None = None) -> None:
    """A worker's state for the run. ``graded``: what was graded before, by source, for a worker that may not see
    the gradebook (a cluster's); None: ask the gradebook in OUT, one file at a time."""
    if isinstance(_STATE.get("known"), Graded):
        _STATE["known"].close()
    known = Graded(out / "gradebook.sqlite", assignment) if graded is None else graded
    _STATE.update(spec=spec or load_spec(spec_path), known=known, spec_hash=spec_hash, assignment=assignment,
                  regrade=regrade, formats=formats, overrides=overrides, out=out, staging=out / STAGING)
    gc.freeze()  # the spec and its solved references live as long as the run: no collection need walk them again


def source_key(path: Path) -> str:
    """A file's path as gradebook text, one to one: UTF-8 names as they are, other bytes as ``\\xNN`` and a
    backslash as two, so no two files share a key (a name with the bytes ``\\xff`` written out is not the
    name holding the byte 0xff)."""
    return os.fsencode(path).replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


def _work(task: tuple[str, Path | str, int]) -> Work:
    """One submission file graded: read, parsed, graded, rendered, its report staged (:func:`_work_all`)."""
    return _work_all([task])[0]


CHUNK = 64  # files a worker takes together, each step of grading done for all of them before the next (_work_all)


def _work_all(tasks: list[tuple[str, Path | str, int]]) -> list[Work]:
    """Read, grade and render several submission files, one step at a time for all of them: every file read,
    then every file parsed, graded, rendered and written. A step run many times over keeps its code and data
    in the processor's caches; the same steps file by file took a fifth longer (issue 13, bench/README.md)."""
    state = _STATE
    read = [_read(source, path, listed) for source, path, listed in tasks]
    known = None if state["regrade"] else state["known"]
    works: list[Work | None] = [None] * len(read)
    for i, (source, path, raw, _, content_hash) in enumerate(read):
        graded = None if known is None else known.get(source)
        if graded is not None and graded[:3] == (content_hash, state["spec_hash"], __version__) \
                and all(os.path.isfile(state["out"] / (graded[3] + RENDERERS[fmt].suffix)) for fmt in state["formats"]):
            works[i] = Work(source, content_hash, skipped=True)  # graded, and its report files are all there
    submissions = {i: load_submission(path, raw=raw) if isinstance(raw, bytes) else unreadable(path, raw)
                   for i, (_, path, raw, _, _) in enumerate(read) if works[i] is None}
    reports = {}
    for i, submission in submissions.items():
        if submission.output_of_grader:
            works[i] = Work(read[i][0], read[i][4], left_out=f"{submission.source}: skipped, "
                                                             f"{submission.output_of_grader}, not a submission")
        else:
            reports[i] = grade_safely(state["spec"], submission)
            state["graded"] = state.get("graded", 0) + 1
            if state["graded"] % TRIM_EVERY == 0:
                give_back_memory()
    texts = {}
    for i, report in reports.items():
        source, _, _, modified, content_hash = read[i]
        works[i], texts[i] = _rendered(state, source, content_hash, modified, report)
    for i, by_format in texts.items():
        if state.get("remote"):  # a cluster worker may not see the output folder: the coordinator writes the files
            works[i].texts = by_format
        else:
            works[i].staged = {fmt: stage(state["staging"], text) for fmt, text in by_format.items()}
    return works  # type: ignore[return-value]


def _read(source: str, path: Path | str, listed: int = 0) -> tuple[str, Path, bytes | InputError, float | None, str]:
    """(source, path, its bytes or why they cannot be read, when it was modified, its content hash). ``listed``:
    the file's :func:`~grader.collect.identity` when the class was listed (0: not known); another file opened
    under its name is not read."""
    if not isinstance(path, Path):  # sent across to a worker as text: a Path pickles to its parts, and costs more
        path = Path(path)
    raw: bytes | InputError  # read once: hashed here, parsed later
    try:
        raw, info = read_with_status(path, SUBMISSION_LIMITS)
        if listed and identity(info) != listed:
            raise InputError(shown_path(path), None, None, "is another file than the one listed a moment before "
                             "(replaced, or a link put in its place, while grading ran); grade again")
        modified, stamp = info.st_mtime, raw
    except InputError as exc:  # unreadable, oversized, or not a regular file: an invalid report says why
        raw = exc
        try:
            info = os.stat(path)
            modified, stamp = info.st_mtime, f"{info.st_size}:{info.st_mtime_ns}:{info.st_mode}".encode()
        except OSError:
            modified, stamp = None, b""
    if is_answers_file(path):  # a folder submission: its other files are part of what was handed in
        stamp += folder_fingerprint(path.parent)
    return source, path, raw, modified, hashlib.sha256(stamp).hexdigest()


def _rendered(state: dict[str, Any], source: str, content_hash: str, modified: float | None,
              report: Any) -> tuple[Work, dict[str, str]]:
    """A graded report's Work (its gradebook rows) and its text in each format asked for."""
    readings = {p.id: p.reading for p in report.parts if p.reading is not None}
    overrides = state["overrides"]  # most runs have none: then no part is looked up
    overridden = bool(overrides) and any((report.student, p.id) in overrides for p in report.parts)
    # the gradebook keeps the automatic report: the JSON file's text when nothing overrides it, made from each
    # part's text, which is made once per distinct answer (Report.json_text)
    stored = report.json_text()
    shown = apply_overrides(report.to_json(), overrides) if overridden else None
    texts = {fmt: stored + "\n" if fmt == "json" and shown is None else
             RENDERERS[fmt].from_json(report.to_json() if shown is None else shown) for fmt in state["formats"]}
    rows = rows_of(state["assignment"], source, content_hash, state["spec_hash"], __version__, modified, report,
                   readings, stored)
    return Work(source, content_hash, student=report.student, score=report.score, max_score=report.max_score,
                problem=report.problem, errors=sum(1 for p in report.parts if p.status == "error"), rows=rows), texts


def _start_pooled(*args: Any) -> None:
    _die_with_coordinator()
    _start(*args)
    _STATE["pooled"] = True


_COORDINATOR: list[int] = []  # the process that starts a pool, set before it forks its workers


def _die_with_coordinator() -> None:
    """A worker whose coordinator was killed (SIGKILL leaves it no time to stop its pool) stops at once, rather
    than grade on and print tracebacks into a closed pipe (Linux's parent-death signal; elsewhere nothing)."""
    prctl = _libc("prctl")
    if prctl is None:
        return
    prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if _COORDINATOR and os.getppid() != _COORDINATOR[0]:  # it died before the signal was asked for
        os._exit(1)


def _work_remote(task: tuple[str, str, int], setup: tuple, run: str) -> Work:
    """``_work`` on a Dask worker: the run's state is set up once per worker process (``run`` tells runs apart)."""
    if _STATE.get("run") != run:
        _start(*setup)
        _STATE.update(run=run, remote=True)
    return _work(task)


def _end() -> None:
    if isinstance(_STATE.get("known"), Graded):
        _STATE.pop("known").close()


# --- the coordinating side --------------------------------------------------------------------

def register(book: Gradebook, spec: LoadedSpec, spec_path: Path) -> None:
    """The assignment in the gradebook, with what exports show of each part (the service registers the same)."""
    a = spec.assignment
    book.register(a.id, a.title, a.max_score, stored_parts(spec), str(spec_path), spec.digest)


def grade_class(spec_path: Path, spec: LoadedSpec, files: Collection[Path], out: Path, *, jobs: int,
                formats: list[str], regrade: bool = False, progress: bool = False, table_limit: int = 50,
                folders: Iterable[str] = (), unseen: Iterable[str] = (), cluster: str | None = None) -> Summary:
    """Grade ``files`` into ``out``. ``folders``: the class folders they were listed from, complete: a submission
    graded before from one of them that is no longer there (withdrawn, renamed) leaves the gradebook and its
    reports, so no export shows it; one under ``unseen`` (what is there but could not be listed or examined this
    time) stays. Nothing here holds a class-sized table: ``files`` is read as it goes (see
    :class:`grader.collect.Listing`), what was graded before is asked of the gradebook file by file, and
    students who handed in twice are found in it at the end."""
    started = time.monotonic()
    ensure_folder(out, parents=True)
    ensure_folder(out / STAGING)
    _remove_stale_temporaries(out)
    spec_hash = spec.digest
    book = Gradebook(out / "gradebook.sqlite")
    a = spec.assignment
    register(book, spec, spec_path)
    since = book.last_row()
    overrides = book.overrides(a.id)
    tasks = _tasks(files)
    summary = Summary()
    # what was graded before: a cluster's workers, which may not see the gradebook, are sent its table; a first run
    # has nothing to ask; any other run's workers ask the gradebook file by file (None)
    if cluster:
        graded = book.fingerprints(a.id)
    else:
        graded = None if book.has_submissions(a.id) else {}
    args = (str(spec_path), graded, spec_hash, regrade, formats, overrides, out, a.id)
    results = _on_cluster(tasks, len(files), args, cluster, progress) if cluster else \
        _results(tasks, len(files), args, spec, jobs, progress)
    try:
        _forget_gone(book, a.id, out, folders, files, summary, unseen)  # first: their names are free
        named_before = book.has_names(a.id)
        flushed = time.monotonic()
        graded: list[Work] = []  # taken, to be named, published and recorded together
        for work in results:
            if _take(work, summary):
                graded.append(work)
            if len(graded) >= FLUSH_EVERY or time.monotonic() - flushed > FLUSH_SECONDS:
                _record(graded, book, a.id, out, named_before)
                book.flush()
                give_back_memory()
                flushed = time.monotonic()
        _record(graded, book, a.id, out, named_before)
        book.flush()
        _namesakes(book, a.id, since, summary)
        if len(files) <= table_limit:
            summary.rows = _table_rows(book, a.id, [key for key, _, _ in _tasks(files)])
    finally:
        results.close()  # now, not when collected: a pool stopped by an error shuts down here
        book.close()
        _end()
        _remove_stale_temporaries(out, own=True)  # what a failed run staged but never published
    summary.seconds = time.monotonic() - started
    return summary


def _tasks(files: Iterable[Path]) -> Iterator[tuple[str, Path, int]]:
    """(gradebook key, path, identity as listed or 0) of each file, made as the workers take them (the path as the
    listing made it: one job uses it as it is; a pool's and a cluster's tasks carry it as text)."""
    marks = files.marks() if isinstance(files, Listing) else itertools.repeat(0)
    for path, listed in zip(files, marks):
        yield source_key(path), path, listed


IN_FLIGHT = 1024  # submissions handed to workers and not yet written: what a fast pool may run ahead by


def _results(tasks: Iterator[tuple[str, Path, int]], count: int, args: tuple, spec: LoadedSpec, jobs: int,
             progress: bool) -> Iterable[Work]:
    bar = _progress(count, progress)
    if jobs <= 1 or count < 2 * jobs:
        _start(*args, spec=spec)
        for chunk in _chunks(tasks, CHUNK):
            for work in _work_all(chunk):
                yield work
                bar.update()
        bar.close()
        return
    import multiprocessing  # here, not above: a run with one job (and every other command) never starts a pool

    forked = sys.platform.startswith("linux")
    context = multiprocessing.get_context("fork" if forked else "spawn")
    _COORDINATOR[:] = [os.getpid()]
    gc.freeze()  # here too: the coordinator's collections need not walk the spec and modules each worker also has
    chunk = max(1, min(CHUNK, count // (jobs * 8)))
    room = threading.BoundedSemaphore(max(IN_FLIGHT, 4 * jobs * chunk))
    stop = threading.Event()

    def handed(tasks: Iterator[tuple[str, Path, int]]) -> Iterator[tuple[str, str, int]]:
        for task in tasks:  # taken by the pool's feeding thread: it waits here while the results are behind
            while not room.acquire(timeout=0.2):
                if stop.is_set():  # the run ended early: the pool's shutdown waits for this thread
                    return
            yield task[0], str(task[1]), task[2]

    # forked workers share the spec this process loaded and solved (nothing is copied until written); spawned
    # ones load it again
    initargs = (*args, spec) if forked else args
    with _pool_class()(jobs, initializer=_start_pooled, initargs=initargs, context=context) as pool:
        try:
            for works in pool.imap(_work_all, _chunks(handed(tasks), chunk)):  # in input order: names stay stable
                for work in works:
                    room.release()
                    yield work
                    bar.update()
        finally:
            stop.set()
    bar.close()


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (the last may be shorter), taken as they are asked for."""
    items = iter(items)
    return iter(lambda: list(itertools.islice(items, size)), [])


@functools.lru_cache(maxsize=1)
def _pool_class() -> type:
    """The standard pool, but its thread that minds the workers wakes when a worker exits or the pool changes
    state, not at every result: CPython's also waits on the results' pipe, and then spins until the results'
    thread has read it (about half a second of the coordinator's CPU per 10,000 submissions here, beside two
    busy workers on two cores). Exits and state changes wake it as before: the workers' own sentinels, and the
    notifier that closing, terminating and a drained task cache write to. Made when first asked for, so that
    only runs with more than one job import multiprocessing (about 10 ms of every command's start)."""
    import multiprocessing.pool

    class Pool(multiprocessing.pool.Pool):
        def _get_sentinels(self) -> list:
            return [self._change_notifier._reader]

    return Pool


class ClusterError(GraderError):
    """The Dask scheduler named by --cluster cannot be used: one line, exit status 2."""


def _on_cluster(tasks: Iterator[tuple[str, Path, int]], count: int, args: tuple, address: str,
                progress: bool) -> Iterable[Work]:
    """Grade on a running Dask scheduler's workers (each needs bubblewrap for code parts, and the class folder at
    the same path); the reports and the gradebook are written here, in input order, as a local run writes them."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError("--cluster needs Dask's distributed scheduler: pip install 'grader[cluster]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"--cluster {address}: no Dask scheduler answers there ({exc})") from None
    bar = _progress(count, progress)
    try:
        [setup] = client.scatter([args], broadcast=True)  # the spec path, fingerprints, overrides: sent once
        run = uuid.uuid4().hex
        waiting: collections.deque = collections.deque()  # submitted, in input order; at most IN_FLIGHT of them
        for task in itertools.chain(tasks, [None]):
            if task is not None:
                waiting.append(client.submit(_work_remote, (task[0], str(task[1]), task[2]), setup=setup, run=run,
                                             pure=False))
            while waiting and (task is None or len(waiting) >= IN_FLIGHT):
                yield waiting.popleft().result()
                bar.update()
    finally:
        bar.close()
        client.close()


def _take(work: Work, summary: Summary) -> bool:
    """Count a worker's result; True if it is a graded submission, whose files and rows :func:`_record` writes."""
    if work.skipped:
        summary.skipped += 1
        return False
    if work.left_out:
        summary.left_out += 1
        if len(summary.warnings) < 100:
            summary.warnings.append(work.left_out)
        return False
    summary.graded += 1
    summary.total_score += work.score
    summary.max_score = work.max_score
    if work.problem:
        summary.unreadable += 1
        if len(summary.problems) < 100:
            summary.problems.append(work.problem)
    summary.errors += work.errors
    return True


def _record(graded: list[Work], book: Gradebook, assignment: str, out: Path, named_before: bool) -> None:
    """Name graded submissions' report files (in input order: names stay stable), publish them, and queue their
    rows; ``graded`` is emptied. ``named_before``: did an earlier run name report files of this assignment (if not,
    no earlier name is looked up)."""
    stems = book.stems_for(assignment, [(work.source, work.student) for work in graded], named_before)
    for work, stem in zip(graded, stems):
        for fmt, staged in work.staged.items():  # written by the worker
            publish(staged, out, stem + RENDERERS[fmt].suffix)
        for fmt, text in work.texts.items():  # from a cluster worker: written here
            publish(stage(out / STAGING, text), out, stem + RENDERERS[fmt].suffix)
        book.record_rows(stem, work.rows)
    graded.clear()


def _namesakes(book: Gradebook, assignment: str, since: int, summary: Summary) -> None:
    """Warn of students who handed in more than one file, or wrote their id in two cases, in this run."""
    for source, student, earlier, earlier_student in book.namesakes(assignment, since):
        if len(summary.warnings) >= 100:
            return
        if student == earlier_student:
            summary.warnings.append(f"{shown_path(source)}: student {quote(student)} also submitted "
                                    f"{shown_path(earlier)}; both are graded, and exports take the file modified last")
        else:
            summary.warnings.append(f"{shown_path(source)}: student {quote(student)} and {quote(earlier_student)} "
                                    "differ only in case: one student for their numbers, two in the gradebook and "
                                    "exports; write the id one way in both files")


def _forget_gone(book: Gradebook, assignment: str, out: Path, folders: Iterable[str], files: Iterable[Path],
                 summary: Summary, unseen: Iterable[str] = ()) -> None:
    # the folder's files as their keys begin (Path drops a leading ./, so "." is every relative path below)
    prefixes = [source_key(Path(folder) / "x")[:-1] for folder in folders]
    if not prefixes:
        return
    below = lambda source, prefix: source.startswith(prefix) and (  # noqa: E731
        prefix or not (os.path.isabs(source) or source.startswith(os.pardir + os.sep)))
    kept = [(source_key(Path(path)), source_key(Path(path) / "x")[:-1]) for path in unseen]
    listed = None  # the files listed now, as sorted hashes of their keys: 8 bytes a file, made if needed
    gone = []
    for source, stem in book.sources(assignment):  # a cursor: a class graded before is not held whole either
        if not any(below(source, prefix) for prefix in prefixes):
            continue
        if any(source == path or source.startswith(inside) for path, inside in kept):
            continue  # there, perhaps, but not seen this time (a folder closed for now): not gone
        if listed is None:
            listed = np.sort(np.fromiter((hash(key) for key, _, _ in _tasks(files)), dtype=np.int64))
        at = int(np.searchsorted(listed, hash(source)))
        if at == len(listed) or listed[at] != hash(source):  # a gone file sharing a hash with one listed is kept
            gone.append((source, stem))
    for source, stem in gone:  # the files first: a run killed between the two steps leaves rows to find next time,
        for renderer in RENDERERS.values():  # never report files that no row names
            (out / (stem + renderer.suffix)).unlink(missing_ok=True)  # a name, never followed through a link
        if len(summary.warnings) < 100:
            summary.warnings.append(f"{shown_path(source)}: graded before, no longer in the class folder: its report "
                                    "and gradebook rows are removed")
    book.forget(assignment, [source for source, _ in gone])
    summary.gone = len(gone)


def _table_rows(book: Gradebook, assignment: str, sources: list[str]) -> list[dict[str, Any]]:
    wanted = set(sources)
    return [row.report for row in book.rows(assignment, latest_only=False) if row.source in wanted]


def _remove_stale_temporaries(out: Path, own: bool = False) -> None:
    """Half-written report files of a run that was killed (write_atomic's and the workers' temporaries)."""
    for folder in (out, out / STAGING):
        remove_stale_temporaries(folder, own=own)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, wanted: bool):
    if not wanted:
        return _NoBar()
    from tqdm import tqdm

    # A terminal that reports a size of 0x0 (a bare pty, some containers) would make tqdm hide the bar
    # entirely, as if it sat below the last row; such a terminal gets 80x24 instead.
    size = shutil.get_terminal_size((80, 24))
    return tqdm(total=total, unit="file", file=sys.stderr, ncols=size.columns, nrows=size.lines, leave=False)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def give_back_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim; elsewhere nothing). A long run
    frees its reports and answers in between what it keeps, and without this its resident memory creeps up with
    the class, a few megabytes per 100,000 submissions (issue 13). It costs well under a millisecond."""
    trim = _libc("malloc_trim")
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=None)
def _libc(name: str):
    """The C library's function ``name``, or None where it has none (malloc_trim beyond glibc; prctl beyond
    Linux)."""
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
