"""What students were asked, kept in the gradebook so pages can be made without the spec.

:func:`stored_parts` is what grading writes into the ``parts`` JSON of the ``assignments`` table:
one entry per part, ``{id, kind, points, group, title}`` as always, and now also

- ``prompt``: the part's prompt as written in the spec;
- ``options``: ``[[label, text], ...]`` of a choice part, in the spec's order;
- ``answer``: a choice part's right labels, for the class report only (a student page never shows
  them); left out when the spec draws them per student;
- ``varies``: true when each student reads their own version of the text (a randomized spec's
  ``{name}`` placeholders, or options shuffled per student): the text stored is the spec's, as written;
- ``question``: ``{title, prompt}`` (and ``varies``) of the question the part belongs to.

The entries stay a list of parts (a question's text is repeated in each of its parts) so a
gradebook reads the same to every version of grader. Every key beyond the first five may be
missing, in a gradebook graded before they were stored: what is missing is not shown.
:func:`questions` reads the entries back as questions, each with its parts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .spec import LoadedSpec
from .variants import REFERENCE, uses_variables


def stored_parts(spec: LoadedSpec) -> list[dict[str, Any]]:
    """Each part of the spec as the gradebook keeps it (see the module's docstring)."""
    a = spec.assignment
    written = {t.id: t.fields for t in spec.templates}  # parts that vary, as the spec writes them
    names = frozenset(spec.plan.names) if spec.plan else frozenset()
    groups = {g.id: g for g in a.groups}
    out = []
    for part in a.parts:
        fields = written.get(part.id)
        group = groups.get(part.group or "")
        title = str(fields.get("title", "")) if fields is not None else part.title
        entry: dict[str, Any] = {"id": part.id, "kind": part.kind, "points": part.points, "group": part.group,
                                 "title": title or (group.title if group else "")}
        entry["prompt"] = str(fields.get("prompt", "")) if fields is not None else part.prompt
        if part.kind == "choice":
            entry.update(_choices(fields if fields is not None else {
                "options": part.config.texts, "answer": sorted(part.config.answer, key=part.config.options.index)}))
        if fields is not None and (fields.get("shuffle") or uses_variables(
                [fields.get(key) for key in ("title", "prompt", "options")], names)):
            entry["varies"] = True
        if group is not None:
            entry["question"] = {"title": group.title, "prompt": group.prompt}
            if uses_variables([group.title, group.prompt], names):
                entry["question"]["varies"] = True
        out.append(entry)
    return out


def _choices(fields: dict[str, Any]) -> dict[str, Any]:
    """Options and right labels as written; the right labels only when they are labels (not ``$name``)."""
    options = fields.get("options")
    if not isinstance(options, dict):
        return {}
    out: dict[str, Any] = {"options": [[str(label), str(text)] for label, text in options.items()]}
    answer = fields.get("answer")
    answer = answer if isinstance(answer, list) else [answer]
    labels = [str(a) for a in answer]
    if all(label in {str(k) for k in options} and not REFERENCE.match(label) for label in labels):
        out["answer"] = labels
    return out


@dataclass
class Question:
    """A question as pages show it: its text (empty for a part outside any question) and its parts."""

    id: str | None
    title: str = ""
    prompt: str = ""
    varies: bool = False
    parts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(p["points"] for p in self.parts)


def questions(parts: list[dict[str, Any]]) -> list[Question]:
    """Stored parts grouped by question, in the order they come; a part outside any question is its own."""
    out: list[Question] = []
    by_group: dict[str, Question] = {}
    for part in parts:
        group = part.get("group")
        if group and group in by_group:
            by_group[group].parts.append(part)
            continue
        text = part.get("question") or {}
        question = Question(group, str(text.get("title", "")), str(text.get("prompt", "")), bool(text.get("varies")),
                            [part])
        if group:
            by_group[group] = question
        out.append(question)
    return out
