"""Writing results safely: file names from student ids that cannot escape ``--out``, atomic writes.

A student id is data ("../../etc/passwd" is a valid string), so a file name is built only
from a safe subset of its characters plus, when anything was changed, a hash of the whole id.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import re
import secrets
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def safe_name(student: str) -> str:
    """A file-name stem for a student id: the id itself when it is plainly safe, else a cleaned id + hash."""
    base = _UNSAFE.sub("_", student).strip("._-")[:64]
    if base == student and base.split(".")[0].lower() not in _RESERVED:
        return base
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{base or 'student'}-{digest}"


def unique_stem(student: str, source: str) -> str:
    """A stem for a student id whose plain stem is taken: the cleaned id and a hash of id and source,
    stable from run to run and never another student's plain name."""
    digest = hashlib.sha256(f"{student}\0{source}".encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{_UNSAFE.sub('_', student).strip('._-')[:64] or 'student'}-{digest}"


class NameBook:
    """Hands out distinct stems within one run, case-insensitively (as on macOS and Windows).

    A stem already taken (two files claiming one id, or ``Ali`` after ``ali``) gets a hash of the
    id and its source file instead: stable across runs, and never another student's plain name.
    """

    def __init__(self) -> None:
        self.used: set[str] = set()

    def claim(self, student: str, source: str = "") -> str:
        stem = safe_name(student)
        if stem.lower() in self.used:
            stem = unique_stem(student, source)
        self.used.add(stem.lower())
        return stem


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
_TOKEN = secrets.token_hex(4)  # told apart from other runs' leftovers; forked workers differ by pid
_STAGED = itertools.count()


def stage(directory: Path, text: str) -> str:
    """Write ``text`` to a new temporary file in ``directory`` and return its path: the first half of
    an atomic write whose :func:`publish` (a rename) may happen in another process."""
    try:  # a name unique to this process and call: cheaper than mkstemp's random tries, as safe (O_EXCL)
        tmp = os.path.join(directory, f".tmp-{os.getpid()}-{_TOKEN}-{next(_STAGED)}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)  # & ~umask
    except FileExistsError:  # a leftover of a killed run that drew the same token: let mkstemp choose
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a report is as readable as any file the user writes
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def publish(staged: str, directory: Path, filename: str) -> Path:
    """Rename a staged file to ``directory/filename`` (a safe name: one path component, no '..')."""
    if os.sep in filename or (os.altsep and os.altsep in filename) or filename in (".", "..") or not filename:
        raise ValueError(f"refusing to write {filename!r}: not a plain file name")
    target = directory / filename
    os.replace(staged, target)
    return target


def write_atomic(directory: Path, filename: str, text: str) -> Path:
    """Write ``directory/filename`` whole or not at all (temp file + rename); never outside ``directory``."""
    with atomic_writer(directory, filename) as (handle, target):
        handle.write(text)
    return target


@contextmanager
def atomic_writer(directory: Path, filename: str, newline: str = "\n") -> Iterator[tuple[IO[str], Path]]:
    """A text file to stream into, renamed to ``directory/filename`` only when complete.

    A killed process leaves the old file or the new one, never half of one (the rename is atomic).
    There is no fsync: that would guard against a power cut, not a killed process, and costs more
    than grading a submission."""
    directory = directory.resolve()
    target = (directory / filename).resolve()
    if target.parent != directory:
        raise ValueError(f"refusing to write {filename!r} outside {directory}")
    try:  # a name unique to this process and call: cheaper than mkstemp's random tries, as safe (O_EXCL)
        tmp = os.path.join(directory, f".tmp-{os.getpid()}-{_TOKEN}-{next(_STAGED)}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except FileExistsError:  # a leftover of a killed run that drew the same token: let mkstemp choose
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a report should get the usual permissions
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            yield handle, target
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
