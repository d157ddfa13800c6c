"""Errors a user can act on: each prints as one line, ``file:line:col: message``."""
from __future__ import annotations

import os
import unicodedata


def shown_path(path: "os.PathLike[str] | str") -> str:
    """A path as text safe to print and to store in JSON: bytes that are not UTF-8 become U+FFFD,
    control and bidi-override characters become '?' (file names are chosen by students too)."""
    text = os.fsencode(path).decode("utf-8", "replace")
    if text.isascii() and text.isprintable():
        return text
    return "".join(ch if ch.isprintable() and unicodedata.category(ch) != "Cf" else "?" for ch in text)


def quote(value: object) -> str:
    """A value as a message shows it: text in single quotes exactly as written (a backslash stays one
    backslash, as in \\delta; only invisible characters are escaped), anything else as Python writes it."""
    if isinstance(value, str):
        return "'" + "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in value) + "'"
    return repr(value)


class PathProblem(ValueError):
    """A problem at a place in a spec, ``path`` relative to where the raiser sits (a part, its params,
    the variables); whoever knows the document turns it into ``file:line:col``."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


class GraderError(Exception):
    """Base class: an error the CLI reports in one line (exit status 2), never as a traceback."""


class InputError(GraderError):
    """Something wrong in a file a user gave us, with its position when known."""

    def __init__(self, file: str, line: int | None, col: int | None, message: str):
        super().__init__(message)
        self.file = file
        self.line = line
        self.col = col
        self.message = message

    @property
    def where(self) -> str:
        """``file:line:col``, as much of it as is known."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class SpecErrors(GraderError):
    """Every problem found in a problem spec, reported together so an author fixes them in one pass."""

    def __init__(self, problems: list[InputError]):
        super().__init__(f"{len(problems)} problem(s) in the spec")
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
