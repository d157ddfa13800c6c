"""Schema errors as a person reads them: ``file:line:col: q3a.tolerance.rtol: must be a number, not 'x'``.

jsonschema reports paths and validator names; this turns each into one sentence at the
position of the offending value (from the YAML node graph), names parts by their id, suggests
the field or kind a typo meant, and says which alternative of a ``oneOf`` was meant.
"""
from __future__ import annotations

import difflib
import math
import re
from typing import Any

import jsonschema

from ..document import Document
from ..errors import InputError, quote
from ..kinds import KINDS
from ..variants import REFERENCE
from . import validator

Located = list[tuple[tuple, InputError]]  # each problem with the path of the value it is about


def non_finite(doc: Document) -> list[InputError]:
    """NaN and infinities pass JSON Schema's number checks, yet no points, tolerance or param can be one."""
    return [problem for _, problem in located_non_finite(doc)]


def located_non_finite(doc: Document) -> Located:
    problems = []
    stack: list[tuple[tuple, Any]] = [((), doc.data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((path + (k,), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in enumerate(node))
        elif isinstance(node, (int, float)) and not isinstance(node, bool) and not _is_finite(node):
            text = getattr(node, "text", repr(node))
            text = text if len(text) <= 40 else text[:39] + "…"
            problems.append((path, doc.error(path, f"{_field_name(doc, path)}: {text} is not a finite number")))
    return problems


def _is_finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


# --- schema errors with positions -----------------------------------------------------------

def schema_problems(doc: Document, schema: str, *, skip_references: bool = False) -> list[InputError]:
    """Every schema error at ``file:line:col``. ``skip_references``: a ``$name`` where a value goes is
    checked later, once a variant gives it a value."""
    return [problem for _, problem in located_schema_problems(doc, schema, skip_references=skip_references)]


def located_schema_problems(doc: Document, schema: str, *, skip_references: bool = False) -> Located:
    """:func:`schema_problems`, each with the path of the value the schema refused (so a caller can
    still build the parts that are sound, and report everything in one pass)."""
    errors = sorted(validator(schema).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
    if skip_references:
        errors = [e for e in errors if not (isinstance(e.instance, str) and REFERENCE.match(e.instance))]
    unique: dict[tuple, tuple[tuple, InputError]] = {}
    for error in errors:
        for problem in _explain(doc, error):
            unique.setdefault((problem.line, problem.col, problem.message), (tuple(error.absolute_path), problem))
    return sorted(unique.values(), key=lambda item: (item[1].line or 0, item[1].col or 0))


_UNEXPECTED = re.compile(r"\('(.+)' (?:was|were) unexpected\)")


def _explain(doc: Document, error: jsonschema.ValidationError) -> list[InputError]:
    path = tuple(error.absolute_path)
    where = _field_name(doc, path)
    prefix = f"{where}: " if where else ""
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        names = _UNEXPECTED.search(error.message)
        found = names.group(1).split("', '") if names else []
        instance = error.instance if isinstance(error.instance, dict) else {}
        if error.validator == "unevaluatedProperties" and instance.get("kind") not in KINDS:
            return []  # the unknown kind is the problem; its fields are not
        allowed = _allowed_fields(error)
        out = []
        # a kind's fields count as "unevaluated" when any of them is invalid: report only real strangers
        for name in (n for n in found if n not in allowed):
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f" (did you mean {quote(close[0])}?)" if close else (f" (allowed: {', '.join(allowed)})" if allowed else "")
            out.append(doc.error(path + (name,), f"{prefix}unknown field {quote(name)}{hint}", key=True))
        return out
    if error.validator == "required":
        missing = re.match(r"'(.+)' is a required property", error.message)
        name = missing.group(1) if missing else error.message
        return [doc.error(path, f"{prefix}missing field {quote(name)}")]
    if error.validator == "enum" and path and path[-1] == "kind":
        kinds = list(KINDS)
        close = difflib.get_close_matches(str(error.instance), kinds, n=1)
        hint = f" (did you mean {quote(close[0])}?)" if close else ""
        return [doc.error(path, f"{prefix}unknown kind {quote(error.instance)}{hint}; kinds are {', '.join(kinds)}")]
    if error.validator in ("oneOf", "anyOf") and not (isinstance(error.instance, dict) and "kind" in error.instance):
        # the alternative of the value's own type says most ("too long", "unknown field"), not "'x' expected"
        telling = [e for e in error.context if e.validator not in ("const", "type", "enum")] or error.context
        inner = jsonschema.exceptions.best_match(telling) if telling else None
        if inner is not None:  # a value inside a part: explain the closest alternative's complaint
            return _explain(doc, inner)
        return [doc.error(path, f"{prefix}{_short(error.instance)} is not a valid value here")]
    if error.validator in ("oneOf", "anyOf"):
        given = set(error.instance) & {"answer", "solver"} if isinstance(error.instance, dict) else None
        if given == {"answer", "solver"} and error.instance.get("kind") == "numeric":
            return [doc.error(path, f"{prefix}give either 'answer' or 'solver', not both")]
        if not given:
            return [doc.error(path, f"{prefix}missing field 'answer' (or 'solver' to compute it)")]
        return [doc.error(path, f"{prefix}{_short(error.instance)} is not a valid value here")]
    if error.validator in ("minimum", "exclusiveMinimum"):
        bound = error.validator_value
        words = "must not be negative" if bound == 0 and error.validator == "minimum" else (
            "must be more than 0" if bound == 0 else f"must be at least {bound}")
        return [doc.error(path, f"{prefix}{words}, not {_short(error.instance)}")]
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return [doc.error(path, f"{prefix}must be {' or '.join(_TYPE_WORDS.get(t, t) for t in wanted)}, "
                                f"not {_describe(error.instance)}{_right_form(path, error)}")]
    if error.validator == "pattern":
        form = _PATTERNS.get(error.validator_value, f"the pattern {error.validator_value}")
        return [doc.error(path, f"{prefix}{_short(error.instance)} is not a valid name here: use {form}")]
    if error.validator == "enum":
        return [doc.error(path, f"{prefix}{_short(error.instance)} is not one of "
                                f"{', '.join(quote(v) if isinstance(v, str) else _flow(v) for v in error.validator_value)}")]
    return [doc.error(path, f"{prefix}{error.message}")]


# the patterns of the schemas, as a person reads them (messages show text as written, not as Python repr)
_PATTERNS = {
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$": "letters, digits and _ . - (starting with a letter or a digit)",
    r"^[A-Za-z_][A-Za-z0-9_]*$": "letters, digits and _ (not starting with a digit)",
    r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$": "a module and a name in lower case, as in attention.argmax",
}


def _right_form(path: tuple, error: jsonschema.ValidationError) -> str:
    """How the value is written, from the schema's own examples (a tolerance given as a bare number
    shown with that number: {rtol: 0.01} or {atol: 0.01})."""
    examples = error.schema.get("examples") if isinstance(error.schema, dict) else None
    if not examples:
        return ""
    value = error.instance
    if path and path[-1] == "tolerance" and isinstance(value, (int, float)) and not isinstance(value, bool):
        number = _flow(value)
        return (f"; write it as {{rtol: {number}}} (relative) or {{atol: {number}}} (absolute), or as "
                f"{_flow(examples[2])} or {_flow(examples[3])}")
    return "; for example " + " or ".join(_flow(e) for e in examples[:3])


def _flow(value: Any) -> str:
    """A value as YAML's flow style writes it: {rtol: 1.0e-06}, [1, 2]."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, float):
        return getattr(value, "text", None) or (f"{value:.1e}" if value and abs(value) < 1e-3 else f"{value:g}")
    return str(value)


_TYPE_WORDS = {"string": "text", "number": "a number", "integer": "a whole number", "array": "a list",
               "object": "a mapping", "boolean": "true or false", "null": "empty"}


def _allowed_fields(error: jsonschema.ValidationError) -> list[str]:
    schema = error.schema
    names = list(schema.get("properties", {}))
    instance = error.instance
    for branch in schema.get("allOf", []):
        cond = branch.get("if", {}).get("properties", {})
        if all(isinstance(instance, dict) and instance.get(k) == v.get("const") for k, v in cond.items()):
            names += list(branch.get("then", {}).get("properties", {}))
    return names


def _field_name(doc: Document, path: tuple) -> str:
    """``q3a.tolerance.rtol`` rather than ``parts[4].tolerance.rtol``: name the part by its id."""
    words: list[str] = []
    node: Any = doc.data
    for step in path:
        if isinstance(node, list) and isinstance(step, int) and step < len(node):
            item = node[step]
            pid = item.get("id") if isinstance(item, dict) else None
            if words and words[-1] in ("parts", "questions"):
                words.pop()
            words.append(str(pid) if isinstance(pid, str) and pid else f"[{step}]")
        else:
            words.append(str(step))
        node = node[step] if isinstance(node, (dict, list)) and _has(node, step) else None
    text = ".".join(words).replace(".[", "[")
    return text


def _has(node: Any, step: Any) -> bool:
    return (isinstance(node, dict) and step in node) or (isinstance(node, list) and isinstance(step, int)
                                                          and 0 <= step < len(node))


def _short(value: Any) -> str:
    text = quote(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "empty"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "a mapping"
    return _short(value)
