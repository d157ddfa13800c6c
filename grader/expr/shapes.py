"""Shapes, inferred before anything is evaluated: a shape error is feedback, not a crash.

Shapes are ``()`` for a number and ``(rows, columns)`` otherwise; a vector is a column
``(n, 1)``. A linear-algebra product of ``(a, b)`` and ``(b, c)`` is ``(a, c)``, and a 1x1
result is a number, so ``vᵀ w`` is a number and ``u vᵀ`` an outer product.
"""
from __future__ import annotations

from .functions import FUNCTIONS
from .lexer import ExprError
from .nodes import Bin, Call, Index, Neg, Node, Num, Sum, Sym, Transpose
from .render import render, render_operand
from .symbols import CONSTANTS, Namespace

Shape = tuple[int, ...]


class ShapeError(ExprError):
    """The expression reads, but its parts do not fit together (shapes)."""


def describe(shape: Shape, names: dict[int, str] | None = None) -> str:
    """``names``: sizes drawn per test point, shown by name (an n-vector), since their value varies."""
    if shape == ():
        return "a number"
    rows, cols = (_size(k, names) for k in shape)
    if cols == "1":
        return f"{_a(rows)} {rows}-vector"
    if rows == "1":
        return f"a row {cols}-vector"
    return f"{_a(rows)} {rows}×{cols} matrix"


def _size(k: int, names: dict[int, str] | None) -> str:
    return (names or {}).get(k, str(k))


def _a(size: str) -> str:
    """The article before a size read aloud: an n-vector, a T-vector (numbers as before: a 3-vector)."""
    return "an" if len(size) == 1 and size in "aefhilmnorsxAEFHILMNORSX" else "a"


def infer(node: Node, ns: Namespace, bound: frozenset[str] = frozenset()) -> Shape:
    """The shape of ``node``; raises :class:`ShapeError` saying which part does not fit, and how."""
    if isinstance(node, Num):
        return ()
    if isinstance(node, Sym):
        if node.name in bound or node.name in ns.dims or (node.name in CONSTANTS and node.name not in ns.symbols):
            return ()
        return ns.symbols[node.name].shape
    if isinstance(node, Index):
        for index in node.indices:
            if infer(index, ns, bound) != ():
                raise ShapeError(f"the index {render(index)} of {node.name} must be a number", node.col)
        return ns.symbols[node.name].shape
    if isinstance(node, Neg):
        return infer(node.operand, ns, bound)
    if isinstance(node, Transpose):
        return _transposed(infer(node.operand, ns, bound))
    if isinstance(node, Sum):
        for limit in (node.lo, node.hi):
            if infer(limit, ns, bound) != ():
                raise ShapeError(f"the bounds of a sum must be numbers, not {render(limit)}", node.col)
        body = infer(node.body, ns, bound | {node.var})
        if node.product and body != ():
            raise ShapeError(f"a product ∏ multiplies numbers, but its terms are {describe(body)}: write the "
                             "matrix products out", node.col)
        return body
    if isinstance(node, Call):
        return _call(node, [infer(a, ns, bound) for a in node.args], ns.size_names)
    if isinstance(node, Bin):
        return _binary(node, infer(node.left, ns, bound), infer(node.right, ns, bound), ns.size_names)
    raise ShapeError(f"cannot work out the shape of {render(node)}")


_describe = describe


def _transposed(shape: Shape) -> Shape:
    return shape if shape == () else (shape[1], shape[0])


def _binary(node: Bin, left: Shape, right: Shape, names: dict[int, str]) -> Shape:
    def describe(shape: Shape) -> str:
        return _describe(shape, names)

    def text() -> tuple[str, str]:  # rendered only for a message: most products fit
        return render_operand(node.left, node.op), render_operand(node.right, node.op)

    if node.op in "+-":
        if left == right or right == ():
            return left
        if left == ():
            return right
        word = "adds" if node.op == "+" else "subtracts"
        L, R = text()
        raise ShapeError(f"{L} {node.op} {R} {word} {describe(left)} and {describe(right)}", node.col)
    if node.op == "*":
        if left == right or right == ():
            return left
        if left == ():
            return right
        L, R = text()
        raise ShapeError(f"{L} ⊙ {R}: an element-wise product needs two arrays of the same shape, "
                         f"not {describe(left)} and {describe(right)}", node.col)
    if node.op == "/":
        if right == () or left == right:
            return left
        L, R = text()
        raise ShapeError(f"{L}/{R} divides {describe(left)} by {describe(right)}", node.col)
    if node.op == "^":
        if right != ():
            L, R = text()
            raise ShapeError(f"the exponent of {L}^{{{R}}} must be a number, not {describe(right)}", node.col)
        return left
    # "@": a linear-algebra product
    if left == ():
        return right
    if right == ():
        return left
    if left[1] == right[0]:
        result = (left[0], right[1])
        return () if result == (1, 1) else result
    if left[1] == 1 and right[1] == 1 and left[0] == right[0]:
        L, R = text()
        raise ShapeError(f"{L} {R} multiplies two {_size(left[0], names)}-vectors; did you mean an outer product "
                         f"with {R}ᵀ "
                         f"(or ⊙ for an element-wise product)?", node.col)
    if left[0] == right[0]:
        L, R = text()
        hint = f"; did you mean {L}ᵀ {R}?" if left[1] == 1 or right[1] == 1 else ""
        raise ShapeError(f"{L} {R} multiplies {describe(left)} by {describe(right)}: their inner sizes "
                         f"({_size(left[1], names)} and {_size(right[0], names)}) differ{hint}", node.col)
    L, R = text()
    raise ShapeError(f"{L} {R} multiplies {describe(left)} by {describe(right)}: their inner sizes "
                     f"({_size(left[1], names)} and {_size(right[0], names)}) differ", node.col)


def _call(node: Call, args: list[Shape], names: dict[int, str]) -> Shape:
    def describe(shape: Shape) -> str:
        return _describe(shape, names)

    kind = FUNCTIONS[node.fn].kind
    if kind == "elementwise":
        return args[0]
    if kind == "softmax":
        if args[0] != () and args[0][1] != 1:
            raise ShapeError(f"{render(node)}: softmax takes a vector, not {describe(args[0])}", node.col)
        return args[0]
    if kind == "sum":
        return ()
    if kind == "diag":
        if args[0] == ():
            return ()
        rows, cols = args[0]
        if cols == 1:
            return (rows, rows)
        if rows == cols:
            return (rows, 1)
        raise ShapeError(f"{render(node)}: diag takes a vector or a square matrix, not {describe(args[0])}", node.col)
    if kind == "outer":
        sizes = []
        for shape in args:
            if shape != () and 1 not in shape:
                raise ShapeError(f"{render(node)}: outer takes two vectors, not {describe(shape)}", node.col)
            sizes.append(1 if shape == () else max(shape))
        result = (sizes[0], sizes[1])
        return () if result == (1, 1) else result
    raise ShapeError(f"cannot work out the shape of {render(node)}", node.col)
