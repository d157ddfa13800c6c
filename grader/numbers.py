"""Read the numbers students type: scalars, fractions, vectors and matrices, in any digits.

Accepted forms (after :func:`grader.normalize.number_text`): ``6``, ``-0.5``, ``1.38e-1``,
``1.38*10^-1``, ``1.38 × 10^(-1)``, ``1/3``; vectors as YAML lists or ``"6 1 2"``,
``"6, 1, 2"``, ``"[6, 1, 2]"``, ``"(6, 1, 2)"``; matrices as nested lists, ``"[1 2; 3 4]"``,
``"[[1, 2], [3, 4]]"`` or one row per line. Each entry keeps the text it was written with,
so a strict significant-figure check can count what the student wrote.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from . import clock
from .normalize import number_text
from .errors import quote

MAX_ENTRIES = 10_000
MAX_TEXT = 100_000
FORMULA_SECONDS = 0.5  # all constant formulas of one answer together (e^2/(1+e^2), ...)


class Unreadable(ValueError):
    """The answer cannot be read as what the part asks for; the message tells the student why."""


class NotFinite(Unreadable):
    """Read fine, but the number is infinite or NaN."""


@dataclass(frozen=True)
class Numbers:
    """A student's numeric answer: float values, and the text of each entry where it was typed as text."""

    values: np.ndarray  # float64, shape () / (n,) / (m, n)
    texts: tuple  # same nesting as values, with str or None entries

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)


# A number as typed: mantissa, then an exponent written e-3, E+3, *10^-3, x10^(-3), ×10**-3.
_MANTISSA = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_S = r"[^\S\n]*"  # horizontal white space: a newline may end a matrix row
_EXPONENT = rf"(?:[eE][-+]?\d+|{_S}[*xX]{_S}10{_S}(?:\^|\*\*){_S}(?:\({_S}[-+]?\d+{_S}\)|[-+]?\d+))"
_SCALAR = re.compile(rf"({_MANTISSA})({_EXPONENT})?")
_FRACTION = re.compile(rf"({_MANTISSA}{_EXPONENT}?){_S}/{_S}({_MANTISSA}{_EXPONENT}?)")
_TOKEN = re.compile(
    rf"{_S}(?:(?P<num>{_MANTISSA}{_EXPONENT}?(?:{_S}/{_S}{_MANTISSA}{_EXPONENT}?)?)"
    r"|(?P<open>[\[(])|(?P<close>[\])])|(?P<comma>,)|(?P<semi>;)|(?P<nl>\n)|(?P<other>[^\s\[\](),;]+))"
)


def parse_scalar(text: str, deadline: float | None = None) -> float:
    """One number from text (already normalised); raises :class:`Unreadable`.

    ``deadline`` (a :func:`grader.clock.now` value) is shared by every entry of one answer, so a
    list of costly formulas cannot take a second each."""
    text = text.strip()
    m = _FRACTION.fullmatch(text)
    if m:
        num, den = parse_scalar(m.group(1)), parse_scalar(m.group(2))
        if den == 0:
            raise Unreadable(f"{quote(text)} divides by zero")
        return _finite(num / den, text)
    m = _SCALAR.fullmatch(text)
    if not m:
        return constant_expression(text, deadline)
    return _finite(float(to_decimal(text)), text)


_EXPRESSION_HINTS = re.compile(r"[\\^()!a-zA-Z]")  # what makes text a formula rather than a list of numbers


def constant_expression(text: str, deadline: float | None = None) -> float:
    """A number written as a formula: ``e^2/(1+e^2)``, ``\\frac{1}{3}``, ``sqrt(2)/2`` (our parser, no eval)."""
    from .expr import ExprError, Evaluator, Namespace, infer, parse  # the expression language builds on this module
    from .expr.evaluate import Bindings, quiet

    if deadline is not None and clock.passed(deadline):  # every formula of one answer shares the time
        raise Unreadable(f"the formulas in this answer take more than {FORMULA_SECONDS:g} s to work out")
    try:
        ns = Namespace()
        tree = parse(text, ns)
        if infer(tree, ns) != ():
            raise ExprError("not a single number")
        with quiet():
            value = Evaluator(ns, Bindings(), deadline).run(tree)
    except ExprError as exc:
        if _EXPRESSION_HINTS.search(text):
            raise Unreadable(f"{quote(_clip(text))} is not a number ({exc})") from None
        raise Unreadable(f"{quote(_clip(text))} is not a number") from None
    return _finite(float(value), text)


def to_decimal(text: str) -> Decimal:
    """The exact decimal value of a typed number (``1.38*10^-1`` -> ``Decimal('0.138')``)."""
    m = _SCALAR.fullmatch(text.strip())
    if not m:
        raise Unreadable(f"{quote(_clip(text))} is not a decimal number")
    value = Decimal(m.group(1))
    if m.group(2):
        value = value.scaleb(_exponent(m.group(2)))
    return value


MAX_EXPONENT = 9_999  # far beyond any float; keeps Decimal and int() away from huge exponents


