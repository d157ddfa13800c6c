"""Tokens -> expression tree, resolving names against what the part declares.

Precedence, loosest first: ``+ -``; products (juxtaposition, ``@ \\cdot \\times`` for linear
algebra, ``* \\odot \\circ`` element-wise, ``/``), left to right; unary minus; ``^``
(right to left, so ``a^b^c`` is ``a^(b^c)``); postfix transposes. A sum's body is the
product that follows it: ``\\sum_i a_i b_i + c`` is ``(Σ a_i b_i) + c``.

Names: a run of letters followed by a subscript is first tried as one declared symbol
(``W_hh``, ``W_{hh}``; the longest declared name wins, so ``W_hhh_t`` is ``W_hh h_t``);
otherwise the run is split into known names, longest first, and a subscript on a
sequence (``h_{i-1}``, ``g_{t,i}``) indexes it.
"""
from __future__ import annotations


import difflib
import math

from .functions import ALIASES, FUNCTIONS
from .lexer import ExprError, Token, prepare, tokenize
from .evaluate import MAX_TERMS, divide, scalar_pow
from .exact import fold_factorials
from .nodes import Bin, Call, Index, Neg, Node, Num, Sum, Sym, Transpose
from .series import series
from .symbols import CONSTANTS, Namespace
from ..errors import quote

MAX_DEPTH = 64  # brackets, calls, roots and signs inside each other, while parsing
MAX_TREE_DEPTH = 150  # the finished tree (a chain a+b+...+z is as deep as it is long)
MAX_NODES = 1_000
MAX_EXPONENT = 1_000.0  # a constant exponent beyond this is refused (9^9^9^9)

_STOP = {"end", ")", "}", "]", ",", "|", "="}
_INVERSES = {"sin": "asin", "cos": "acos", "tan": "atan", "sinh": "asinh", "cosh": "acosh", "tanh": "atanh"}
_FACTOR_START = {"num", "name", "(", "{", "[", "frac", "sqrt", "sum", "style"}


def parse(text: str, ns: Namespace) -> Node:
    """Parse an answer; raises :class:`ExprError` with the column of the first problem."""
    prepared, cols = prepare(text)
    parser = _Parser(tokenize(prepared), ns)
    try:
        try:
            tree = parser.parse()
        except RecursionError:  # belt and braces: the depth counters should stop this first
            raise ExprError("the expression is nested too deeply") from None
        check_bounds(tree)
        if parser.factorials:  # most answers hold none, and need no walk to find that out
            tree = fold_factorials(tree)
    except ExprError as exc:
        if exc.col:  # point at the student's own text, not our rewritten one
            exc.col = cols[min(exc.col - 1, len(cols) - 1)] if cols else exc.col
        raise
    return tree


def check_bounds(tree: Node) -> None:
    """Size, depth, constant exponents and constant sum lengths, in one pass over the tree.

    Constants are folded bottom-up with plain float arithmetic (no evaluator, no symbols), so
    the check costs one visit per node however the constants nest (9^9^9^9).
    """
    order: list[Node] = []  # pre-order: every parent before its children
    stack = [tree]
    folds = False  # a power or a sum: a constant there is bounded
    while stack:
        node = stack.pop()
        order.append(node)
        if len(order) > MAX_NODES:
            raise ExprError(f"the expression is too long (more than {MAX_NODES} parts)")
        stack.extend(_children(node))
        folds = folds or isinstance(node, Sum) or (isinstance(node, Bin) and node.op == "^")
    if not folds and len(order) <= MAX_TREE_DEPTH:  # no tree is deeper than it has nodes: nothing left to check
        return
    folded: dict[int, float | None] = {}
    depth: dict[int, int] = {}
    for node in reversed(order):  # children first
        children = _children(node)
        here = 1 + max([depth[id(c)] for c in children], default=0)
        if here > MAX_TREE_DEPTH:
            raise ExprError("the expression is nested too deeply", node.col)
        depth[id(node)] = here
        folded[id(node)] = _fold(node, folded)
        if isinstance(node, Bin) and node.op == "^":
            exponent = folded[id(node.right)]
            if exponent is not None and not abs(exponent) <= MAX_EXPONENT:
                raise ExprError("the exponent is too large", node.col)
        elif isinstance(node, Sum):
            lo, hi = folded[id(node.lo)], folded[id(node.hi)]
            for bound in (lo, hi):
                if bound is not None and not math.isfinite(bound):
                    raise ExprError("the bounds of the sum are not numbers", node.col)
            if lo is not None and hi is not None and not hi - lo < MAX_TERMS:
                raise ExprError(f"the sum runs over more than {MAX_TERMS} terms", node.col)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Bin):
        return (node.left, node.right)
    if isinstance(node, (Neg, Transpose)):
        return (node.operand,)
    if isinstance(node, (Call, Index)):
        return node.args if isinstance(node, Call) else node.indices
    if isinstance(node, Sum):
        return (node.lo, node.hi, node.body)
    return ()


