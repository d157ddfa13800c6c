"""Author-written regular expressions, matched against student text within a time bound.

A backtracking engine can take exponential time on a pattern such as ``^(\\w+\\s?)+$`` and an
answer that almost matches; a student's answer must never be able to stall grading. Patterns
are compiled with the ``regex`` package, whose matching takes a timeout, and every answer has
one budget shared by all the patterns it is matched against. :func:`risky` tells an author,
when the spec is validated, that a pattern is prone to backtracking: from its shape (a
repeated group that itself repeats) and by timing it on a few answers built to trip it.
"""
from __future__ import annotations

import itertools
import re as _re
import warnings
from dataclasses import dataclass, field
from typing import Any

import regex

from . import clock
from .errors import quote

try:  # the standard library's parser of regular expressions, to read a pattern's shape
    import re._parser as _sre  # Python 3.11+
except ImportError:  # pragma: no cover - older Pythons
    import sre_parse as _sre  # type: ignore[no-redef]

PATTERN_SECONDS = 0.1  # one pattern against one answer: a safe pattern takes microseconds
ANSWER_SECONDS = 1.0  # all the patterns of one part against one answer
RETRIES = 3  # searches timed out on the wall clock while the thread waited (a loaded server), tried again
PROBE_SECONDS = 0.02  # one probe of a pattern at validation: a safe pattern takes microseconds
PROBE_LENGTH = 40

Error = regex.error


MAX_EXPANSION = 100_000  # steps a compiled pattern may unroll its counted repeats into


def compile_pattern(text: str, *, ignore_case: bool = False) -> Any:
    """A compiled pattern; :class:`Error` if the text is not a regular expression, or if its counted repeats
    nest so deep that compiling it would take gigabytes ((?:(?:a{200}){200}){100} unrolls 4 million times)."""
    if _expansion(text) > MAX_EXPANSION:
        raise Error(f"its counted repeats unroll to more than {MAX_EXPANSION:,} steps when compiled; count less, "
                    "or use + and *")
    return regex.compile(text, regex.IGNORECASE if ignore_case else 0)


def compile_phrase(text: str) -> Any:
    """A pattern grader wrote itself from a rubric phrase: escaped words, runs of spaces and gaps of at most 80
    characters, one after another. No counted repeat nests in another, so it unrolls to a size linear in the
    phrase, and the look at its shape that authors' patterns get (:func:`compile_pattern`) is not needed."""
    return regex.compile(text)


def _expansion(text: str) -> int:
    """How many steps the pattern unrolls into: nested counted repeats multiply (an open repeat counts once)."""
    try:
        tree = _sre.parse(text)
    except Exception:  # regex-only syntax: regex itself will say what is wrong, or compile it
        return 0
    return _size(tree)


def _size(items: Any) -> int:
    total = 0
    for op, arg in items:
        name = str(op)
        if name in _REPEATS:
            low, high, body = arg
            times = max(low, 1) if high == _sre.MAXREPEAT else max(high, 1)
            total += times * _size(body)
        elif name == "SUBPATTERN":
            total += _size(arg[-1])
        elif name == "BRANCH":
            total += sum(_size(branch) for branch in arg[1])
        elif name in ("ASSERT", "ASSERT_NOT"):
            total += _size(arg[1])
        else:
            total += 1
        if total > MAX_EXPANSION:
            return total
    return total


# Syntax the regex package reads otherwise than the standard parser (fuzzy counts, POSIX classes, \p{..}, branch
# reset, version and other flags): a pattern holding any is given no required words, and is always searched.
_OTHER_SYNTAX = _re.compile(r"\\[pPXmMLGKN]|\[:|\(\?[|VfrbepwX(]|\{(?!\d*,?\d*\})")


def required_words(text: str) -> tuple[tuple[str, ...], ...]:
    """Words any match of an author's pattern holds, read from its shape: one of each tuple (an alternation gives
    a tuple of several), lower case, the longest first. A search is needed only in an answer that holds them all;
    most answers hold none of a pattern's rarer words, and a substring test costs a fraction of a timed search.

    Only what a match must hold counts: literal runs (``argmax``), alternations whose every branch holds one
    (``quer|key``), and repeats of at least one. A letter that case-insensitive matching could read as something
    else than its ASCII lower case (the Kelvin sign for k) breaks a run. The words are exact for ASCII answers
    only: an answer with other characters is always searched (see :meth:`Budget.search`'s callers)."""
    if _OTHER_SYNTAX.search(text):
        return ()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "possible nested set" and the like: the two parsers may disagree
            tree = _sre.parse(text)
    except Exception:
        return ()
    needs = [words for words in _needs(tree) if min(map(len, words)) > 1]  # a single character rules out little
    return tuple(sorted(set(needs), key=lambda words: (-min(map(len, words)), words)))


def _needs(items: Any) -> list[tuple[str, ...]]:
    needs: list[tuple[str, ...]] = []
    run = ""

    def flush() -> None:
        nonlocal run
        if run:
            needs.append((run,))
        run = ""

    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            char = _letter(arg)
            if char is not None:
                run += char
                continue
        if name == "BRANCH" and run:  # the parser moves a common start out of the branches: (not|never) is n(ot|ever)
            leads = [_lead(branch) for branch in arg[1]]
            if all(leads):
                needs.append(tuple(sorted({run + lead for lead in leads})))
                run = ""
                continue
        flush()
        if name == "SUBPATTERN":
            needs += _needs(arg[-1])
        elif name in _REPEATS and arg[0] >= 1:
            needs += _needs(arg[2])
        elif name == "BRANCH":
            best = [max(_needs(branch), key=lambda words: min(map(len, words)), default=None) for branch in arg[1]]
            if best and all(best):
                needs.append(tuple(sorted({word for words in best for word in words})))
    flush()
    return needs


