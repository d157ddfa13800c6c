"""An expression tree as MathML, for the live preview beside an expression field: the student sees
the formula grader read (``W_hh`` as W with subscript hh, ``sum_{i=1}^{t}`` as a big Σ), so a
misread bracket shows before they press Check.

Built with ``xml.etree``, so every name and number is escaped; the result holds MathML elements only.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from .nodes import Bin, Call, Index, Neg, Node, Num, Sum, Sym, Transpose

_PRECEDENCE = {"+": 1, "-": 1, "@": 2, "*": 2, "/": 2, "^": 4}
_GREEK = {name: chr(code) for name, code in (
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3B5), ("zeta", 0x3B6),
    ("eta", 0x3B7), ("theta", 0x3B8), ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD),
    ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1), ("sigma", 0x3C3), ("tau", 0x3C4), ("phi", 0x3C6),
    ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9), ("Delta", 0x394), ("Sigma", 0x3A3), ("Omega", 0x3A9))}


def to_mathml(node: Node, display: bool = False) -> str:
    root = ET.Element("math", {"xmlns": "http://www.w3.org/1998/Math/MathML",
                               "display": "block" if display else "inline"})
    root.append(_node(node, 0))
    return ET.tostring(root, encoding="unicode")


def _el(tag: str, *children: ET.Element, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.Element(tag, attrs)
    element.text = text
    element.extend(children)
    return element


def _row(*children: ET.Element) -> ET.Element:
    return children[0] if len(children) == 1 else _el("mrow", *children)


def _name(name: str) -> ET.Element:
    """``W_hh`` -> W with subscript hh; ``sigma`` -> σ."""
    base, _, sub = name.partition("_")
    shown = _el("mi", text=_GREEK.get(base, base))
    return _el("msub", shown, _el("mi", text=_GREEK.get(sub, sub))) if sub else shown


def _fenced(inner: ET.Element) -> ET.Element:
    return _el("mrow", _el("mo", text="("), inner, _el("mo", text=")"))


def _node(node: Node, outer: int) -> ET.Element:
    wrap = (lambda e, level: _fenced(e) if level < outer else e)
    if isinstance(node, Num):
        whole = math.isfinite(node.value) and node.value == int(node.value) and abs(node.value) < 1e15
        return _el("mn", text=str(int(node.value)) if whole else f"{node.value:g}")
    if isinstance(node, Sym):
        return _name(node.name)
    if isinstance(node, Index):
        indices = []
        for i, index in enumerate(node.indices):
            if i:
                indices.append(_el("mo", text=","))
            indices.append(_node(index, 0))
        base = _name(node.name)
        if base.tag == "msub":  # W_hh indexed again: W_{hh,t}
            base, first = base[0], base[1]
            indices = [first, _el("mo", text=",")] + indices
        return _el("msub", base, _row(*indices))
    if isinstance(node, Call):
        name = _el("mi", text=_GREEK.get(node.fn, node.fn) + "\u2032" * node.order)
        args: list[ET.Element] = []
        for i, arg in enumerate(node.args):
            if i:
                args.append(_el("mo", text=","))
            args.append(_node(arg, 0))
        return _el("mrow", name, _el("mo", text="("), *args, _el("mo", text=")"))
    if isinstance(node, Neg):
        return wrap(_el("mrow", _el("mo", text="\u2212"), _node(node.operand, 3)), 3)
    if isinstance(node, Transpose):
        return _el("msup", _node(node.operand, 5), _el("mi", text="T"))
    if isinstance(node, Sum):
        sigma = _el("munderover", _el("mo", text="\u220f" if node.product else "\u2211"),
                    _row(_el("mi", text=node.var), _el("mo", text="="), _node(node.lo, 0)), _node(node.hi, 0))
        return wrap(_el("mrow", sigma, _node(node.body, 2)), 2)
    if isinstance(node, Bin):
        level = _PRECEDENCE[node.op]
        if node.op == "^":
            return wrap(_el("msup", _node(node.left, 5), _node(node.right, 0)), level)
        if node.op == "/":
            return _el("mfrac", _node(node.left, 0), _node(node.right, 0))
        left = _node(node.left, level + _mixed(node, node.left))
        right = _node(node.right, level + 1 + _mixed(node, node.right))
        op = {"@": "\u2062", "*": "\u2299", "-": "\u2212"}.get(node.op, node.op)  # @: invisible times
        return wrap(_el("mrow", left, _el("mo", text=op), right), level)
    return _el("mi", text="?")


def _mixed(node: Bin, child: Node) -> int:
    products = ("@", "*", "/")
    return int(isinstance(child, Bin) and node.op in products and child.op in products and child.op != node.op)
