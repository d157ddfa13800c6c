"""``kind: choice`` - single or multiple select, read the way students write their picks.

Picks may be ``b``, ``B``, ``(b)``, ``option b``, a list, ``"b, c"``, ``"b and c"`` or the
Persian letters of the abjad order (``الف ب ج د`` = a b c d; ``آ`` for a), ``"ب و ج"``.

Multiple-select scorings, with C the right options, P the picks, N the number of options:

- ``all-or-nothing``: 1 when P = C;
- ``partial`` (net-correct): max(0, (|P∩C| - |P\\C|) / |C|);
- ``coverage``: (|P∩C|/|C|) * (|P∩C|/|P|);
- ``every-decision``: share of the N options decided right (picked if right, left if wrong).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..model import Outcome
from ..normalize import fold
from ..numbers import Unreadable
from .common import Probe, Spot, full_marks, mentions, withholds
from ..errors import quote

SCORINGS = ("all-or-nothing", "partial", "coverage", "every-decision")

SCHEMA: dict[str, Any] = {
    "properties": {
        "options": {
            "type": "object", "minProperties": 2,
            "description": "Option label -> option text, in the order shown to students.",
            "additionalProperties": {"type": ["string", "number"]},
        },
        "answer": {
            "description": "The right label, or a list of labels for a multiple-select part.",
            "oneOf": [
                {"type": ["string", "integer"]},
                {"type": "array", "items": {"type": ["string", "integer"]}, "minItems": 1, "uniqueItems": True},
            ],
        },
        "scoring": {"enum": list(SCORINGS), "description": "How a multiple-select answer earns partial credit."},
        "shuffle": {"type": "boolean",
                    "description": "Show each student the options in their own order (the spec needs a salt)."},
        "feedback": {
            "type": "object", "additionalProperties": {"type": "string"},
            "description": "Option label -> feedback, shown when that option is wrongly picked or wrongly left out.",
        },
    },
    "required": ["options", "answer"],
}

# Persian exam options follow the abjad order; آ is how many students type "a".
_ABJAD = ["الف", "ب", "ج", "د", "ه", "و", "ز", "ح"]
_EXTRA_A = ["آ", "ا"]
_FILLER = {"option", "options", "choice", "choices", "answer", "answers", "and",
           "گزینه", "گزینههای", "گزینهی", "پاسخ", "جواب"}  # folded: no zero-width non-joiners
_SPLIT = re.compile(r"[\s,;/&+|\u060c\u061b]+")  # with the Arabic comma and semicolon
_WRAP = "()[]{}<>.:)-\"'«»"


@dataclass(frozen=True)
class Config:
    options: tuple[str, ...]  # labels, in order
    texts: dict[str, str]
    answer: frozenset[str]
    multiple: bool
    scoring: str
    feedback: dict[str, str]
    aliases: dict[str, str]  # folded spelling -> label (spellings naming two options left out)
    reveal: bool = False  # answers released: feedback for wrongly left-out options may show


def configure(fields: dict[str, Any], spot: Spot) -> Config | None:
    options = tuple(str(k) for k in fields["options"])
    texts = {str(k): str(v) for k, v in fields["options"].items()}
    raw_answer = fields["answer"]
    multiple = isinstance(raw_answer, list)
    answers = [str(a) for a in (raw_answer if multiple else [raw_answer])]
    ok = True
    for i, label in enumerate(answers):
        if label not in texts:
            spot.error(("answer", i) if multiple else ("answer",),
                       f"answer {quote(label)} is not among the options ({', '.join(options)})")
            ok = False
    scoring = fields.get("scoring", "partial" if multiple else "all-or-nothing")
    if not multiple and scoring != "all-or-nothing":
        spot.error(("scoring",), f"scoring {quote(scoring)} needs a multiple-select part (answer as a list); "
                                 "a single answer is all-or-nothing")
        ok = False
    feedback = {str(k): v for k, v in fields.get("feedback", {}).items()}
    for label in feedback:
        if label not in texts:
            spot.error(("feedback", label), f"feedback for {quote(label)}, which is not an option", key=True)
            ok = False
    folded = [fold(o).strip(_WRAP) for o in options]
    clashes = sorted({o for o, f in zip(options, folded) if folded.count(f) > 1})
    if clashes:
        spot.error(("options",), "option labels are the same once case and brackets are ignored: "
                                 + ", ".join(clashes))
        ok = False
    aliases = {k: v for k, v in _aliases(options).items() if v is not None}
    if not ok:
        return None
    return Config(options, texts, frozenset(answers), multiple, scoring, feedback, aliases,
                  bool(fields.get("release_answer")))


def shuffled(fields: dict[str, Any], order: list[int]) -> tuple[dict[str, Any], dict[str, str]]:
    """The part as one student sees it: the labels stay in place, the option texts move.

    ``order[i]`` is the canonical position of the option shown at position i. Returns the
    rewritten fields (answer and feedback follow their options) and shown label -> canonical label.
    """
    labels = list(fields["options"])
    texts = list(fields["options"].values())
    shown_to_canonical = {str(labels[i]): str(labels[order[i]]) for i in range(len(labels))}
    canonical_to_shown = {c: s for s, c in shown_to_canonical.items()}
    by_label = {str(k): k for k in labels}

    def shown(label: Any) -> Any:
        return by_label.get(canonical_to_shown.get(str(label), ""), label)

    out = dict(fields)
    out["options"] = {labels[i]: texts[order[i]] for i in range(len(labels))}
    answer = fields["answer"]
    out["answer"] = [shown(a) for a in answer] if isinstance(answer, list) else shown(answer)
    if "feedback" in fields:
        out["feedback"] = {shown(k): v for k, v in fields["feedback"].items()}
    return out, shown_to_canonical


def _aliases(options: tuple[str, ...]) -> dict[str, str | None]:
    """Every spelling that names an option; a spelling naming two options maps to None."""
    out: dict[str, str | None] = {}

    def add(spelling: str, label: str) -> None:
        key = fold(spelling).strip(_WRAP)
        if key in out and out[key] != label:
            out[key] = None
        else:
            out[key] = label

    for label in options:
        add(label, label)
    letters = [fold(o) for o in options]
    if all(len(x) == 1 and "a" <= x <= "z" for x in letters):  # latin letters: add the Persian ones
        for label, letter in zip(options, letters):
            index = ord(letter) - ord("a")
            if index < len(_ABJAD):
                add(_ABJAD[index], label)
            if index == 0:
                for extra in _EXTRA_A:
                    add(extra, label)
    elif all(fold(o) in _ABJAD for o in options):  # Persian letters: add the latin ones
        for label in options:
            index = _ABJAD.index(fold(label))
            add(chr(ord("a") + index), label)
            if index == 0:
                for extra in _EXTRA_A:
                    add(extra, label)
    return out


def solve(config: Config) -> frozenset[str]:
    return config.answer


MAX_CHARS = 1_000


def read(config: Config, raw: Any) -> frozenset[str]:
    items = raw if isinstance(raw, list) else [raw]
    picks: list[str] = []
    for item in items:
        if isinstance(item, (dict, list)) or item is None or isinstance(item, bool):
            raise Unreadable("write the option labels as text, for example: b, or [b, c]")
        text = str(getattr(item, "text", item))
        if len(text) > MAX_CHARS or len(items) > len(config.options) * 4:
            raise Unreadable("the answer is too long for a choice: write the option labels, for example: b, c")
        try:
            picks.extend(_labels_in(config, text))
        except Unreadable as strict:
            found = _labels_in_words(config, text) or _options_by_text(config, text)
            if not found:
                raise Unreadable(f"{strict}; {_how_to_pick(config)}") from None
            picks.extend(found)
    chosen = frozenset(picks)
    if not config.multiple and len(chosen) > 1:
        raise Unreadable(f"pick one option: this question has a single answer (you picked {_listing(chosen, config)})")
    if not config.multiple and not chosen:
        raise Unreadable("no option is picked")
    return chosen


def _labels_in(config: Config, text: str) -> list[str]:
    whole = fold(text).strip(_WRAP)
    if whole in config.aliases:
        return [config.aliases[whole]]
    tokens = [t.strip(_WRAP) for t in _SPLIT.split(fold(text))]
    tokens = [t for t in tokens if t and t not in _FILLER]
    if len(tokens) > 2:  # "ب و ج": the Persian "and" between two picks
        tokens = [t for i, t in enumerate(tokens) if not (t == "و" and 0 < i < len(tokens) - 1)]
    elif len(tokens) == 2 and "و" in tokens and config.aliases.get("و") is None:
        tokens = [t for t in tokens if t != "و"]
    labels = []
    for token in tokens:
        label = config.aliases.get(token)
        if label is None and config.multiple and len(token) > 1 and all(config.aliases.get(ch) for ch in token):
            labels.extend(config.aliases[ch] for ch in token)  # "bc" for b and c
            continue
        if label is None:
            shown = token if len(token) <= 20 else token[:19] + "…"
            raise Unreadable(f"{quote(shown)} is not one of the options ({', '.join(config.options)})")
        labels.append(label)
    return labels


_ARTICLE = "a"  # "a" is also the English article: a label only where the text marks it as one
_MARKERS = {"option", "options", "choice", "choices", "answer", "answers", "is", "are", "and", "or", "گزینه",
            "گزینههای", "گزینهی", "پاسخ", "جواب", "فقط", "only", "ie"}
_WORD = re.compile(r"[^\W_]+(?:\.[^\W_]+)*\.?|[)(:]", re.UNICODE)


def _labels_in_words(config: Config, text: str) -> list[str]:
    """Labels among words: "option c is correct", "c) unidirectional", "b, c (sentiment and gender)",
    "گزینه ج صحیح است". A word counts when it is an option's label and not the article "a" (unless marked:
    "a)", "option a", "a and c"); text in brackets is the student's reason, not a pick."""
    folded = re.sub(r"\([^()]*\)", " ", fold(text))  # "(sentiment and gender)"
    words = [w.rstrip(".").replace(".", "") for w in _WORD.findall(folded)]
    labels = []
    for i, word in enumerate(words):
        label = config.aliases.get(word)
        if label is None or word in _MARKERS:
            continue
        if word == _ARTICLE and not _marked(words, i, config):
            continue
        labels.append(label)
    if len(set(labels)) > 1 and (not config.multiple or {"or", "یا"} & set(words)):
        return []  # "b or c?": not a pick (and in a multiple select, not both either)
    return list(dict.fromkeys(labels))


