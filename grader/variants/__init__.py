"""Per-student variants: the same problem with each student's own numbers.

A spec with ``variables`` (and a secret ``salt``) draws its numbers per student. A variant is a
pure function of (assignment id, salt, student id): the draws come from SHA-256 in counter
mode, not from a library's generator, so they are the same on every machine and every
Python or numpy version. Each variable has its own stream, so editing one variable's range
leaves the others' numbers alone; a constraint that fails redraws every variable (the next
attempt), up to :data:`MAX_TRIES`.

- :mod:`.plan` reads the ``variables`` block (:func:`read_plan`);
- :mod:`.draw` draws a student's values (:func:`draw`) and option orders (:func:`permutation`);
- :mod:`.fill` puts values into a part: a field whose whole value is ``$name`` (or
  ``$name.key`` for a choice among mappings) takes the value itself; display text (prompts,
  titles, option texts, feedback) shows ``{name}`` or ``{name:.3f}`` filled in.
"""
from .draw import Stream, draw, permutation
from .fill import REFERENCE, fill, plain, show, substitute, text, uses_variables
from .plan import MAX_TRIES, RECIPE_SCHEMA, Plan, Variable, VariantError, read_plan, student_key

__all__ = ["MAX_TRIES", "RECIPE_SCHEMA", "REFERENCE", "Plan", "Stream", "Variable", "VariantError", "draw", "fill",
           "permutation", "plain", "read_plan", "show", "student_key", "substitute", "text", "uses_variables"]
