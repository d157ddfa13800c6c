"""An expression tree back to readable text, for feedback: ``σ'(z_i) h_{i-1}ᵀ``."""
from __future__ import annotations

import math

from .nodes import Bin, Call, Index, Neg, Node, Num, Sum, Sym, Transpose

_PRECEDENCE = {"+": 1, "-": 1, "@": 2, "*": 2, "/": 2, "^": 4}
_SHOWN = {"sigma": "σ"}


def render(node: Node) -> str:
    return _render(node, 0)


def render_operand(node: Node, op: str) -> str:
    """``node`` as an operand of ``op``, bracketed where the reader would otherwise misgroup it."""
    level = _PRECEDENCE[op]
    mixed = isinstance(node, Bin) and node.op in ("@", "*", "/") and op in ("@", "*", "/") and node.op != op
    return _render(node, level + int(mixed))


def _render(node: Node, outer: int) -> str:
    if isinstance(node, Num):
        whole = math.isfinite(node.value) and node.value == int(node.value) and abs(node.value) < 1e15
        return str(int(node.value)) if whole else f"{node.value:g}"
    if isinstance(node, Sym):
        return "π" if node.name == "pi" else node.name
    if isinstance(node, Index):
        inner = ",".join(_render(i, 0).replace(" ", "") for i in node.indices)  # h_{i-1}, not h_{i - 1}
        simple = len(node.indices) == 1 and isinstance(node.indices[0], (Sym, Num)) and len(inner) == 1
        return f"{node.name}_{inner}" if simple else f"{node.name}_{{{inner}}}"
    if isinstance(node, Call):
        name = _SHOWN.get(node.fn, node.fn) + "'" * node.order
        return f"{name}({', '.join(_render(a, 0) for a in node.args)})"
    if isinstance(node, Neg):
        return _wrap("-" + _render(node.operand, 3), 3, outer)
    if isinstance(node, Transpose):
        return _render(node.operand, 5) + "ᵀ"
    if isinstance(node, Sum):
        body = _render(node.body, 2)
        sign = "∏" if node.product else "Σ"
        return _wrap(f"{sign}_{{{node.var}={_render(node.lo, 0)}}}^{{{_render(node.hi, 0)}}} {body}", 2, outer)
    if isinstance(node, Bin):
        level = _PRECEDENCE[node.op]
        right = _render(node.right, level + (0 if node.op == "^" else 1))
        if node.op == "^":
            return _wrap(f"{_render(node.left, 5)}^{right if len(right) == 1 else '{' + right + '}'}", level, outer)
        left = _render(node.left, level + _mixed(node, node.left))
        if node.op == "@":
            text = f"{left} {right}"
        elif node.op == "*":
            text = f"{left} ⊙ {right}"
        elif node.op == "/":
            text = f"{left}/{right}"
        else:
            text = f"{left} {node.op} {right}"
        return _wrap(text, level, outer)
    return "?"


def _mixed(node: Bin, child: Node) -> int:
    """(a ⊙ b) c keeps its brackets: two different products side by side read ambiguously."""
    products = ("@", "*", "/")
    return int(isinstance(child, Bin) and node.op in products and child.op in products and child.op != node.op)


def _wrap(text: str, level: int, outer: int) -> str:
    return f"({text})" if level < outer else text