def _marked(words: list[str], i: int, config: Config) -> bool:
    after = words[i + 1] if i + 1 < len(words) else ""
    before = words[i - 1] if i > 0 else ""
    near_label = any(config.aliases.get(w) and w != _ARTICLE for w in (before, after, words[i - 2] if i > 1 else "",
                                                                       words[i + 2] if i + 2 < len(words) else ""))
    return after in (")", ":") or before in _MARKERS - {"is", "are", "and", "or"} or (
        near_label and (before in ("and", "or", "و") or after in ("and", "or", "و"))) or len(words) == 1


_CONTENT = re.compile(r"[^\W_]{3,}", re.UNICODE)


def _options_by_text(config: Config, text: str) -> list[str]:
    """Options named by their text instead of their label ("A unidirectional RNN, because ...", or
    "Sentiment classification and recognising the speaker's gender"): each piece of the answer is matched to
    the one option whose text holds most of its words, if that is most of them and no other option ties."""
    squeezed = {label: _squeeze(t) for label, t in config.texts.items()}
    exact = [label for label, t in squeezed.items() if t and t == _squeeze(text)]
    if len(exact) == 1:  # the option's text, copied: "P(y<t> | y<1>, ..., y<t-1>)"
        return exact
    pieces = [text] if not config.multiple else re.split(r"\s+(?:and|و)\s+|[,;\u060c]", text)
    found = []
    for piece in pieces:
        words = set(_CONTENT.findall(fold(piece)))
        if not words:
            continue
        scores = sorted(((len(words & set(_CONTENT.findall(fold(t)))) / len(words), label)
                         for label, t in config.texts.items()), reverse=True)
        best, label = scores[0]
        if best >= 0.6 and (len(scores) == 1 or scores[1][0] < best - 0.15):
            found.append(label)
        elif len(pieces) == 1 or not config.multiple:
            return []
    if not config.multiple and len(set(found)) != 1:
        return []
    return list(dict.fromkeys(found))


