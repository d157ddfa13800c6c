"""Answers handed in as files: which answers name a file, and reading one without trusting the name.

A submission may be a folder, ``<student>/answers.yaml`` beside the files its answers name
(``q4: rnn.py``). The loader reads those files here, once, so grading itself never opens a file. An
answer names a file when it is one word (no spaces), at most 255 characters, ending with a suffix some
kind takes (``FILE_SUFFIXES`` in a kind module: ``.txt``/``.md`` for text, ``.py``/``.ipynb`` for code);
anything else is an ordinary answer and is never used as a path.

What a name may be, decided so that student text can never reach outside the student's folder:

- a bare file name directly in the submission folder: no ``/`` or ``\\`` (so no ``..``, no absolute path,
  no subfolder), no NUL, not hidden (a leading ``.``);
- a symbolic link is followed only to a file inside the submission folder;
- a regular file (not a pipe, a device, a folder) of at most :data:`MAX_FILE_BYTES`, in UTF-8 (or UTF-16
  with a byte-order mark); a notebook is read for its code cells (:mod:`grader.notebooks`).

A name that breaks a rule, or a file that cannot be read, makes the part ``invalid``; a file that is not
there makes it ``missing``; each with a sentence naming the file.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any

from .document import Limits, decode, read_bytes
from .errors import InputError, quote, shown_path
from .model import FileAnswer, FileProblem, Status
from .notebooks import NotebookError, read_notebook

MAX_FILE_BYTES = 200_000  # far above any homework's code; a data file or a model dump is refused
MAX_NAME = 255  # the longest file name most file systems allow
ANSWER_STEM = "answers"  # a folder submission's answers: answers.yaml, answers.yml or answers.json


def is_answers_file(path: str | Path) -> bool:
    """Is this the answers file of a folder submission (its folder holds the student's files)?"""
    return is_answers_name(*os.path.splitext(os.path.basename(path)))


def is_answers_name(stem: str, suffix: str) -> bool:
    """:func:`is_answers_file` of a name already split (the listing splits every name once)."""
    return stem == ANSWER_STEM and suffix.lower() in (".yaml", ".yml", ".json")


def folder_name(folder: Path) -> str:
    """The submission folder's own name, for messages and as the student id of last resort."""
    return shown_path(os.path.basename(os.path.realpath(folder)))


@lru_cache(maxsize=1)
def file_suffixes() -> tuple[str, ...]:
    """Every suffix some kind takes a file with (the kinds' own ``FILE_SUFFIXES``)."""
    from .kinds import KINDS

    return tuple(sorted({s.lower() for kind in KINDS.values() for s in getattr(kind, "FILE_SUFFIXES", ())}))


def names_file(value: Any, suffixes: tuple[str, ...]) -> bool:
    """Does this answer name a file with one of ``suffixes``? One word ending in the suffix, nothing more."""
    if not isinstance(value, str) or not suffixes or len(value) > MAX_NAME or any(c.isspace() for c in value):
        return False
    lowered = value.lower()
    return any(lowered.endswith(s) and len(value) > len(s) for s in suffixes)


def attach_files(answers: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``answers`` with every answer that names a file replaced by the file, read (or why it cannot be)."""
    suffixes = file_suffixes()
    return {key: read_answer_file(folder, value) if names_file(value, suffixes) else value
            for key, value in answers.items()}


def read_answer_file(folder: Path, name: str) -> FileAnswer | FileProblem:
    """The file ``name`` of the submission folder ``folder``, read, or a :class:`FileProblem` saying why not."""
    where = folder_name(folder)
    shown = f"{where}/{shown_path(name)}"
    if "\0" in name or "/" in name or "\\" in name or name in (".", ".."):
        return FileProblem(name, Status.INVALID, f"{quote(name)} is not a file name: give the bare name of a file "
                                                 "in your submission folder, beside answers.yaml (paths and "
                                                 "subfolders are not read)")
    if name.startswith("."):
        return FileProblem(name, Status.INVALID, f"{quote(name)} is a hidden file, which is not read: rename it")
    path = folder / name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return FileProblem(name, Status.MISSING, f"{name} is not in the submission folder{_near(folder, name)}")
    except OSError as exc:
        return FileProblem(name, Status.INVALID, f"{shown}: cannot be examined ({exc.strerror or exc})")
    if stat.S_ISLNK(info.st_mode):
        inside, real = os.path.realpath(folder), os.path.realpath(path)
        if os.path.commonpath([inside, real]) != inside:
            return FileProblem(name, Status.INVALID, f"{shown} is a symbolic link to a file outside the submission "
                                                     "folder, which is not read: hand in the file itself")
        path = Path(real)
    try:
        text = decode(read_bytes(path, Limits(max_bytes=MAX_FILE_BYTES)), shown)
    except InputError as exc:
        return FileProblem(name, Status.INVALID, _why(exc, shown))
    if not name.lower().endswith(".ipynb"):
        return FileAnswer(name, text, shown)
    try:
        notebook = read_notebook(text)
    except NotebookError as exc:
        return FileProblem(name, Status.INVALID, f"{shown}: {exc}")
    return FileAnswer(name, notebook.source, shown, notebook.origins)


def _why(exc: InputError, shown: str) -> str:
    """The reader's reason, said of the file as the student knows it (never the grader's full path)."""
    return str(InputError(shown, exc.line, exc.col, exc.message))


def _near(folder: Path, name: str) -> str:
    """`` (is it Rnn.py?)`` when the folder holds a name close to the one given."""
    try:
        names = [n for n in os.listdir(folder) if not n.startswith(".")][:1000]
    except OSError:
        return ""
    close = [n for n in names if n.casefold() == name.casefold()][:1] or \
        difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    return f" (is it {close[0]}?)" if close else ""


MAX_FINGERPRINTED = 1000  # entries of a submission folder looked at for its fingerprint


def folder_fingerprint(folder: Path) -> bytes:
    """What a submission folder holds besides its answers file, as bytes to hash with that file, so a
    changed ``rnn.py`` is graded again even though answers.yaml did not change. Files the loader could
    read are hashed by content, through a link the loader follows (to a file inside the folder) too;
    anything else (too big, a link out, a pipe) by name, kind, size and time."""
    digest = hashlib.sha256()
    try:
        names = sorted(n for n in os.listdir(folder) if not n.startswith(".") and not is_answers_file(n))
    except OSError as exc:
        return f"unlisted:{exc.errno}".encode()
    inside = os.path.realpath(folder)
    for name in names[:MAX_FINGERPRINTED]:
        path = folder / name
        digest.update(os.fsencode(name) + b"\0")
        try:
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode) and os.path.commonpath([inside, os.path.realpath(path)]) == inside:
                digest.update(os.fsencode(os.readlink(path)) + b"\0")  # which file, and below, what it holds
                info = os.stat(path)
            if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_FILE_BYTES:
                digest.update(b"file\0" + read_bytes(path, Limits(max_bytes=MAX_FILE_BYTES)))
            else:
                target = os.readlink(path) if stat.S_ISLNK(info.st_mode) else ""
                digest.update(f"{info.st_mode}:{info.st_size}:{info.st_mtime_ns}:{target}".encode())
        except (OSError, InputError):
            digest.update(b"unreadable")
        digest.update(b"\0")
    return digest.digest()
