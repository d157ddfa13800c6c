"""Personal handouts: a student's problem set with their own numbers, and never an answer.

:func:`handout` is the core (a loaded spec and a student in, plain data out); :func:`render`
turns that data into Markdown or HTML. A handout is built only from what students read
(titles, prompts, option texts in the student's order, points) and a blank answer sheet;
reference answers, solver params and the salt never reach it.
"""
from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..spec import LoadedSpec
from ..variants import text

FORMATS = ("md", "html")
_ENV = Environment(loader=PackageLoader("grader.handout", "templates"), autoescape=select_autoescape(["html.j2"]),
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
_ENV.globals.update(num=lambda x: f"{x:g}")
# Markdown passes inline HTML through: a roster's names and ids are shown as text, never as markup
_ENV.filters["text"] = lambda s: str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def handout(spec: LoadedSpec, student: str, name: str = "") -> dict[str, Any]:
    """The student's problem set as data: sections (questions) of parts, each with its text filled in."""
    variant = spec.variant(student)
    a = spec.assignment
    values = variant.values
    groups = {g.id: g for g in a.groups}
    sections: list[dict[str, Any]] = []
    for part in variant.parts:
        if not sections or sections[-1]["id"] != part.group:
            group = groups.get(part.group) if part.group else None
            sections.append({"id": part.group, "title": text(group.title, values) if group else "",
                             "prompt": text(group.prompt, values).strip() if group else "", "parts": []})
        entry: dict[str, Any] = {"id": part.id, "title": part.title, "kind": part.kind, "points": part.points,
                                 "prompt": part.prompt.strip(), "options": [], "how": _how(part)}
        if part.kind == "choice":
            entry["options"] = [(label, part.config.texts[label]) for label in part.config.options]
        sections[-1]["parts"].append(entry)
    return {"assignment": a.id, "title": text(a.title, values), "description": text(a.description, values).strip(),
            "student": student, "name": name, "max_score": a.max_score, "sections": sections}


def _how(part: Any) -> str:
    """How to write the answer, in a few words (the kind's format, nothing about the value)."""
    if part.kind == "choice":
        return "Pick every option that applies." if part.config.multiple else "Pick one option."
    return {"numeric": "A number, or a list of numbers ([a, b]), or a list of rows ([[a, b], [c, d]]).",
            "expression": "A formula, in plain text or LaTeX.",
            "text": "A few sentences.",
            "code": f"Your file {getattr(part.config, 'file', '')}: paste it, or load it."}.get(part.kind, "")


def render(sheet: dict[str, Any], fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown handout format {fmt!r}; formats: {', '.join(FORMATS)}")
    return _ENV.get_template(f"handout.{fmt}.j2").render(h=sheet, yaml_key=_yaml_key, yaml_text=_yaml_text)


def _yaml_key(text: str) -> str:
    return text if text.replace("-", "").replace("_", "").isalnum() else _yaml_text(text)


def _yaml_text(text: str) -> str:
    """Text as a double-quoted YAML scalar (ids in the answer sheet's skeleton)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in escaped) + '"'