def _squeeze(text: str) -> str:
    return re.sub(r"[\s.]+", "", fold(text))


def _how_to_pick(config: Config) -> str:
    """How to write a pick, without a label as the example (any label shown could read as a hint)."""
    listed = ", ".join(config.options[:-1]) + " or " + config.options[-1]
    if config.multiple:
        return f"write the labels of your picks ({listed}), separated by commas"
    return f"write only the label of your pick: {listed}"


def score_picks(picked: set[str] | frozenset[str], correct: set[str] | frozenset[str],
                options: list[str] | tuple[str, ...], scoring: str) -> float:
    """The share of the points a set of picks earns under a scoring rule."""
    right = len(picked & correct)
    wrong = len(picked - correct)
    if scoring == "all-or-nothing":
        return 1.0 if set(picked) == set(correct) else 0.0
    if scoring == "partial":
        return max(0.0, (right - wrong) / len(correct))
    if scoring == "coverage":
        return (right / len(correct)) * (right / len(picked)) if picked else 0.0
    if scoring == "every-decision":
        decided = right + len(set(options) - set(picked) - set(correct))
        return decided / len(options)
    raise ValueError(f"unknown scoring {quote(scoring)}")


def check(config: Config, reference: frozenset[str], answer: frozenset[str]) -> Outcome:
    fraction = score_picks(answer, reference, config.options, config.scoring)
    wrong_picks = sorted(answer - reference, key=config.options.index)
    left_out = sorted(reference - answer, key=config.options.index)
    # feedback on a left-out option would say that option is right: only where answers are released
    shown = wrong_picks + (left_out if config.reveal else [])
    lines = [" ".join(config.feedback[o].split()) for o in shown if o in config.feedback]
    if fraction >= 1.0:
        summary = "Right."
    elif not config.multiple:
        summary = f"({wrong_picks[0]}) is not the right option." if wrong_picks else "That is not the right option."
    else:
        said = []
        if wrong_picks:
            said.append(f"({', '.join(wrong_picks)}) should not be picked")
        if left_out:
            said.append(f"{_count(len(left_out), 'right option')} is missing" if len(left_out) == 1
                        else f"{_count(len(left_out), 'right option')} are missing")
        summary = "; ".join(said).capitalize() + "."
    picks = sorted(answer, key=config.options.index)
    return Outcome.of_fraction(fraction, " ".join([summary] + lines), _diagnosis(fraction, wrong_picks, left_out),
                               reading=picks)