def _letter(code: int) -> str | None:
    """A literal as an ASCII answer's folded text holds it (lower case), or None if case-insensitive matching could
    read it as another character (the Kelvin sign for k); a caseless one (a Persian letter) is itself."""
    char = chr(code)
    if char.isascii():
        return char.lower()
    return char if char.lower() == char == char.upper() == char.casefold() else None


def _lead(items: Any) -> str:
    """The literal text a branch starts with."""
    lead = ""
    for op, arg in items:
        char = _letter(arg) if str(op) == "LITERAL" else None
        if char is None:
            break
        lead += char
    return lead


@dataclass
class Budget:
    """Time for matching one answer: each pattern gets a slice, and all of them together a total, so one
    slow pattern costs only its own concept. ``ran_out`` once some pattern could not finish in time."""

    seconds: float = ANSWER_SECONDS
    per_pattern: float = PATTERN_SECONDS
    deadline: float = field(init=False)
    ran_out: bool = False

    def __post_init__(self) -> None:
        self.deadline = clock.now() + self.seconds

    def search(self, pattern: Any, text: str) -> bool | None:
        """Does ``pattern`` occur in ``text``? None if it could not tell in time."""
        found = self._timed(lambda left: pattern.search(text, timeout=left))
        return None if found is _LATE else found is not None

    def matches(self, pattern: Any, text: str) -> list | None:
        """Where ``pattern`` occurs in ``text`` (match objects, at most 20); None if it could not tell in time."""
        found = self._timed(lambda left: list(itertools.islice(pattern.finditer(text, timeout=left), 20)))
        return None if found is _LATE else found

    def _timed(self, run: Any) -> Any:
        for _ in range(RETRIES + 1):
            left = min(self.per_pattern, clock.left(self.deadline))
            if left <= 0:
                break
            started = clock.at_most()  # no system call for the searches that finish, nearly all of them
            try:
                return run(left)
            except TimeoutError:
                if clock.now() - started >= left / 2:  # the pattern really worked that long: it is too slow
                    break
                # regex times out on the wall clock; this thread mostly waited for a core (or the reading before
                # it was old, and the next one, just taken, is exact): try again
        self.ran_out = True
        return _LATE


_LATE = object()  # a search that could not finish in time


def risky(text: str, pattern: Any) -> str | None:
    """Why ``pattern`` may backtrack catastrophically on some answer, or None if nothing shows it."""
    nested = _nested_repeat(text)
    slow = _slow_probe(pattern)
    if slow is not None:
        return (f"it took more than {PROBE_SECONDS * 1000:.0f} ms on a {len(slow)}-character answer "
                f"({_shown(slow)}), and the time grows with every character; matching stops after "
                f"{PATTERN_SECONDS:g} s, and the answer then loses the concept")
    if nested:
        return ("a repeated group holds another repeat (like (x+)+ or (\\w+\\s?)*): on a long answer that almost "
                "matches, the time can double with each character; write it so each character can match in only "
                "one way")
    return None


def _shown(text: str) -> str:
    shown = text if len(text) <= 24 else text[:12] + "…" + text[-6:]
    return quote(shown)


def _slow_probe(pattern: Any) -> str | None:
    """An answer built to trip the pattern on which it takes longer than a probe's time, if one is found."""
    units = ["a", "a ", "1", " ", "ab", "aa", "a1", "-", ".", "a-", "aaaaaaaaaa!", "\u0627"]
    ends = ["!", "", "\n", "\x00", "#", " "]
    spent = clock.now() + 1.0  # at most a second on one pattern
    for unit in units:
        body = (unit * PROBE_LENGTH)[:PROBE_LENGTH]
        for end in ends:
            probe = body + end
            try:
                pattern.search(probe, timeout=PROBE_SECONDS)
            except TimeoutError:
                return probe
            if clock.passed(spent):
                return None
    return None


_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


def _nested_repeat(text: str) -> bool:
    """Does a repetition hold another unbounded one whose body can match in more than one length
    (``(a+)+``, ``(\\w+\\s?)*``)? Then a run of characters can be split among them in exponentially many ways."""
    try:
        tree = _sre.parse(text)
    except Exception:  # regex-only syntax the standard parser does not know: the probe still runs
        return False
    return _walk(tree, inside=False)


def _walk(items: Any, inside: bool) -> bool:
    for op, arg in items:
        name = str(op)
        if name in _REPEATS:
            low, high, body = arg
            unbounded = high == _sre.MAXREPEAT or high > 20
            if inside and unbounded:
                return True
            if _walk(body, inside or (unbounded and _can_vary(body))):
                return True
        elif name == "SUBPATTERN" and _walk(arg[-1], inside):
            return True
        elif name == "BRANCH" and any(_walk(branch, inside) for branch in arg[1]):
            return True
        elif name in ("ASSERT", "ASSERT_NOT") and _walk(arg[1], inside):
            return True
    return False


def _can_vary(body: Any) -> bool:
    """Can this repeated body match strings of different lengths (so the repeat can split a run many ways)?"""
    try:
        low, high = body.getwidth()
    except Exception:
        return True
    return low != high