def _fold(node: Node, folded: dict[int, float | None]) -> float | None:
    """The value of a constant made of numbers, π, e and arithmetic; None for anything else."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Sym):
        return {"pi": math.pi, "e": math.e}.get(node.name)
    if isinstance(node, Neg):
        value = folded[id(node.operand)]
        return None if value is None else -value
    if isinstance(node, Bin):
        a, b = folded[id(node.left)], folded[id(node.right)]
        if a is None or b is None:
            return None
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op in "*@":
            return a * b
        if node.op == "/":
            return divide(a, b)
        return scalar_pow(a, b) if abs(b) <= MAX_EXPONENT else math.inf
    return None


class _Parser:
    def __init__(self, tokens: list[Token], ns: Namespace):
        self.tokens = tokens
        self.pos = 0
        self.ns = ns
        self.depth = 0
        self.abs_depth = 0
        self.bound: list[str] = []  # sum variables in scope
        self.known = ns.plain_names
        self.factorials = False  # has a factorial been read (n!, factorial(n), however the name was written)?

    # --- token helpers ------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "end":  # the end stays: nothing reads past it
            self.pos += 1
        return token

    def push_back(self, token: Token) -> None:
        self.tokens.insert(self.pos, token)

    def expect(self, kind: str, what: str) -> Token:
        if self.tok.kind != kind:
            raise ExprError(f"expected {what}, found {_describe(self.tok)}", self.tok.col)
        return self.advance()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"nested more than {MAX_DEPTH} levels deep", self.tok.col)

    def leave(self) -> None:
        self.depth -= 1

    def starts_factor(self, token: Token) -> bool:
        return token.kind in _FACTOR_START or (token.kind == "|" and self.abs_depth == 0)

    def operand_missing(self, op: Token) -> None:
        if self.tok.kind in _STOP and self.tok.kind != "|":  # where an operand is due, | opens |x|
            raise ExprError(f"{quote(op.text)} is missing its right operand", op.col)

    # --- grammar --------------------------------------------------------------------------------
    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ExprError("the answer is empty")
        node = self.expr()
        if self.tok.kind != "end":
            raise ExprError(f"unexpected {_describe(self.tok)}", self.tok.col)
        return node

    def expr(self) -> Node:
        self.enter()
        terms: list[tuple[str, Node, int]] = [("+", self.term(), 0)]
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.advance()
            if op.text == "+" and self.tok.kind == "ellipsis":  # G_1 + G_2 + ... + G_T
                dots = self.advance()
                if not (self.tok.kind == "op" and self.tok.text == "+"):
                    raise ExprError("after '...' write '+' and the last term, as in G_1 + G_2 + ... + G_T", dots.col)
                self.advance()
                terms = self._series(terms, self.term(), dots.col)
                continue
            self.operand_missing(op)
            terms.append((op.text, self.term(), op.col))
        node = terms[0][1]
        for sign, term, col in terms[1:]:
            node = Bin(sign, node, term, col)
        self.leave()
        return node

    def _series(self, terms: list[tuple[str, Node, int]], last: Node, col: int) -> list[tuple[str, Node, int]]:
        """The terms before '...' and the one after it, as the sum they name: ``G_1 + G_2 + ... + G_T`` is
        Σ_{k=1}^{T} G_k, and ``g_{t,1} h_0 + ... + g_{t,t} h_{t-1}`` is Σ_{k=1}^{t} g_{t,k} h_{k-1}."""
        taken = [t for t in terms[-2:] if t[0] == "+"] if len(terms) >= 2 and terms[-2][0] == "+" else terms[-1:]
        var = next(v for v in ("k", "j", "m", "n", "l", "r", "s", "u")
                   if v not in self.known and v not in self.bound and v not in self.ns.symbols)
        for first in ([taken[0], taken[1]] if len(taken) == 2 else []), taken[-1:]:
            if not first:
                continue
            made = series(first[0][1], last, var, first[1][1] if len(first) == 2 else None)
            if made is not None:
                return terms[:len(terms) - len(first)] + [(first[0][0], made, first[0][2])]
        raise ExprError("cannot tell which terms '...' stands for: write the sum as \\sum_{k=1}^{T} ... instead",
                        col)

    def term(self) -> Node:
        node = self.unary()
        while True:
            token = self.tok
            if token.kind == "op" and token.text == "⊗":  # u ⊗ v, the outer product, is u vᵀ
                self.advance()
                self.operand_missing(token)
                node = Bin("@", node, Transpose(self.unary(), token.col), token.col)
            elif token.kind == "op" and token.text in "*/@":
                self.advance()
                self.operand_missing(token)
                node = Bin(token.text, node, self.unary(), token.col)
            elif self.starts_factor(token):  # juxtaposition: a linear-algebra product
                node = Bin("@", node, self.power(), token.col)
            else:
                return node

    def unary(self) -> Node:
        token = self.tok
        if token.kind == "op" and token.text in "+-":
            self.advance()
            self.operand_missing(token)
            self.enter()
            operand = self.unary()
            self.leave()
            return Neg(operand, token.col) if token.text == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        while self.tok.kind == "^":
            caret = self.advance()
            if self._transpose_mark() is not None:  # ^T, ^{T}, ^\top: always a transpose; a power T is ^(T)
                base = Transpose(base, caret.col)
            else:
                self.operand_missing(caret)
                self.enter()
                exponent = self.unary()  # right to left: a^b^c is a^(b^c); e^-x works
                self.leave()
                return self._postfix_ops(Bin("^", base, exponent, caret.col))
        return base

    def _transpose_mark(self) -> str | None:
        """After '^': a transpose (``\\top``, ``{\\top}``, ``T``, ``{T}``), or None for an exponent."""
        t0, t1, t2 = self.tok, self.peek(1), self.peek(2)
        if t0.kind == "top":
            self.advance()
            return "top"
        if t0.kind == "{" and t1.kind == "top" and t2.kind == "}":
            self.pos += 3
            return "top"
        if t0.kind == "name" and t0.text.startswith("T") and "T" not in self.bound:
            self.advance()
            if len(t0.text) > 1:  # ^Tx is ^T then x, as LaTeX reads a one-character superscript
                self.push_back(Token("name", t0.text[1:], t0.col + 1))
            return "T"
        if t0.kind == "{" and t1.kind == "name" and t1.text == "T" and t2.kind == "}":
            self.pos += 3
            return "T"
        if t0.kind == "style" and t1.kind == "{" and t2.kind == "name" and t2.text == "T" \
                and self.peek(3).kind == "}":  # ^\mathsf{T}, ^\mathrm{T}
            self.pos += 4
            return "T"
        return None

    def postfix(self) -> Node:
        return self._postfix_ops(self.primary())

    def _postfix_ops(self, node: Node) -> Node:
        while True:
            token = self.tok
            if token.kind == "top":
                self.advance()
                node = Transpose(node, token.col)
            elif token.kind == "'":
                raise ExprError("a prime (') marks the derivative of a function, as in sigma'(z)", token.col)
            elif token.kind == "!":
                self.advance()
                node = Call("factorial", (node,), 0, token.col)
                self.factorials = True
            else:
                return node

    def primary(self) -> Node:
        token = self.tok
        if token.kind == "num":
            self.advance()
            value = float(token.text)
            if not math.isfinite(value):
                raise ExprError(f"{token.text} is too large to be a number", token.col)
            return Num(value, token.col)
        if token.kind in ("(", "[", "{"):
            return self.group()
        if token.kind == "|":
            return self.absolute()
        if token.kind == "frac":
            return self.fraction()
        if token.kind == "sqrt":
            return self.root()
        if token.kind == "sum":
            self.advance()
            return self.sum_scripts(token)
        if token.kind == "style":
            self.advance()
            styled = self.styled_name(token)
            if styled.kind == "num":
                return Num(float(styled.text), styled.col)
            return self.name_expr(styled)
        if token.kind == "name":
            self.advance()
            return self.name_expr(token)
        if token.kind == "end":
            raise ExprError("an operand is missing at the end", token.col)
        raise ExprError(f"unexpected {_describe(token)}", token.col)

    def group(self) -> Node:
        opener = self.advance()
        closer = {"(": ")", "[": "]", "{": "}"}[opener.kind]
        if self.tok.kind == closer:
            raise ExprError(f"empty {opener.text}{closer}", opener.col)
        saved, self.abs_depth = self.abs_depth, 0
        inner = self.expr()
        self.abs_depth = saved
        if self.tok.kind != closer:
            if self.tok.kind == "end":
                raise ExprError(f"{quote(opener.text)} is never closed", opener.col)
            raise ExprError(f"expected {quote(closer)} to close {quote(opener.text)} (col {opener.col}), "
                            f"found {_describe(self.tok)}", self.tok.col)
        self.advance()
        return inner

    def absolute(self) -> Node:
        bar = self.advance()
        self.abs_depth += 1
        inner = self.expr()
        self.abs_depth -= 1
        if self.tok.kind != "|":
            raise ExprError("'|' is never closed", bar.col)
        self.advance()
        return Call("abs", (inner,), 0, bar.col)

    def fraction(self) -> Node:
        frac = self.advance()
        self.enter()
        numerator = self._frac_argument(frac)
        denominator = self._frac_argument(frac)
        self.leave()
        return Bin("/", numerator, denominator, frac.col)

    def _frac_argument(self, frac: Token) -> Node:
        """A braced group, or - as LaTeX reads \\frac12 and \\frac xy - one digit or one letter."""
        token = self.tok
        if token.kind == "{":
            return self.group()
        if token.kind == "num" and token.text[0].isdigit():
            self.advance()
            if len(token.text) > 1:
                self.push_back(Token("num", token.text[1:], token.col + 1))
            return Num(float(token.text[0]), token.col)
        if token.kind == "name":
            self.advance()
            if len(token.text) > 1:
                self.push_back(Token("name", token.text[1:], token.col + 1))
            return self.name_expr(Token("name", token.text[0], token.col))
        raise ExprError("\\frac needs {numerator}{denominator}", frac.col)

    def root(self) -> Node:
        token = self.advance()
        self.enter()
        try:
            return self._root(token)
        finally:
            self.leave()

    def _root(self, token: Token) -> Node:
        degree = self.group() if self.tok.kind == "[" else None
        arg = self.group() if self.tok.kind in ("{", "(") else self.power()
        if degree is None:
            return Call("sqrt", (arg,), 0, token.col)
        return Bin("^", arg, Bin("/", Num(1.0, token.col), degree, token.col), token.col)

    def styled_name(self, style: Token) -> Token:
        """``\\mathrm{softmax}``, ``\\operatorname{diag}``, ``\\mathbf{W}``: the name inside."""
        self.expect("{", f"{{ after \\{style.text}")
        parts = []
        while self.tok.kind in ("name", "_", "num"):
            parts.append(self.advance().text)
        self.expect("}", f"}} to close \\{style.text}{{...}}")
        if not parts:
            raise ExprError(f"\\{style.text}{{}} is empty", style.col)
        text = "".join(parts)
        if text.replace(".", "", 1).isdigit():  # \mathbf{1}: a number in a typeface
            return Token("num", text, style.col)
        if "_" in text:  # \mathrm{W_hh}: split back into name, _, subscript for resolution
            base, sub = text.split("_", 1)
            self.push_back(Token("name", sub, style.col))
            self.push_back(Token("_", "_", style.col))
            text = base
        return Token("name", text, style.col)

    # --- names ----------------------------------------------------------------------------------
    def name_expr(self, token: Token) -> Node:
        run = token.text
        if run == "prod" and self.tok.kind == "_" and run not in self.ns.symbols:  # prod_{t=1}^{T}, as sum_
            return self.sum_scripts(Token("sum", "\\prod", token.col))
        if self.tok.kind == "_" and run not in self.bound:
            joined = self.declared_with_subscript(run)
            if joined is not None:
                return Sym(joined, token.col)
        name = self.split_known(token)
        canonical = ALIASES.get(name, name)
        if name in self.bound:
            return self.no_subscript(Sym(name, token.col), name)
        if canonical == "sum" and name not in self.ns.symbols:
            if self.tok.kind == "_":
                return self.sum_scripts(token)
            return self.call("sum", token)
        if canonical in FUNCTIONS and name not in self.ns.symbols:
            return self.call(canonical, token)
        symbol = self.ns.symbols.get(name)
        if symbol is not None and symbol.is_sequence:
            transposed = self._transpose_before_subscript()
            if self.tok.kind != "_":
                raise ExprError(f"{name} is a sequence: give its index, as in {name}_t", token.col)
            indices = self.subscript_indices()
            if len(indices) != len(symbol.index):
                wanted = len(symbol.index)
                raise ExprError(f"{name} takes {wanted} ind{'ex' if wanted == 1 else 'ices'} "
                                f"({name}_{{{','.join('ti'[:wanted]) if wanted <= 2 else '...'}}}), "
                                f"not {len(indices)}", token.col)
            element = Index(name, tuple(indices), token.col)
            return Transpose(element, token.col) if transposed else element
        return self.no_subscript(Sym(name, token.col), name)

    def _transpose_before_subscript(self) -> bool:
        """``hᵀ_{i-1}`` or ``h^T_{i-1}``: a transpose written before the index."""
        if self.tok.kind != "^":
            return False
        saved = self.pos
        self.advance()
        if self._transpose_mark() is not None and self.tok.kind == "_":
            return True
        self.pos = saved
        return False

    def no_subscript(self, node: Sym, name: str) -> Node:
        if self.tok.kind == "_":
            raw = self.subscript_text()
            raise self.unknown(f"{name}_{raw}", node.col)
        return node

    def declared_with_subscript(self, run: str) -> str | None:
        """``W_hh``/``W_{hh}`` as one declared symbol, longest declared name first; consumes it if so."""
        sub = self.peek(1)
        if sub.kind == "{":
            j = self.pos + 2
            parts = []
            while j < len(self.tokens) and self.tokens[j].kind != "}":
                parts.append(self.tokens[j].text)
                j += 1
            candidate = f"{run}_{''.join(parts)}"
            if candidate in self.ns.symbols and not self.ns.symbols[candidate].is_sequence:
                self.pos = j + 1
                return candidate
            return None
        if sub.kind in ("name", "num"):
            for k in range(len(sub.text), 0, -1):
                candidate = f"{run}_{sub.text[:k]}"
                if candidate in self.ns.symbols and not self.ns.symbols[candidate].is_sequence:
                    self.pos += 2
                    if k < len(sub.text):
                        self.push_back(Token(sub.kind, sub.text[k:], sub.col + k))
                    return candidate
        return None

    def subscript_text(self) -> str:
        underscore = self.advance()  # _
        if self.tok.kind in _STOP or self.tok.kind == "op":
            raise ExprError("expected an index after '_'", underscore.col)
        if self.tok.kind == "{":
            start = self.pos
            depth = 0
            while self.tok.kind != "end":
                depth += {"{": 1, "}": -1}.get(self.tok.kind, 0)
                self.advance()
                if depth == 0:
                    break
            return "{" + "".join(t.text for t in self.tokens[start + 1:self.pos - 1]) + "}"
        return self.advance().text

    def subscript_indices(self) -> list[Node]:
        self.advance()  # _
        token = self.tok
        if token.kind in ("{", "("):  # h_{t-1}, and h_(t-1) as typed in plain text
            closer = "}" if token.kind == "{" else ")"
            self.advance()
            indices = [self.expr()]
            while self.tok.kind == ",":
                self.advance()
                indices.append(self.expr())
            self.expect(closer, f"'{closer}' to close the subscript")
            return indices
        if token.kind == "num":
            self.advance()
            return [Num(float(token.text), token.col)]
        if token.kind == "name":  # one letter, as LaTeX reads h_ti: h_t times i
            self.advance()
            if len(token.text) > 1:
                self.push_back(Token("name", token.text[1:], token.col + 1))
            letter = Token("name", token.text[0], token.col)
            if letter.text not in self.known and letter.text not in self.bound:
                raise self.unknown(letter.text, letter.col)
            return [Sym(letter.text, letter.col)]
        raise ExprError(f"expected an index after '_', found {_describe(token)}", token.col)

    def split_known(self, token: Token) -> str:
        """The longest known name at the start of a run of letters; the rest goes back as a new token."""
        run = token.text
        known = self.known | set(self.bound)
        if run in known:
            return run
        for k in range(len(run) - 1, 0, -1):
            if run[:k] in known:
                if ALIASES.get(run[:k], run[:k]) in FUNCTIONS and self.tok.kind == "(":
                    break  # sine(x) is not sin(e x): a longer name before brackets is an unknown function
                self.push_back(Token("name", run[k:], token.col + k))
                return run[:k]
        shown = run
        if self.tok.kind == "_":
            shown = f"{run}_{self.subscript_text()}".replace("{", "").replace("}", "")
        raise self.unknown(shown, token.col)

    def unknown(self, name: str, col: int) -> ExprError:
        calling = self.tok.kind == "("
        names = (sorted(FUNCTIONS) + sorted(ALIASES)) if calling else \
            sorted(set(self.ns.symbols) | set(self.ns.dims) | CONSTANTS) + self.bound
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        best = difflib.SequenceMatcher(None, name, close[0]).ratio() if close else 0
        close = [c for c in close if difflib.SequenceMatcher(None, name, c).ratio() == best]
        if close:
            hint = f" (did you mean {' or '.join(sorted(close))}?)"
        else:
            declared = sorted(self.ns.symbols)
            hint = f" (known symbols: {', '.join(declared)})" if declared else ""
        kind = "function" if calling else "symbol"
        return ExprError(f"unknown {kind} '{name}'{hint}", col)

    # --- calls and sums -------------------------------------------------------------------------
    def call(self, name: str, token: Token) -> Node:
        order = self._primes()
        function = FUNCTIONS[name]
        if order and (function.derivative is None or order > 1):
            raise ExprError(f"{name}{chr(39) * order} is not supported: only first derivatives of "
                            "element-wise functions", token.col)
        base = self._log_base() if name == "log" else None
        power = None
        if self.tok.kind == "^" and not order:  # \sin^2 x is (sin x)^2; sin^{-1} is arcsin
            caret = self.advance()
            power = self.group() if self.tok.kind == "{" else self.primary()
            if isinstance(power, Neg) and isinstance(power.operand, Num) and power.operand.value == 1:
                if name not in _INVERSES:
                    raise ExprError(f"{name}^{{-1}}: only sin, cos, tan and their hyperbolic forms have inverses "
                                    "written this way", caret.col)
                name, function, power = _INVERSES[name], FUNCTIONS[_INVERSES[name]], None
        if self.tok.kind == "(":
            if name == "sum" and self.peek().kind == "name" and self.peek(2).kind == ",":
                return self.sum_call(token)
            args = self.arguments()
        elif self.starts_factor(self.tok):  # \sin 2x is sin(2x): the factors that follow, up to an operator
            self.enter()
            args = [self._bare_argument()]
            self.leave()
        else:
            raise ExprError(f"{name} needs an argument, as in {name}(x)", token.col)
        if len(args) != function.arity:
            raise ExprError(f"{name} takes {function.arity} argument{'s' * (function.arity > 1)}, "
                            f"not {len(args)}", token.col)
        node: Node = Call(name, tuple(args), order, token.col)
        self.factorials = self.factorials or name == "factorial"
        if base is not None:
            node = Bin("/", node, Call("log", (base,), 0, token.col), token.col)
        return Bin("^", node, power, token.col) if power is not None else node

    def _primes(self) -> int:
        """How many primes follow: sigma', sigma'', \\sigma^\\prime, \\sigma^{\\prime\\prime}."""
        order = 0
        while True:
            if self.tok.kind == "'":
                self.pos += 1
                order += 1
            elif self.tok.kind == "^" and self.peek().kind == "'":
                self.pos += 2
                order += 1
            elif self.tok.kind == "^" and self.peek().kind == "{" and self.peek(2).kind == "'":
                k = 2
                while self.peek(k).kind == "'":
                    k += 1
                if self.peek(k).kind != "}":
                    return order
                order += k - 2
                self.pos += k + 1
            else:
                return order

    def _log_base(self) -> Node | None:
        """``\\log_2 x``, ``log_{10}(x)``: the base, if one is written."""
        if self.tok.kind != "_":
            return None
        self.advance()
        if self.tok.kind == "{":
            return self.group()
        return self._frac_argument(self.tok)

    def _bare_argument(self) -> Node:
        """A function's argument written without brackets: juxtaposed factors, stopping at an operator
        or another function (\\sin x \\cos x is sin(x) cos(x))."""
        arg = self.power()
        while self.starts_factor(self.tok) and not self._names_function(self.tok):
            arg = Bin("@", arg, self.power(), self.tok.col)
        return arg

    def _names_function(self, token: Token) -> bool:
        """Does this token start a function (``cos``, ``cosx`` read as cos x), not a symbol?"""
        if token.kind in ("sqrt", "frac", "sum"):
            return True
        if token.kind != "name" or token.text in self.ns.symbols or token.text in self.bound:
            return False
        prefix = next((token.text[:k] for k in range(len(token.text), 0, -1) if token.text[:k] in self.known), None)
        return prefix is not None and ALIASES.get(prefix, prefix) in FUNCTIONS and prefix not in self.ns.symbols

    def arguments(self) -> list[Node]:
        opener = self.advance()
        args = [self.expr()]
        while self.tok.kind == ",":
            self.advance()
            args.append(self.expr())
        if self.tok.kind != ")":
            raise ExprError("'(' is never closed" if self.tok.kind == "end"
                            else f"expected ')' or ',', found {_describe(self.tok)}", opener.col
                            if self.tok.kind == "end" else self.tok.col)
        self.advance()
        return args

    def sum_call(self, token: Token) -> Node:
        """``sum(i, lo, hi, body)``."""
        self.advance()  # (
        var = self.advance().text
        self.advance()  # ,
        lo = self.expr()
        self.expect(",", "',' after the lower bound of sum(i, lo, hi, expr)")
        hi = self.expr()
        self.expect(",", "',' after the upper bound of sum(i, lo, hi, expr)")
        self.bound.append(var)
        body = self.expr()
        self.bound.pop()
        self.expect(")", "')' to close sum(i, lo, hi, expr)")
        return Sum(var, lo, hi, body, token.col)

    def sum_scripts(self, token: Token) -> Node:
        """``\\sum_{i=1}^{t} body`` (also ``sum_{i=1}^t``): the body is the product that follows."""
        if self.tok.kind != "_":
            raise ExprError("give the sum its range, as in \\sum_{i=1}^{t}", token.col)
        self.advance()
        braced = self.tok.kind == "{"
        if braced:
            self.advance()
        var_token = self.expect("name", "the sum's variable, as in \\sum_{i=1}^{t}")
        var = var_token.text
        self.expect("=", "'=' after the sum's variable, as in \\sum_{i=1}^{t}")
        lo = self.expr() if braced else self.primary()
        if braced:
            self.expect("}", "'}' to close the sum's lower bound")
        self.expect("^", "'^' and the upper bound, as in \\sum_{i=1}^{t}")
        hi = self.group() if self.tok.kind == "{" else self._single_atom()
        self.bound.append(var)
        self.operand_missing(Token("sum", token.text, token.col))
        body = self.term()
        self.bound.pop()
        return Sum(var, lo, hi, body, token.col, product=token.text == "\\prod")

    def _single_atom(self) -> Node:
        token = self.tok
        if token.kind == "num":
            self.advance()
            return Num(float(token.text), token.col)
        if token.kind == "name":
            self.advance()
            if len(token.text) > 1:
                self.push_back(Token("name", token.text[1:], token.col + 1))
            return self.name_expr(Token("name", token.text[0], token.col))
        raise ExprError(f"expected the sum's upper bound, found {_describe(token)}", token.col)


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the answer"
    return quote(token.text)
