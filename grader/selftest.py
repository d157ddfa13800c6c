"""``grader validate --selftest``: grade a spec's own answers before students see it.

Each kind proposes probes (:func:`probes` in its module): the reference answer must score
full marks, each listed mistake must get its own diagnosis, a value outside the tolerance
must not pass. A probe that fails usually means a typo in the spec, a tolerance that is too
loose, or two mistakes that cannot be told apart.

A randomized spec is probed on every student's variant (a roster, or N made-up students):
the parts every student shares once, each varied part once per distinct version.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

from .grading import check_answer
from .kinds import KINDS, Probe
from .model import Outcome, Part
from .spec import LoadedSpec, Variant, told
from .variants import VariantError

MAX_LISTED = 20  # failing variants named per part; the rest are counted


def selftest(spec: LoadedSpec, students: Iterable[str] = ()) -> tuple[int, list[str]]:
    """(number of failed probes, one line per probe, or per part when many variants are probed)."""
    students = list(students)
    if not spec.randomized or not students:
        return _probe_variant(spec, spec.variant(""))
    failures, lines = 0, []
    shared = _probe_variant(spec, spec.variant(students[0]), only_shared=True)
    failures += shared[0]
    lines += shared[1]
    varied = [t.id for t in spec.templates]
    passed: Counter = Counter()
    probes: Counter = Counter()
    seen: set[tuple[str, str]] = set()
    listed: Counter = Counter()
    for student in students:
        try:
            variant = spec.variant(student)
        except VariantError as exc:
            failures += 1
            lines.append(f"student {student}: FAIL no variant: {exc.message}")
            continue
        for part in variant.parts:
            if part.id not in varied or (part.id, variant.keys[part.id]) in seen:
                continue
            seen.add((part.id, variant.keys[part.id]))
            bad, found = _probe_part(part, variant.references[part.id], told(spec.assignment, part))
            probes[part.id] += found
            if bad:
                failures += len(bad)
                listed[part.id] += 1
                if listed[part.id] <= MAX_LISTED:
                    lines += [f"{part.id}: FAIL for student {student}: {line}" for line in bad]
            else:
                passed[part.id] += 1
    versions = Counter(pid for pid, _ in seen)
    for pid in varied:
        lines.append(f"{pid}: {passed[pid]} of {versions[pid]} versions passed all probes "
                     f"({probes[pid]} probes, {len(students)} students)")
        if listed[pid] > MAX_LISTED:
            lines.append(f"{pid}: ... and {listed[pid] - MAX_LISTED} more failing versions")
    return failures, lines


def _probe_variant(spec: LoadedSpec, variant: Variant, only_shared: bool = False) -> tuple[int, list[str]]:
    failures, lines = 0, []
    varied = {t.id for t in spec.templates}
    for part in variant.parts:
        if only_shared and part.id in varied:
            continue
        for probe, outcome, complaint in _run_probes(part, variant.references[part.id], told(spec.assignment, part)):
            if complaint:
                failures += 1
                lines.append(f"{part.id}: FAIL {probe.label}: {complaint}")
            else:
                verdict = outcome.diagnosis or str(outcome.status)
                lines.append(f"{part.id}: ok   {probe.label} -> {verdict} ({outcome.fraction * part.points:g}/"
                             f"{part.points:g})")
    return failures, lines


def _probe_part(part: Part, reference: Any, text: str) -> tuple[list[str], int]:
    """(complaints, number of probes) for one version of a part."""
    ran = _run_probes(part, reference, text)
    return [f"{probe.label}: {complaint}" for probe, _, complaint in ran if complaint], len(ran)


def _run_probes(part: Part, reference: Any, text: str) -> list[tuple[Probe, Outcome, str | None]]:
    """Each of the kind's probes that applies to what the student reads (``text``), graded: (probe, outcome,
    complaint or None)."""
    out = []
    for probe in KINDS[part.kind].probes(part.config, reference):
        if probe.applies is not None and not probe.applies(text):
            continue
        outcome = check_answer(part, reference, probe.answer)
        out.append((probe, outcome, probe.expect(outcome)))
    return out
