"""Putting a student's values into a part: ``$name`` fields and ``{name}`` placeholders in text."""
from __future__ import annotations

import re
from typing import Any

import numpy as np
from ..errors import quote

REFERENCE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?(?::([^{}]{1,20}))?\}")
DISPLAY_FIELDS = frozenset({"prompt", "title", "feedback", "options", "description"})


def plain(value: Any) -> Any:
    """A value as YAML-like data (what a spec could have written)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def lookup(values: dict[str, Any], name: str, key: str | None) -> Any:
    """``$name`` / ``$name.key``; KeyError with a message when there is no such value."""
    if name not in values:
        raise KeyError(f"no variable {quote(name)} (variables: {', '.join(values) or 'none'})")
    value = values[name]
    if key is None:
        return value
    if not isinstance(value, dict) or key not in value:
        raise KeyError(f"variable {name} has no key {quote(key)}" + (
            f" (its keys: {', '.join(map(str, value))})" if isinstance(value, dict) else " (it is not a mapping)"))
    return value[key]


def substitute(node: Any, values: dict[str, Any], path: tuple, problems: list[tuple[tuple, str]],
               display: bool = False) -> Any:
    """``node`` with every ``$name`` replaced by its value and, in display text, ``{name}`` filled in.

    Unknown names are reported to ``problems`` as (path, message) and left as written.
    """
    if isinstance(node, str):
        ref = REFERENCE.match(node)
        if ref:
            try:
                return plain(lookup(values, ref.group(1), ref.group(2)))
            except KeyError as exc:
                problems.append((path, str(exc.args[0])))
                return node
        if not display:
            return node
        said: list[str] = []
        filled = fill(node, values, said)
        problems.extend((path, message) for message in said)
        return filled
    if isinstance(node, dict):
        return {k: substitute(v, values, path + (k,), problems, display or k in DISPLAY_FIELDS)
                for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(v, values, path + (i,), problems, display) for i, v in enumerate(node)]
    return node


def uses_variables(node: Any, names: frozenset[str]) -> bool:
    """Does this part depend on the variables (a ``$name`` anywhere, a ``{name}`` in any text)?"""
    if isinstance(node, str):
        ref = REFERENCE.match(node)
        return bool(ref and ref.group(1) in names) or any(m.group(1) in names for m in PLACEHOLDER.finditer(node))
    if isinstance(node, dict):
        return any(uses_variables(v, names) for v in node.values())
    if isinstance(node, list):
        return any(uses_variables(v, names) for v in node)
    return False


def fill(text: str, values: dict[str, Any], problems: list[str] | None = None) -> str:
    """Display text with ``{name}``, ``{name.key}`` and ``{name:.2f}`` filled in; other braces stay.

    A whole mapping (``{cell}`` for a choice among cases) is not shown: its fields may hold the
    answer. It stays as written, and ``problems`` hears of it."""
    def one(match: re.Match) -> str:
        name, key, spec = match.groups()
        try:
            value = lookup(values, name, key)
        except KeyError:
            return match.group(0)  # LaTeX's own braces, or a name that is not a variable
        if isinstance(value, dict):
            if problems is not None:
                problems.append(f"{{{name}}} is a whole case of fields, which may hold answers: show one field, "
                                f"like {{{name}.{next(iter(value), 'field')}}}")
            return match.group(0)
        return show(value, spec)

    return PLACEHOLDER.sub(one, text)


def text(written: str, values: dict[str, Any]) -> str:
    """Display text as a student reads it: a whole ``$name`` shows the value, ``{name}`` is filled in."""
    ref = REFERENCE.match(written)
    if ref:
        try:
            value = lookup(values, ref.group(1), ref.group(2))
        except KeyError:
            return written
        return written if isinstance(value, dict) else show(value)
    return fill(written, values)


def show(value: Any, spec: str | None = None) -> str:
    """A value as a student reads it: 3, 0.25, [1, -2, 0], [[1, 2], [3, 4]]."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show(v, spec)}" for k, v in value.items())
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(show(v, spec) for v in value) + "]"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    number = value.item() if isinstance(value, np.generic) else value
    if spec:
        try:
            return format(number, spec)
        except (ValueError, TypeError):
            pass
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number) if isinstance(number, float) else str(number)

