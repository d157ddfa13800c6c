"""Tokens of a math answer, written in ASCII, LaTeX or Unicode, each with its column.

Everything is mapped onto one small token vocabulary here, so the parser never cares
whether a student typed ``\\odot``, ``⊙`` or ``*``... except where the meaning differs:
``*`` and ``⊙`` are element-wise, juxtaposition, ``\\cdot``, ``\\times`` and ``@`` are
linear-algebra products.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from ..normalize import ascii_digits
from ..errors import quote

MAX_LENGTH = 2_000


class ExprError(ValueError):
    """An answer that cannot be read; ``col`` (1-based) points at the problem when known."""

    def __init__(self, message: str, col: int | None = None):
        super().__init__(message)
        self.message = message
        self.col = col

    def __str__(self) -> str:
        return f"col {self.col}: {self.message}" if self.col else self.message


class Token(NamedTuple):
    """A token; a named tuple, made in half the time of a frozen dataclass (an answer has tens of them)."""

    kind: str  # num name op ( ) { } [ ] , _ ^ ' frac sqrt sum top style end
    text: str
    col: int


# LaTeX commands by what they mean here
_FUNCTION_COMMANDS = {"sigma", "tanh", "exp", "log", "ln", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
                      "sinh", "cosh", "sech", "csch", "coth", "sqrt", "abs", "max", "min", "sec", "csc", "cot", "sgn"}
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
          "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
          "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"}
_OPERATOR_COMMANDS = {"cdot": "@", "times": "@", "odot": "*", "circ": "*", "ast": "*", "div": "/",
                      "otimes": "⊗"}  # an outer product: u ⊗ v is u vᵀ
_STYLE_COMMANDS = {"mathrm", "operatorname", "text", "mathbf", "boldsymbol", "bm", "mathit", "textrm", "vec",
                   "mathbb", "mathcal", "mathsf", "mathtt", "hat", "bar", "tilde"}
_IGNORED_COMMANDS = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "quad", "qquad",
                     "displaystyle", "limits", "nolimits", "!", ",", ";", ":", " ", "\\"}

# Unicode symbols students paste from documents and phones
_UNICODE = {
    "⊙": r"\odot ", "⊗": r"\otimes ", "∘": r"\circ ", "×": r"\times ", "·": r"\cdot ", "⋅": r"\cdot ", "∗": "*",
    "ᵀ": r"^{\top}", "′": "'", "’": "'", "″": "''", "−": "-", "–": "-", "∑": r"\sum ", "Σ": r"\sum ", "∏": r"\prod ",
    "√": r"\sqrt ", "π": r"\pi ", "σ": r"\sigma ", "δ": r"\delta ", "θ": r"\theta ", "α": r"\alpha ",
    "β": r"\beta ", "γ": r"\gamma ", "λ": r"\lambda ", "μ": r"\mu ", "η": r"\eta ", "ε": r"\epsilon ",
    "ϵ": r"\epsilon ", "φ": r"\phi ", "ω": r"\omega ", "∂": r"\partial ", "（": "(", "）": ")", "＋": "+",
    "＝": "=",
}
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₊₋", "0123456789aeijklmnoprstuvx+-"))
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-"))
_DELIMITERS = re.compile(r"^\s*(\$\$?|\\\[|\\\()|(\$\$?|\\\]|\\\))\s*$")  # $...$, \[...\], \(...\)

_TOKEN = re.compile(
    r"(?P<space>[\s~]+)"  # ~ is LaTeX's unbreakable space
    r"|(?P<ellipsis>\.{3,}|…)"  # G_1 + G_2 + ... + G_T
    r"|(?P<transpose>\.T(?![A-Za-z0-9_]))"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|(?P<command>\\(?:[A-Za-z]+|[^A-Za-z]))"
    r"|(?P<name>log(?:10|2)(?=\s*\()|[A-Za-z]+)"  # log10(x) and log2(x) are names, x2 is x times 2
    r"|(?P<pow>\*\*)"
    r"|(?P<op>[-+*/@])"
    r"|(?P<punct>[()\[\]{},_^'|=!])"
)


# an answer is an expression; these make it a statement about two (x == y, a <= b, \\neq)
_COMPARISON = re.compile(r"==|!=|<=|>=|=>|=<|[<>≤≥≠≈]|\\(?:neq|ne|leq|le|geq|ge|lt|gt|leqslant|geqslant|approx|equiv)"
                         r"(?![A-Za-z])")


def _no_comparison(text: str, cols: list[int]) -> None:
    m = _COMPARISON.search(text)
    if m:
        raise ExprError(f"{m.group()} makes this a comparison, not an expression: give only the expression",
                        cols[m.start()] if m.start() < len(cols) else None)


def prepare(text: str) -> tuple[str, list[int]]:
    """The last side of ``lhs = rhs`` (students copy the question's left side), with Unicode spelled
    out; and for each character of the result, the 1-based column it came from in ``text``."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the answer is longer than {MAX_LENGTH} characters")
    text = ascii_digits(text)
    text = _DELIMITERS.sub(lambda m: " " * len(m.group()), text).rstrip()
    text = text[:-1] if text.endswith((",", ".")) and not text[-2:-1].isdigit() else text  # "…h_{t-1}."
    if text.isascii():  # nothing to spell out: every character stays where it was
        _no_comparison(text, list(range(1, len(text) + 1)))
        cut = last_side_start(text)
        return text[cut:], list(range(cut + 1, len(text) + 1))
    out: list[str] = []
    cols: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _SUBSCRIPTS or ch in _SUPERSCRIPTS:  # hₜ₋₁ -> h_{t-1}, x⁻²³ -> x^{-23}
            table, mark = (_SUBSCRIPTS, "_") if ch in _SUBSCRIPTS else (_SUPERSCRIPTS, "^")
            j = i
            while j < len(text) and text[j] in table:
                j += 1
            piece, width = mark + "{" + "".join(table[c] for c in text[i:j]) + "}", j - i
        elif text[i:i + 2] in _UNICODE:
            piece, width = _UNICODE[text[i:i + 2]], 2
        else:
            piece, width = _UNICODE.get(ch, ch), 1
        out.append(piece)
        cols.extend([i + 1] * len(piece))
        i += width
    joined = "".join(out)
    _no_comparison(joined, cols)
    cut = last_side_start(joined)
    return joined[cut:], cols[cut:]