def _exponent(written: str) -> int:
    """The power of ten in ``e-3``, ``E+3``, ``*10^-3``, ``x10^(-3)``."""
    written = written.strip()
    digits = written[1:] if written[0] in "eE" else re.search(r"(?:\^|\*\*)\s*\(?\s*([-+]?\d+)", written).group(1)
    if len(digits.lstrip("+-").lstrip("0")) > len(str(MAX_EXPONENT)) or abs(int(digits)) > MAX_EXPONENT:
        raise NotFinite(f"the exponent {_clip(digits)} is too large to be a number")
    return int(digits)


def read_numbers(raw: Any) -> Numbers:
    """A student's answer (YAML data: number, string, list, nested list) as numbers; raises :class:`Unreadable`."""
    deadline = clock.now() + FORMULA_SECONDS  # for every formula in this answer together
    if isinstance(raw, str):
        raw = last_side(raw)
        try:
            return _read_text(raw, deadline)
        except NotFinite:
            raise
        except Unreadable as first:
            if not _EXPRESSION_HINTS.search(raw):
                raise
            try:  # one number written as a formula: e^2/(1+e^2)
                return Numbers(np.asarray(constant_expression(raw.strip(), deadline)), (raw.strip(),))
            except Unreadable as second:
                raise (second if re.search(r"[\\a-zA-Z^!]", raw) else first) from None
    values, texts = _read_data(raw, 0, deadline)
    return _to_numbers(values, texts)


_EQUALS = re.compile(r"(?<![=<>!:])=(?!=)")  # an '=' that is not part of ==, <=, >=, !=, :=


def last_side(text: str) -> str:
    """The answer a chain names: ``Values[3] = [6, 1, 2]`` or ``v3 = [6, 1, 2]`` is ``[6, 1, 2]``, and
    ``1/2 = 0.5`` is ``0.5``, as an expression's ``lhs = ... = rhs`` is graded on its last side."""
    sides = _EQUALS.split(text)
    return sides[-1] if len(sides) > 1 and sides[-1].strip() else text


def _read_data(raw: Any, depth: int, deadline: float) -> tuple[Any, Any]:
    if isinstance(raw, bool):
        raise Unreadable(f"expected a number, got {'true' if raw else 'false'}")
    if raw is None:
        raise Unreadable("an entry is empty")
    if isinstance(raw, (int, float)):
        text = getattr(raw, "text", None)
        try:
            value = float(raw)
        except OverflowError:  # an integer beyond the float range
            value = math.inf
        return _finite(value, text or repr(raw)), text
    if isinstance(raw, str):
        text = number_text(raw)
        return parse_scalar(text, deadline), text
    if isinstance(raw, list):
        if depth >= 2:
            raise Unreadable("lists are nested too deeply: a matrix is a list of rows, each a list of numbers")
        if len(raw) > MAX_ENTRIES:
            raise Unreadable(f"more than {MAX_ENTRIES} entries")
        pairs = [_read_data(item, depth + 1, deadline) for item in raw]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    if isinstance(raw, dict):
        raise Unreadable("expected numbers, got a mapping (key: value pairs)")
    raise Unreadable(f"expected a number, got {type(raw).__name__}")


def _read_text(raw: str, deadline: float) -> Numbers:
    if len(raw) > MAX_TEXT:
        raise Unreadable(f"answer is longer than {MAX_TEXT} characters")
    text = number_text(raw)
    if not text:
        raise Unreadable("the answer is empty")
    tokens = _tokenize(text)
    pos = 0

    def parse_body(depth: int, closer: str | None) -> tuple[list, list, bool]:
        """Items up to ``closer``; returns (rows or items, texts, whether rows were separated)."""
        nonlocal pos
        rows: list[list] = [[]]
        rows_t: list[list] = [[]]
        separated = False
        while pos < len(tokens):
            kind, value, col = tokens[pos]
            if kind == "close":
                if closer is None:
                    raise Unreadable(f"col {col}: {quote(value)} closes a bracket that was never opened")
                if value != closer:
                    raise Unreadable(f"col {col}: {quote(value)} does not close {quote('[' if closer == ']' else '(')}")
                pos += 1
                return _finish(rows, rows_t, separated)
            pos += 1
            if kind == "comma":
                if pos < 2 or tokens[pos - 2][0] in ("comma", "open", "semi"):
                    raise Unreadable(f"col {col}: an entry is missing before this comma")
            elif kind == "num":
                rows[-1].append(parse_scalar(value, deadline))
                rows_t[-1].append(value)
            elif kind == "open":
                if depth >= 2:
                    raise Unreadable(f"col {col}: brackets nested too deeply (a matrix needs two levels at most)")
                items, texts, _ = parse_body(depth + 1, "]" if value == "[" else ")")
                rows[-1].append(items)
                rows_t[-1].append(texts)
            elif kind == "semi" or (kind == "nl" and rows[-1] and not _continues(tokens, pos)):
                rows.append([])
                rows_t.append([])
                separated = True
            elif kind == "other":
                raise Unreadable(f"col {col}: {quote(_clip(value))} is not a number")
        if closer is not None:
            raise Unreadable(f"a {'[' if closer == ']' else '('} is never closed (expected {quote(closer)})")
        return _finish(rows, rows_t, separated)

    items, texts, separated = parse_body(0, None)
    if not separated and len(items) == 1:  # "6" is one number, "[6, 1, 2]" one list: unwrap either
        items, texts = items[0], texts[0]
    return _to_numbers(items, texts)


