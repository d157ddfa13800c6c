"""Answer kinds: one module each, all with the same small set of names.

A kind module defines:

``SCHEMA``
    JSON Schema for the kind's own fields of a part (merged into ``problem.schema.json``).
``configure(fields, spot) -> config``
    The part's fields (already schema-valid) into the kind's frozen config dataclass.
    Problems a schema cannot see go to ``spot.error(path, message)``; return ``None`` if
    the part is unusable.
``solve(config) -> reference``
    The reference answer (and what else checking needs, e.g. known mistakes' values).
``read(config, raw) -> answer``
    The student's raw answer (YAML data) into something checkable; raise
    :class:`grader.numbers.Unreadable` with a reason the student can act on.
``check(config, reference, answer) -> Outcome``
    The verdict: share of points, status, feedback, diagnosis. Never quotes the reference.
``show(config, reference) -> JSON``
    The reference answer as plain data (for ``grader solve`` and released answers).
``probes(config, reference) -> list[Probe]``
    Self-test answers and what each must get (``grader validate --selftest``).

A kind may also define ``shuffled(fields, order) -> (fields, shown label -> spec label)``
for ``shuffle: true`` (only ``choice`` does): the part's fields as one student sees them;
and ``indistinct(config, reference) -> [(path, message)]``: listed mistakes that equal the
right answer, which ``validate`` refuses (a student who makes one would never see its feedback);
and ``unstated(config, told) -> [(path, message)]``: what the part fixes that the prompts a student
reads (``told``) do not state and an answer could rely on (a sequence length), which ``validate`` warns of.

A kind that takes answers handed in as files defines ``FILE_SUFFIXES`` (``(".txt", ".md")`` for text):
in a folder submission, an answer that is one word ending in one of them is read by the loader
(:mod:`grader.answer_files`, safely, within a size bound) and ``read`` gets a
:class:`grader.model.FileAnswer` (``.name``, ``.text``, ``.path_for_messages``, ``.where(line)``);
a name that cannot be used never reaches the kind (the part is ``missing`` or ``invalid``, saying why).
A kind without ``FILE_SUFFIXES`` gets such an answer as the text the student wrote.

Adding a kind: write the module, add one line to ``KINDS``, regenerate the schema
(``python -m grader.schemas``).
"""
from __future__ import annotations

from types import ModuleType

from . import choice, code, expression, numeric, text
from .common import Probe, diagnosed, full_marks, mentions

KINDS: dict[str, ModuleType] = {
    "choice": choice,
    "numeric": numeric,
    "text": text,
    "expression": expression,
    "code": code,
}

__all__ = ["KINDS", "Probe", "diagnosed", "full_marks", "mentions"]
