"""A part's own names for derivative notation: a spec may say that ∂J_t/∂h_i is ``g_{t,i}`` and ∂J_t/∂W_hh
is ``G_t``, so a student who writes ``\\frac{\\partial J_t}{\\partial h_i}``, ``∂J_t/∂h_i`` or
``dJ_t/dh_i`` is read as having written the declared name.

``derivatives: {"J_a / h_b": "g_{a,b}", "J_a / W_hh": "G_a"}``: on the left, the numerator and the
denominator, each a name with a placeholder index (one letter) or a fixed name; on the right, what
they mean, with the placeholders where the indices go. The rewrite is textual and runs before
parsing, so every later step (shapes, evaluation, diagnosis) sees the declared symbols.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .nodes import Index, Node
from .parser import parse
from .shapes import infer
from .symbols import Namespace, Symbol
from .trees import rebuild, substitute

_SIDE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)(?:_(?:\{([A-Za-z0-9]+)\}|([A-Za-z0-9]+)))?\s*$")
_D = r"(?:\\partial\s*|∂\s*|d\s*)"  # \partial, ∂, or d (dJ_t/dh_i)


@dataclass(frozen=True)
class Derivative:
    pattern: re.Pattern
    template: str
    holes: tuple[str, ...]
    top: str = ""  # the key's sides, "J_a" and "h_b": to say what g_{t,i} means
    bottom: str = ""


class NotationError(ValueError):
    pass


def read_derivatives(raw: dict[str, str]) -> tuple[Derivative, ...]:
    """The spec's ``derivatives`` field; :class:`NotationError` for a key that is not "N_a / D_b"."""
    out = []
    for key, meaning in raw.items():
        top, _, bottom = str(key).partition("/")
        if not bottom:
            raise NotationError(f"{key!r}: write the derivative as 'numerator / denominator', like 'J_a / h_b'")
        sides = [_side(top, key), _side(bottom, key)]
        holes = tuple(h for _, h, fixed in sides if h and not fixed)
        frac = [_part(name, hole, fixed, "f") for name, hole, fixed in sides]
        slash = [_part(name, hole, fixed, "s") for name, hole, fixed in sides]
        body = (rf"(?:\\frac\s*\{{\s*{_D}{frac[0]}\s*\}}\s*\{{\s*{_D}{frac[1]}\s*\}}"
                rf"|{_D}{slash[0]}\s*/\s*{_D}{slash[1]})")
        if len(set(holes)) != len(holes):
            raise NotationError(f"{key!r}: give the two indices different letters, like 'J_a / h_b'")
        out.append(Derivative(re.compile(body), str(meaning), holes, top.strip(), bottom.strip()))
    return tuple(out)


def _side(text: str, key: str) -> tuple[str, str | None, bool]:
    m = _SIDE.match(text)
    if not m:
        raise NotationError(f"{key!r}: {text.strip()!r} is not a name with an index, like J_a or W_hh")
    name, braced, plain = m.groups()
    index = braced or plain
    hole = index if index and len(index) == 1 and index.isalpha() else None
    return (name, hole or index, hole is None and index is not None)


def _part(name: str, index: str | None, fixed: bool, form: str) -> str:
    """The regex of one side: a placeholder index captured by name (one group per way of writing it, as
    ``<hole>_<form><braced or not>``), or a fixed name (W_hh or W_{hh})."""
    if index is None:
        return re.escape(name) + r"(?![A-Za-z0-9_])"
    if fixed:
        return rf"{re.escape(name)}_(?:\{{{re.escape(index)}\}}|{re.escape(index)}(?![A-Za-z0-9]))"
    return rf"{re.escape(name)}_(?:\{{(?P<{index}_{form}b>[^{{}}]+)\}}|(?P<{index}_{form}p>[A-Za-z0-9]))"


