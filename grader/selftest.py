"""``grader validate --selftest``: grade a spec's own answers before students see it.

Each kind proposes probes (:func:`probes` in its module): the reference answer must score
full marks, each listed mistake must get its own diagnosis, a value outside the tolerance
must not pass. A probe that fails usually means a typo in the spec, a tolerance that is too
loose, or two mistakes that cannot be told apart.
"""
from __future__ import annotations

from .grading import check_answer
from .kinds import KINDS
from .spec import LoadedSpec


def selftest(spec: LoadedSpec) -> tuple[int, list[str]]:
    """(number of failed probes, one line per probe)."""
    failures = 0
    lines: list[str] = []
    for part in spec.assignment.parts:
        reference = spec.references[part.id]
        for probe in KINDS[part.kind].probes(part.config, reference):
            outcome = check_answer(part, reference, probe.answer)
            complaint = probe.expect(outcome)
            if complaint:
                failures += 1
                lines.append(f"{part.id}: FAIL {probe.label}: {complaint}")
            else:
                verdict = outcome.diagnosis or str(outcome.status)
                lines.append(f"{part.id}: ok   {probe.label} -> {verdict} ({outcome.fraction * part.points:g}/"
                             f"{part.points:g})")
    return failures, lines