def _continues(tokens: list, pos: int) -> bool:
    """A newline does not end a row right after a comma or an opening bracket, or before a closing one.

    ``tokens[pos - 1]`` is the newline; :func:`_tokenize` never puts two newlines side by side.
    """
    prev = tokens[pos - 2][0] if pos >= 2 else None
    nxt = tokens[pos][0] if pos < len(tokens) else None
    return prev in ("comma", "open", None) or nxt in ("close", None)


def _finish(rows: list[list], rows_t: list[list], separated: bool) -> tuple[list, list, bool]:
    if separated:
        kept = [(r, t) for r, t in zip(rows, rows_t) if r]
        return [r for r, _ in kept], [t for _, t in kept], True
    return rows[0], rows_t[0], False


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, 1-based column) tokens; commas are kept so a newline after one continues the row."""
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.lastgroup is None:
            break  # only trailing white space is left
        pos = m.end()
        if m.lastgroup == "nl" and tokens and tokens[-1][0] == "nl":
            continue  # a blank line is one row break: keeps row splitting linear in the length
        tokens.append((m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup) + 1))
        if len(tokens) > 4 * MAX_ENTRIES:
            raise Unreadable(f"more than {MAX_ENTRIES} entries")
    return tokens


def _to_numbers(values: Any, texts: Any) -> Numbers:
    if isinstance(values, list):
        if not values:
            raise Unreadable("the answer is an empty list")
        lengths = {len(v) if isinstance(v, list) else None for v in values}
        if len(lengths) > 1:
            if None in lengths:
                raise Unreadable("mixes single numbers and lists: a matrix needs every row to be a list")
            counts = [len(v) for v in values]
            raise Unreadable("rows have different lengths (" + ", ".join(map(str, counts)) + "): a matrix must be rectangular")
        if lengths == {0}:
            raise Unreadable("the rows are empty")
        if any(isinstance(v, list) for row in values if isinstance(row, list) for v in row):
            raise Unreadable("lists are nested too deeply: a matrix is a list of rows, each a list of numbers")
    arr = np.array(values, dtype=float)
    if arr.size > MAX_ENTRIES:
        raise Unreadable(f"more than {MAX_ENTRIES} entries")
    return Numbers(arr, _freeze(texts))


def _freeze(texts: Any) -> Any:
    if isinstance(texts, list):
        return tuple(_freeze(t) for t in texts)
    return texts


def _finite(value: float, text: str | None) -> float:
    if not math.isfinite(value):
        raise NotFinite(f"{quote(_clip(text or str(value)))} is not a finite number")
    return value


def _clip(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --- what a typed number says about its precision ------------------------------------------

def _split(text: str) -> tuple[str, int]:
    """(mantissa digits with an optional point, exponent) of a typed number, sign dropped."""
    text = number_text(text)
    m = _SCALAR.fullmatch(text)
    if not m:
        raise Unreadable(f"{quote(_clip(text))} is not written as a decimal number")
    mantissa = m.group(1).lstrip("+-")
    exponent = 0
    if m.group(2):
        exponent = int(to_decimal("1" + m.group(2)).adjusted())
    return mantissa, exponent


def count_sigfigs(text: str) -> tuple[int, int]:
    """How many significant figures a typed number shows, as (fewest, most).

    ``0.0500`` -> (3, 3); ``1.38e-1`` -> (3, 3); ``1000`` -> (1, 4): trailing zeros of an
    integer may or may not be significant; ``1000.`` -> (4, 4). A zero counts its written
    decimal places, as STACK and PrairieLearn do: ``0.00`` -> (2, 2), ``0`` -> (1, 1).
    """
    mantissa, _ = _split(text)
    digits = mantissa.replace(".", "")
    stripped = digits.lstrip("0")
    if not stripped:  # the number zero
        after = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
        return max(1, after), max(1, after)
    if "." in mantissa:
        return len(stripped), len(stripped)
    trailing = len(stripped) - len(stripped.rstrip("0"))
    return len(stripped) - trailing, len(stripped)


def count_decimals(text: str) -> int:
    """Decimal places a typed number shows: ``3.140`` -> 3, ``1.38e-1`` -> 3, ``1000`` -> 0."""
    mantissa, exponent = _split(text)
    after = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
    return max(0, after - exponent)


def round_sigfigs(value: float, n: int) -> Decimal:
    """``value`` rounded half away from zero to ``n`` significant figures, exactly as decimal text reads."""
    d = Decimal(repr(float(value)))
    if d == 0:
        return Decimal(0)
    return d.quantize(Decimal(1).scaleb(d.adjusted() - n + 1), rounding=ROUND_HALF_UP)


def round_decimals(value: float, n: int) -> Decimal:
    """``value`` rounded half away from zero to ``n`` decimal places."""
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP)
