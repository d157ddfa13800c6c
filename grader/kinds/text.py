"""``kind: text`` - a free response, scored provisionally against a rubric of concepts.

Each concept has points, phrases (any language) and/or regular expressions, and feedback
shown when it is not found. Matching happens on folded text (:func:`grader.normalize.fold`),
so ``مشتق‌پذیر`` with a zero-width non-joiner, ``مشتقپذیر`` without, and Arabic ``ي``/``ك``
all match the same phrase. The score is a suggestion: the status is always
``needs_review`` until an instructor confirms it, and students never see it.

Students say one thing many ways, and sometimes its opposite, so a rubric may give:

- ``synonyms`` for the part's terms (``gradient: [derivative, signal]``): a phrase word that is a
  term matches any of its synonyms, so one phrase covers its paraphrases;
- ``...`` inside a phrase, for words in between within one sentence (``keys ... no gradient``);
- ``contradicts`` per concept: phrases that say the opposite (``keys ... still learn``). Found, the
  concept is not earned, and the instructor is told where.

A phrase found after a negation in its own clause ("it is *not* piecewise constant") is *unsure*:
not earned provisionally, and listed for the instructor to decide.

Author regular expressions are matched within a time bound (:mod:`grader.patterns`): an answer
that would make a pattern backtrack for seconds loses that concept and says so, and
``validate`` warns about patterns prone to it. A pattern is searched only in an answer holding the words its
shape says every match holds (:func:`grader.patterns.required_words`), as a phrase is.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import Any

from .. import patterns
from ..model import Outcome, Status
from ..normalize import fold, fold_letters
from ..numbers import Unreadable
from .common import Probe, Spot, Timing
from ..errors import quote

MAX_CHARS = 20_000
FILE_SUFFIXES = (".txt", ".md")  # an essay written in an editor may be handed in as a file of a folder submission

SCHEMA: dict[str, Any] = {
    "properties": {
        "rubric": {
            "type": "array", "minItems": 1,
            "description": "Concepts a good answer makes; each found concept earns its points provisionally.",
            "items": {
                "type": "object", "additionalProperties": False, "required": ["id", "points"],
                "anyOf": [{"required": ["patterns"]}, {"required": ["regex"]}],
                "properties": {
                    "id": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
                    "label": {"type": "string", "description": "What the concept is, as a grader would name it."},
                    "points": {"type": "number", "exclusiveMinimum": 0},
                    "patterns": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                                 "description": "Phrases, any of which shows the concept (case and Persian/Arabic "
                                                "letter variants ignored)."},
                    "regex": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                              "description": "Regular expressions matched against the folded answer."},
                    "feedback": {"type": "string", "description": "Shown when the concept is not found."},
                    "contradicts": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                                    "description": "Phrases that say the opposite of the concept: found, the "
                                                   "concept is not earned and the instructor is told."},
                },
            },
        },
        "synonyms": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string",
                                                                                            "minLength": 1}},
                     "description": "Term -> other words for it: a phrase word that is a term matches any of "
                                    "them ({gradient: [derivative, signal]})."},
        "model_answer": {"type": "string", "description": "An answer that makes every concept (used by --selftest)."},
    },
    "required": ["rubric"],
}


@dataclass(frozen=True)
class Phrase:
    """A rubric phrase compiled, and the words any match of it must hold (one of each tuple), so the regular
    expression runs only on answers that hold them all: most answers miss most phrases, and a substring test
    costs a fraction of a timed search."""

    pattern: Any
    says_not: bool = False  # the phrase says "not" itself ("no gradient"): no negation check
    needs: tuple[tuple[str, ...], ...] = ()
    masks: tuple[int, ...] = ()  # ``needs`` as bits of the rubric's :class:`Vocabulary`


@dataclass(frozen=True)
class Vocabulary:
    """Every word a rubric's phrases need, each one bit. An answer is searched once for all of them (a substring
    test a word: 82 for the seed's rubric), and each phrase then asks whether those bits cover its needs, instead
    of searching the answer again for its own words (34 phrases there, most sharing words)."""

    words: tuple[str, ...] = ()
    bits: tuple[int, ...] = ()  # each word's

    @classmethod
    def of(cls, needs: list[tuple[tuple[str, ...], ...]]) -> "Vocabulary":
        words = sorted({word for need in needs for words in need for word in words})
        return cls(tuple(words), tuple(1 << i for i in range(len(words))))

    def masks(self, needs: tuple[tuple[str, ...], ...]) -> tuple[int, ...]:
        bit = dict(zip(self.words, self.bits))
        return tuple(sum({bit[word] for word in words}) for words in needs)

    def present(self, folded: str) -> int:
        """The bits of the words ``folded`` holds, anywhere in it (a phrase word matches at the start of a word, so
        a substring test is all it can rule out)."""
        return sum(itertools.compress(self.bits, map(folded.__contains__, self.words)))  # no Python loop


def covered(masks: tuple[int, ...], present: int) -> bool:
    """Does an answer holding the words ``present`` hold one word of each of ``masks`` (each need's words)?"""
    for mask in masks:
        if not mask & present:
            return False
    return True


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    points: float
    patterns: tuple[Any, ...]  # the author's regular expressions, compiled by grader.patterns
    feedback: str
    phrases: tuple[Phrase, ...] = ()
    opposite: Any = None  # the ``contradicts`` phrases, as one compiled pattern
    opposite_needs: tuple[tuple[tuple[str, ...], ...], ...] = ()  # each contradicts phrase's needs
    opposite_masks: tuple[tuple[int, ...], ...] = ()  # ``opposite_needs`` as bits of the rubric's vocabulary
    pattern_needs: tuple[tuple[tuple[str, ...], ...], ...] = ()  # each author pattern's required words
    pattern_masks: tuple[tuple[int, ...], ...] = ()  # ``pattern_needs`` as bits of the rubric's vocabulary

    def verdict(self, folded: str, budget: patterns.Budget, present: int) -> tuple[str, str]:
        """(found | unsure | contradicted | missing, the words that decided it). ``present``: the rubric
        vocabulary's words ``folded`` holds (:meth:`Vocabulary.present`)."""
        if self.opposite is not None and any(covered(masks, present) for masks in self.opposite_masks):
            against = budget.matches(self.opposite, folded)
            if against:
                return CONTRADICTED, against[0].group()
        negated = ""
        for phrase in self.phrases:
            if not covered(phrase.masks, present):
                continue
            for m in budget.matches(phrase.pattern, folded) or []:
                cue = None if phrase.says_not else _negation_near(folded, m)
                if cue is None:
                    return FOUND, m.group()
                negated = negated or f"{cue} ... {m.group()}"
        plain = folded.isascii()  # an author pattern's required words are exact for ASCII answers only
        for pattern, masks in zip(self.patterns, self.pattern_masks or [()] * len(self.patterns)):
            if plain and not covered(masks, present):
                continue  # a word every match holds is missing: the pattern cannot match this answer
            if budget.search(pattern, folded):
                return FOUND, ""
        return (UNSURE, negated) if negated else (MISSING, "")


FOUND, UNSURE, CONTRADICTED, MISSING = "found", "unsure", "contradicted", "missing"
_CLAUSE = re.compile(r"[.!?;:,\n\u060c\u061b\u061f]|\b(?:but|however|although|though|whereas|yet)\b|(?<!\w)(?:اما|ولی|ولے)(?!\w)")
_NEGATION = re.compile(r"(?<!\w)(?:not|no|never|none|nothing|neither|nor|without|hardly|cannot|\w+n't|نه|نمی\w*|"
                       r"بدون|هیچ)(?!\w)")
_GAP = r"[^.!?;\n\u061b\u061f]{0,80}?"  # "..." in a phrase: words in between, within one sentence


def _negation_near(folded: str, match: Any) -> str | None:
    """A negation word in a phrase match's own clause, before it or inside it ("the gradient is not zero" for
    "gradient ... zero"): "it is not piecewise constant" does not make the concept. Only for phrases that do
    not say "not" themselves (a phrase "no gradient" is its own negation)."""
    start = max((m.end() for m in _CLAUSE.finditer(folded, 0, match.start())), default=0)
    cue = _NEGATION.search(folded, start, match.end())
    return cue.group() if cue else None


@dataclass(frozen=True)
class Config:
    concepts: tuple[Concept, ...]
    points: float
    model_answer: str | None
    vocabulary: Vocabulary  # the words its phrases need, each a bit (their masks are of these)


def configure(fields: dict[str, Any], spot: Spot) -> Config | None:
    ok = True
    concepts = []
    seen: set[str] = set()
    synonyms = {fold(term): [fold(w) for w in words if fold(w)] for term, words in fields.get("synonyms", {}).items()}
    for i, item in enumerate(fields["rubric"]):
        if item["id"] in seen:
            spot.error(("rubric", i, "id"), f"rubric concept {quote(item['id'])} is listed twice")
            ok = False
        seen.add(item["id"])
        for j, phrase in enumerate(item.get("patterns", [])):
            if not fold(phrase):
                spot.error(("rubric", i, "patterns", j), "this pattern is empty once spaces and invisible "
                                                         "characters are ignored: it would match every answer")
                ok = False
        phrases = tuple(Phrase(patterns.compile_phrase(r"(?<!\w)" + regex), bool(_NEGATION.search(fold(p))), needs)
                        for p in item.get("patterns", []) if fold(p) for regex, needs in [_phrase(p, synonyms)])
        opposite = [_phrase(p, synonyms) for p in item.get("contradicts", []) if fold(p)]
        compiled: list[Any] = []
        pattern_needs = []
        for j, pattern in enumerate(item.get("regex", [])):
            folded = fold_letters(pattern)
            try:
                compiled.append(patterns.compile_pattern(folded, ignore_case=True))
                pattern_needs.append(patterns.required_words(folded))
            except patterns.Error as exc:
                spot.error(("rubric", i, "regex", j), f"not a valid regular expression: {exc}")
                ok = False
                continue
            why = patterns.risky(pattern, compiled[-1])
            if why:
                spot.warn(("rubric", i, "regex", j), f"this pattern is prone to backtracking: {why}")
        concepts.append(Concept(item["id"], item.get("label", item["id"]), float(item["points"]), tuple(compiled),
                                item.get("feedback", ""), phrases, _one_scan([regex for regex, _ in opposite]),
                                tuple(needs for _, needs in opposite), pattern_needs=tuple(pattern_needs)))
    total = sum(c.points for c in concepts)
    if total + 1e-9 < float(fields["points"]):
        spot.error(("rubric",), f"the rubric's concepts add up to {total:g} points, less than the part's "
                                f"{float(fields['points']):g}: a full answer could never reach full marks")
        ok = False
    if not ok:
        return None
    vocabulary = Vocabulary.of([p.needs for c in concepts for p in c.phrases] + [n for c in concepts
                                                                                 for n in c.opposite_needs]
                               + [n for c in concepts for n in c.pattern_needs])
    concepts = [replace(c, opposite_masks=tuple(map(vocabulary.masks, c.opposite_needs)),
                        pattern_masks=tuple(map(vocabulary.masks, c.pattern_needs)),
                        phrases=tuple(replace(p, masks=vocabulary.masks(p.needs)) for p in c.phrases))
                for c in concepts]
    return Config(tuple(concepts), float(fields["points"]), fields.get("model_answer"), vocabulary)


def _phrase(text: str, synonyms: dict[str, list[str]]) -> tuple[str, tuple[tuple[str, ...], ...]]:
    """A phrase as a regular expression, and the words any match of it holds (one of each tuple, the longest
    first). It matches at the start of a word (see ``configure``), with any run of spaces between its words; a
    word that is a synonyms term matches any of its words, and ``...`` any words within the sentence."""
    out = ""
    needs = []
    gap = False
    for k, word in enumerate(fold(text).split()):
        if word in ("...", "…"):
            out, gap = out + _GAP, True
            continue
        if word in synonyms:  # whole words, or a stem where it ends in * (updat* for update, updated, updates)
            alternatives = [word] + synonyms[word]
            piece = "(?:" + "|".join(_word(w) for w in alternatives) + ")"
            needs.append(tuple(max(w.rstrip("*").split() or [w], key=len) for w in alternatives))
        else:  # a plain phrase word matches at the start of a word, as it always has (interpretab, slow*)
            plain = word.rstrip("*") or word
            piece = re.escape(plain)
            needs.append((plain,))
        out += (r"(?<!\w)" if gap else r"\s+" if k else "") + piece
        gap = False
    return out, tuple(sorted(needs, key=lambda words: -min(map(len, words))))  # the rarest words first


def _word(text: str) -> str:
    stem = text.endswith("*")
    return r"\s+".join(map(re.escape, text.rstrip("*").split())) + ("" if stem else r"(?!\w)")


def _one_scan(phrases: list[str]) -> Any:
    return patterns.compile_phrase(r"(?<!\w)(?:" + "|".join(phrases) + ")") if phrases else None


def solve(config: Config) -> tuple[str, ...]:
    return tuple(c.id for c in config.concepts)


def read(config: Config, raw: Any) -> str:
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        raw = "\n".join(raw)
    if isinstance(raw, dict) or isinstance(raw, list) or isinstance(raw, bool):
        raise Unreadable("write the answer as text")
    text = str(getattr(raw, "text", raw))
    if len(text) > MAX_CHARS:
        raise Unreadable(f"the answer is longer than {MAX_CHARS} characters")
    return text


def check(config: Config, reference: tuple[str, ...], answer: str) -> Outcome:
    budget = patterns.Budget(seconds=Timing.answer_seconds)
    folded = fold(answer)
    present = config.vocabulary.present(folded)
    verdicts = {c.id: c.verdict(folded, budget, present) for c in config.concepts}
    found = [c for c in config.concepts if verdicts[c.id][0] == FOUND]
    missed = [c for c in config.concepts if verdicts[c.id][0] != FOUND]
    earned = min(config.points, sum(c.points for c in found))
    lines = ["An instructor will read and score this answer."]  # the rubric's count is for the instructor only
    if found:
        lines.append("Covered: " + "; ".join(c.label for c in found) + ".")
    if any(verdicts[c.id][0] == CONTRADICTED for c in missed):
        lines.append("Check what you wrote: part of your answer seems to say the opposite of a point the question "
                     "is about.")
    if missed:  # the author's hints only: a missed concept's label would be the model answer in brief
        hints = [_sentence(c.feedback) for c in missed if c.feedback]
        unhinted = len(missed) - len(hints)
        if unhinted:
            hints.append(f"{unhinted} more point{'s' * (unhinted > 1)} the rubric looks for "
                         f"{'are' if unhinted > 1 else 'is'} not found.")
        lines.append("To improve: " + " ".join(hints))
    # an idea not earned is named by its place in the rubric, never its label (students read details too: the
    # label would be the model answer in brief); the instructor has the rubric, and the words quoted are the student's
    details = tuple(f"found: {c.label}" for c in found) + tuple(
        f"{verdicts[c.id][0]}: rubric concept {n} ({quote(verdicts[c.id][1])})"
        for n, c in enumerate(config.concepts, 1) if verdicts[c.id][0] in (UNSURE, CONTRADICTED))
    if budget.ran_out:  # a pattern could not finish on this answer: a person must read it
        lines.append("Part of the rubric could not be checked on this answer in time; the instructor will read it.")
        details += ("rubric patterns ran out of time on this answer",)
    return Outcome(Status.NEEDS_REVIEW, earned / config.points if config.points else 0.0, " ".join(lines), None,
                   details, lasting=not budget.ran_out)  # searches time out on the wall clock


def _found(config: Config, answer: str, budget: patterns.Budget) -> list[Concept]:
    folded = fold(answer)
    present = config.vocabulary.present(folded)
    return [c for c in config.concepts if c.verdict(folded, budget, present)[0] == FOUND]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?", "؟")) else text + "."


def show(config: Config, reference: tuple[str, ...]) -> Any:
    return {"rubric": [{"id": c.id, "label": c.label, "points": c.points} for c in config.concepts],
            "model_answer": config.model_answer}


def probes(config: Config, reference: tuple[str, ...]) -> list[Probe]:
    if not config.model_answer:
        return _hint_probes(config)

    found = _found(config, config.model_answer, patterns.Budget())
    missing = [c.label for c in config.concepts if c not in found]

    def every_concept(outcome: Outcome) -> str | None:
        return "the model answer does not make: " + "; ".join(missing) if missing else None

    return [Probe("the model answer", config.model_answer, every_concept)] + _hint_probes(config)


def _hint_probes(config: Config) -> list[Probe]:
    """A hint must point at an idea without stating it: a hint its own concept's patterns find would earn the
    concept for a student who pastes it back (the hints, taken together, would be the model answer)."""
    out = []
    for concept in config.concepts:
        if not concept.feedback:
            continue
        gives = concept in _found(config, concept.feedback, patterns.Budget())

        def states_it(outcome: Outcome, concept: Concept = concept, gives: bool = gives) -> str | None:
            return (f"the hint of {concept.id} states the idea it points to (its own patterns find it): "
                    "say where to look, not what to write") if gives else None

        out.append(Probe(f"the hint of {concept.id}", concept.feedback, states_it))
    return out