def _diagnosis(fraction: float, wrong_picks: list[str], left_out: list[str]) -> str | None:
    """What the feedback names: the wrong picks (``option:a+d``, each with its own feedback where the spec
    has one), or right options left out (``missing-option``, never which: that would give them away)."""
    if fraction >= 1.0:
        return None
    if wrong_picks:
        return "option:" + "+".join(wrong_picks)
    return "missing-option" if left_out else None


def show(config: Config, reference: frozenset[str]) -> Any:
    ordered = sorted(reference, key=config.options.index)
    return ordered if config.multiple else ordered[0]


def probes(config: Config, reference: frozenset[str]) -> list[Probe]:
    out = [Probe("the reference answer", show(config, reference), full_marks)]
    wrong = [o for o in config.options if o not in reference]
    for label, text in config.feedback.items():
        if label in reference:  # left out: its feedback shows only where answers are released
            picks = (reference - {label}) if config.multiple else frozenset()
            picks = picks or frozenset(wrong[:1])
            if not picks:
                continue
            expect = mentions(text) if config.reveal else withholds(text)
            label_text = f"leaving out ({label})"
        else:
            picks = reference | {label} if config.multiple else frozenset({label})
            expect, label_text = mentions(text), f"picking ({label})"
        answer = sorted(picks, key=config.options.index)
        out.append(Probe(label_text, answer if config.multiple else answer[0], expect))
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _listing(labels: frozenset[str], config: Config) -> str:
    return ", ".join(sorted(labels, key=config.options.index))