_SUM_VARIABLE = re.compile(r"(\\sum|sum|∑|Σ)\s*_\s*[A-Za-z]+\s*$")


def last_side_start(text: str) -> int:
    """Where the last side of a chain ``a = b = c`` starts (0 if there is no top-level '=')."""
    return side_starts(text)[-1]


def side_starts(text: str) -> list[int]:
    """Where each side of a chain ``a = b = c`` starts, in one pass: [0] if there is no top-level '='.

    The '=' of an unbraced sum, ``sum_t=1^T``, belongs to the sum, not to a chain."""
    depth = 0
    starts = [0]
    for i, ch in enumerate(text):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "=" and depth == 0 and not _SUM_VARIABLE.search(text, max(0, i - 40), i):
            starts.append(i + 1)
    return starts


def tokenize(text: str) -> list[Token]:
    """Tokens of an answer (already :func:`prepare`\\ d); raises :class:`ExprError` at the first bad character."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            ch = text[pos]
            raise ExprError(f"unexpected character {quote(ch)}", pos + 1)
        kind, value, col = m.lastgroup, m.group(), pos + 1
        pos = m.end()
        if kind == "space":
            continue
        if kind == "command":
            token = _command(value[1:], col)
            if token is not None:
                tokens.append(token)
            continue
        if kind == "pow":
            tokens.append(Token("^", "^", col))
        elif kind == "transpose":
            tokens.append(Token("top", ".T", col))
        elif kind == "op":
            tokens.append(Token("op", value, col))
        elif kind == "punct":
            tokens.append(Token(value, value, col))
        else:
            tokens.append(Token(kind, value, col))
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _command(name: str, col: int) -> Token | None:
    if name in _IGNORED_COMMANDS:
        return None
    if name in _OPERATOR_COMMANDS:
        return Token("op", _OPERATOR_COMMANDS[name], col)
    if name in ("ldots", "cdots", "dots", "dotsb", "dotsc"):
        return Token("ellipsis", "...", col)
    if name in ("top", "intercal"):
        return Token("top", "\\" + name, col)
    if name == "prime":
        return Token("'", "'", col)
    if name in ("frac", "dfrac", "tfrac"):
        return Token("frac", "\\frac", col)
    if name == "sqrt":
        return Token("sqrt", "\\sqrt", col)
    if name in ("sum", "prod"):
        return Token("sum", "\\" + name, col)
    if name in _STYLE_COMMANDS:
        return Token("style", name, col)
    if name in _FUNCTION_COMMANDS or name in _GREEK:
        return Token("name", name, col)
    if name in ("{", "}"):
        return Token(name, name, col)
    if name == "lvert" or name == "rvert" or name == "vert":
        return Token("|", "|", col)
    raise ExprError(f"unknown command \\{name}", col)