def rewrite(text: str, derivatives: tuple[Derivative, ...]) -> str:
    """``text`` with every declared derivative replaced by what it means."""
    for d in derivatives:
        def meaning(m: re.Match, d: Derivative = d) -> str:
            out = d.template
            for hole in d.holes:
                index = next(m.group(f"{hole}_{form}") for form in ("fb", "fp", "sb", "sp") if m.group(f"{hole}_{form}"))
                out = re.sub(rf"(?<![A-Za-z]){hole}(?![A-Za-z])", lambda _: index, out)
            return f" {out} "
        text = d.pattern.sub(meaning, text)
    return text


_NAMED = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)_(?:\{([^{}]*)\}|([A-Za-z0-9]))\s*$")


def meaning(name: str, indices: tuple[str, ...], derivatives: tuple[Derivative, ...]) -> str | None:
    """What a declared name stands for, at these indices: ``g`` at ``(t, i)`` is "∂J_t/∂h_i"; None if no
    declared notation names it so."""
    for d in derivatives:
        m = _NAMED.match(d.template)
        if not m or m.group(1) != name:
            continue
        letters = [x.strip() for x in (m.group(2) or m.group(3)).split(",")]
        if len(letters) != len(indices) or sorted(letters) != sorted(d.holes):
            continue
        given = dict(zip(letters, indices))
        sides = [re.sub(r"(?<![A-Za-z])([a-z])(?![A-Za-z])", lambda h: _braced(given.get(h.group(1), h.group(1))),
                        side.split("_", 1)[1]) if "_" in side else None for side in (d.top, d.bottom)]
        shown = [f"{side.split('_', 1)[0]}_{sub}" if sub is not None else side
                 for side, sub in zip((d.top, d.bottom), sides)]
        return f"∂{shown[0]}/∂{shown[1]}"
    return None


def _braced(index: str) -> str:
    return index if len(index) == 1 else "{" + index + "}"


@dataclass(frozen=True)
class Definition:
    """``G_a`` means ``body`` with ``a`` replaced by the index: lets diagnosis see inside a name the answer
    uses (a student who writes q2c's sum of G_t out, as a double sum in g, z and h)."""

    name: str
    holes: tuple[str, ...]
    body: Node


def read_definitions(raw: dict[str, str], ns: Namespace) -> tuple[Definition, ...]:
    """The spec's ``definitions`` field, parsed; :class:`NotationError` (with the key) for one that cannot be."""
    out = []
    for key, text in raw.items():
        m = _NAMED.match(str(key))
        symbol = ns.symbols.get(m.group(1)) if m else None
        holes = tuple(x.strip() for x in (m.group(2) or m.group(3)).split(",")) if m else ()
        if symbol is None or len(holes) != len(symbol.index) or not all(len(h) == 1 and h.isalpha() for h in holes):
            raise NotationError(f"{key!r}: name a declared sequence with one letter per index, like 'G_a'")
        clash = [h for h in holes if h in ns.symbols or h in ns.dims]
        if clash:
            raise NotationError(f"{key!r}: the placeholder {clash[0]} is also a symbol of the part; use another letter")
        inner = Namespace({**ns.symbols, **{h: Symbol(h, integer=True) for h in holes}}, ns.dims)
        try:
            body = parse(str(text), inner)
            shape = infer(body, inner)
        except ValueError as exc:  # ExprError and ShapeError
            raise NotationError(f"{key!r}: {exc}") from None
        if shape != symbol.shape:
            raise NotationError(f"{key!r}: the definition's shape differs from {symbol.name}'s")
        out.append(Definition(symbol.name, holes, body))
    return tuple(out)


def expand(tree: Node, definitions: tuple[Definition, ...]) -> Node:
    """``tree`` with every defined name written out (G_t as its sum over i)."""
    by_name = {d.name: d for d in definitions}

    def visit(node: Node) -> Node:
        node = rebuild(node, visit)
        d = by_name.get(node.name) if isinstance(node, Index) else None
        if d is None or len(node.indices) != len(d.holes):
            return node
        body = d.body
        for hole, index in zip(d.holes, node.indices):
            body = substitute(body, hole, index)
        return body
    return visit(tree)
