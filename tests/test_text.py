"""kind: text - a provisional rubric score, always for an instructor to confirm."""
from __future__ import annotations

import json

import pytest

from grader.kinds import KINDS
from grader.model import Status
from helpers import Built, CollectingSpot, problems_of, run_grader

RUBRIC = [
    {"id": "grad", "label": "no gradient through argmax", "points": 2,
     "patterns": ["not differentiable", "مشتق‌پذیر نیست", "zero gradient"], "feedback": "Say what happens to the gradient."},
    {"id": "keys", "label": "keys do not learn", "points": 1, "regex": [r"keys?\b.{0,40}\b(never|not|don't)\b.{0,20}learn"]},
]


@pytest.fixture
def part():
    return Built("text", {"points": 3, "rubric": RUBRIC, "model_answer": "Argmax is not differentiable; keys never learn."})


def may_occur(needs: tuple[tuple[str, ...], ...], folded: str) -> bool:
    """The definition the vocabulary's bits are checked against: ``folded`` holds one word of each need."""
    return all(any(word in folded for word in words) for words in needs)


def test_provisional_score_needs_review(part):
    outcome = part("Argmax is NOT   differentiable, so training is hard.")
    assert outcome.status == Status.NEEDS_REVIEW
    assert outcome.fraction == pytest.approx(2 / 3)
    assert "no gradient through argmax" in outcome.feedback
    assert outcome.details == ("found: no gradient through argmax",)
    # a missed concept's label would be the model answer in brief: only hints, or a count
    assert "keys do not learn" not in outcome.feedback
    assert "1 more point the rubric looks for is not found." in outcome.feedback


def test_full_rubric_is_still_needs_review(part):
    outcome = part("It has zero gradient, so the keys will never learn anything.")
    assert outcome.status == Status.NEEDS_REVIEW and outcome.fraction == 1.0


@pytest.mark.parametrize("text", [
    "argmax مشتق‌پذیر نیست",  # with a zero-width non-joiner
    "argmax مشتقپذیر نیست",  # without
    "argmax مشتق‌پذير نيست",  # Arabic yeh
])
def test_persian_variants_match(part, text):
    assert part(text).fraction == pytest.approx(2 / 3)


def test_nothing_found_gives_hints(part):
    outcome = part("I do not know.")
    assert outcome.fraction == 0 and "Say what happens to the gradient." in outcome.feedback


def test_bounds_and_types(part):
    assert part("x" * 30_000).status == Status.INVALID
    assert part({"a": 1}).status == Status.INVALID
    assert part("   ").status == Status.MISSING


def test_spec_problems():
    assert any("not a valid regular expression" in p
               for p in problems_of("text", {"rubric": [{"id": "a", "points": 2, "regex": ["(unclosed"]}]}))
    assert any("less than the part's" in p
               for p in problems_of("text", {"points": 5, "rubric": [{"id": "a", "points": 2, "patterns": ["x"]}]}))


def test_a_pattern_that_folds_to_nothing_is_a_spec_problem():
    problems = problems_of("text", {"rubric": [{"id": "a", "points": 2, "patterns": ["real", "\u200c "]}]})
    assert any("would match every answer" in p for p in problems)


def test_selftest_names_what_the_model_answer_misses():
    part = Built("text", {"points": 3, "rubric": RUBRIC, "model_answer": "Argmax is not differentiable."})
    probe = part.module.probes(part.config, part.reference)[0]  # then one probe per hint
    assert probe.expect(part(probe.answer)) == "the model answer does not make: keys do not learn"


def test_a_pattern_that_backtracks_is_stopped_and_the_answer_goes_to_a_person(write):
    """``^(a|aa)+$`` takes time that doubles with each character of an answer that almost matches: grading
    stops it (a hang fails the run's timeout instead of stopping the suite) and says the rubric could not
    be checked; the other concepts are still found."""
    spec = write("s.yaml", r"""
    id: rx
    title: Backtracking
    parts:
      - id: t
        kind: text
        points: 2
        prompt: Why?
        rubric:
          - {id: slow, points: 1, regex: ['^(a|aa)+$']}
          - {id: word, points: 1, patterns: [gradient]}
    """)
    answer = write("a.yaml", "student: s\nanswers:\n  t: '" + "a" * 60 + "! so the gradient is lost'\n")
    done = run_grader("check", spec, answer, "--format", "json", timeout=60)
    part = json.loads(done.stdout)["parts"][0]
    assert part["status"] == "needs_review" and part["score"] == 1
    assert "could not be checked on this answer in time" in part["feedback"]
    assert "rubric patterns ran out of time on this answer" in part["details"]


@pytest.mark.parametrize("pattern, risky", [
    (r"^(\w+\s?)+$", True), (r"(a+)+b", True), (r"^(a|aa)+$", True), (r"(?:\s*\w+){2,}x", True),
    (r"keys?\b.{0,40}\b(never|not|don't)\b.{0,20}learn", False), (r"(\d{1,3},)*\d+", False), (r"vanish\w*", False),
])
def test_validate_warns_about_patterns_prone_to_backtracking(pattern, risky):
    spot = CollectingSpot()
    KINDS["text"].configure({"id": "p", "kind": "text", "points": 1, "prompt": "?",
                             "rubric": [{"id": "c", "points": 1, "regex": [pattern]}]}, spot)
    assert not spot.problems
    warned = [m for _, m in spot.warnings if "prone to backtracking" in m]
    assert bool(warned) == risky, spot.warnings


def test_the_warning_reaches_the_author_at_its_line(cli, write):
    spec = write("s.yaml", r"""
    id: rx
    title: Backtracking
    parts:
      - id: t
        kind: text
        points: 1
        prompt: Why?
        rubric:
          - {id: c, points: 1, regex: ['^(\w+\s?)+$']}
    """)
    run = cli("validate", spec)
    assert run.status == 0 and "1 warning(s)" in run.out
    assert f"{spec}:9:36: warning: part t: this pattern is prone to backtracking" in run.err


def test_a_pattern_timed_out_while_waiting_for_a_core_is_tried_again():
    """regex's timeout runs on the wall clock: a search stalled by a loaded machine (here: a sleep, which uses
    no CPU) is tried again, while one that really works that long is stopped."""
    import time

    import regex

    from grader import patterns

    class Stalled:
        calls = 0

        def search(self, text, timeout):
            self.calls += 1
            if self.calls == 1:
                time.sleep(timeout)  # waiting, not working
                raise TimeoutError("regex timed out")
            return regex.search("gradient", text)

    stalled = Stalled()
    budget = patterns.Budget()
    assert budget.search(stalled, "no gradient") is True and stalled.calls == 2 and not budget.ran_out
    slow = regex.compile(r"^(a|aa)+$")
    budget = patterns.Budget()
    assert budget.search(slow, "a" * 60 + "b") is None and budget.ran_out


def test_the_cpu_time_taken_without_a_system_call_is_never_below_the_real_one():
    """A timed search starts from clock.at_most(): CPU time spent measured from it can only come out short (then
    the search is tried again), never long, which would stop a pattern that was only waiting for a core."""
    import time

    from grader import clock

    clock.now()
    for _ in range(200):
        sum(range(2000))  # some work since the last reading
        estimate, real = clock.at_most(), time.thread_time() + getattr(clock._last, "elsewhere", 0.0)
        assert estimate >= real - 1e-4


def test_folding_in_one_pass_is_folding_table_by_table():
    """fold_letters maps letters, digits and invisible marks with one table, and leaves ASCII text as it is: the
    same text as NFKC, then each table in turn, then the diacritics dropped (random texts of the characters
    concerned, and a few that NFKC changes)."""
    import random
    import unicodedata

    from grader import normalize as N

    def table_by_table(text):
        text = unicodedata.normalize("NFKC", text).translate(N._DROP).translate(N._LETTER_VARIANTS)
        return N._DIACRITICS.sub("", text.translate(N._DIGITS))

    pool = [chr(c) for c in [*N._DROP, *N._LETTER_VARIANTS, *N._DIGITS]] + list("aZ 09\t.") + \
        ["\u064b", "\u0670", "ﻻ", "Ａ", "ﬁ", "²", "e\u0301", "ي", "۶", "\u066b", "㎏"]
    rng = random.Random(5)
    for _ in range(20000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 12)))
        assert N.fold_letters(text) == table_by_table(text), repr(text)
    assert all(N.fold_letters(chr(c)) == table_by_table(chr(c)) for c in range(128))


def test_selftest_fails_a_hint_that_states_its_own_idea(write):
    spec = write("hint.yaml", """
    id: hint
    title: Hints
    parts:
      - id: t
        kind: text
        points: 2
        prompt: Why does argmax stop learning?
        model_answer: Argmax has no gradient, so the keys do not learn.
        rubric:
          - {id: grad, points: 1, patterns: [no gradient], feedback: "Hint: argmax has no gradient."}
          - {id: keys, points: 1, patterns: [keys do not learn], feedback: "Say who stops learning."}
    """)
    run = run_grader("validate", "--selftest", spec)
    assert run.returncode == 1
    assert "the hint of grad states the idea it points to" in run.stdout + run.stderr
    assert "the hint of keys states" not in run.stdout + run.stderr


def test_the_seed_homeworks_hints_pasted_back_earn_nothing():
    """Found by a review of the service: a student who checked 'I do not know', then pasted back the
    'To improve' hints, got 3/3."""
    from pathlib import Path

    from grader.grading import grade_part
    from grader.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parent.parent / "problems" / "rnn-attention.yaml")
    part = next(p for p in spec.assignment.parts if p.id == "q3b")
    hints = " ".join(c.feedback for c in part.config.concepts if c.feedback)
    assert grade_part(part, spec.references["q3b"], hints).score == 0


def test_a_student_never_reads_the_rubrics_provisional_number(tmp_path):
    """The self-check and the exported feedback page say 'awaiting review'; the number stays the instructor's."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    seed = root / "submissions" / "rnn-attention" / "99522086.yaml"
    run = run_grader("check", root / "problems" / "rnn-attention.yaml", seed)
    q3b = next(line for line in run.stdout.splitlines() if line.startswith("q3b"))
    assert "–/3.00" in q3b and "needs review" in q3b and "Provisional" not in run.stdout
    assert "up to 3.00 point(s) awaiting an instructor's review" in run.stdout
    out = tmp_path / "out"
    assert run_grader("grade", root / "problems" / "rnn-attention.yaml", seed, "--out", out, "--quiet").returncode == 0
    assert run_grader("export", out, "--format", "html").returncode == 0
    page = (out / "export" / "html" / "99522086.html").read_text(encoding="utf-8")
    assert "awaiting review, out of 3" in page and "up to 3 point(s) awaiting" in " ".join(page.split())


PARAPHRASED = {  # a rubric on the vanishing gradient in a deep sigmoid network (not the seed's question)
    "points": 2,
    "synonyms": {"gradient": ["gradient*", "derivative*", "signal"], "early": ["first", "lower", "early"],
                 "layer": ["layer*"], "small": ["small*", "tiny", "vanish*", "shrink*"]},
    "rubric": [
        {"id": "shrinks", "label": "the gradient shrinks layer by layer", "points": 1,
         "patterns": ["gradient ... small", "product of ... derivative"],
         "contradicts": ["gradient ... grows", "gradient ... explode*"]},
        {"id": "early-slow", "label": "the early layers learn slowly", "points": 1,
         "patterns": ["early layer ... slow*"]},
    ],
}


@pytest.mark.parametrize("answer, found", [
    ("The derivatives become tiny as they go back, so the first layers train slowly.", {"shrinks", "early-slow"}),
    ("Each backward step multiplies by σ' ≤ 1/4: the signal vanishes. Lower layers learn very slowly.",
     {"shrinks", "early-slow"}),
    ("گرادیان کوچک می‌شود", set()),  # Persian the rubric does not list: nothing found, left to a person
])
def test_synonyms_and_gaps_let_one_phrase_cover_its_paraphrases(answer, found):
    outcome = Built("text", PARAPHRASED)(answer)
    assert {d.split(": ", 1)[1] for d in outcome.details if d.startswith("found: ")} == {
        c["label"] for c in PARAPHRASED["rubric"] if c["id"] in found}


def test_a_phrase_after_a_negation_is_left_to_the_instructor():
    outcome = Built("text", PARAPHRASED)("It is not true that the gradient gets small; early layers learn slowly.")
    assert outcome.fraction == pytest.approx(0.5)  # only early-slow: "not ... gradient gets small" is unsure
    assert any(d.startswith("unsure: rubric concept 1 (") and "'not" in d for d in outcome.details)
    assert not any("the gradient shrinks" in d for d in outcome.details)  # a label not earned is never shown
    inside = Built("text", PARAPHRASED)("The gradient is not small at all.")  # the negation inside the gap
    assert inside.fraction == 0 and any(d.startswith("unsure:") for d in inside.details)


def test_an_answer_that_says_the_opposite_does_not_earn_the_idea():
    outcome = Built("text", PARAPHRASED)("The gradient is small at first but then it grows and explodes.")
    assert outcome.fraction == 0
    assert any(d.startswith("contradicted: rubric concept 1 (") for d in outcome.details)
    assert "seems to say the opposite" in outcome.feedback
    assert "the gradient shrinks" not in outcome.feedback  # the label of an idea not earned stays hidden


def test_a_short_synonym_is_a_whole_word():
    part = Built("text", {"points": 1, "synonyms": {"key": ["k"]},
                          "rubric": [{"id": "k", "label": "keys frozen", "points": 1, "patterns": ["key ... frozen"]}]})
    assert part("k stays frozen").fraction == 1
    assert part("knowing this, everything is frozen").fraction == 0


def test_the_seed_students_argmax_answers_in_other_words_earn_their_ideas():
    from grader.grading import grade
    from grader.model import Submission
    from grader.spec import load_spec
    from conftest import SEED_SPEC
    seed = load_spec(SEED_SPEC)

    def score(answer):
        report = grade(seed, Submission("s", {"q3b": answer}, named=True))
        return next(p for p in report.parts if p.id == "q3b").score

    assert score("d argmax/ds = 0 a.e. => dL/dq = dL/dk = 0, only dL/dv_{j*} != 0.") == 3
    assert score("Argmax is not differentiable, but the keys still learn through the chosen key.") == 1.5
    assert score("Argmax gives sharper gradients than softmax, so keys learn faster.") == 0


def test_the_words_test_before_a_phrase_never_hides_a_match():
    """A phrase's regular expression runs only on answers holding its words (a substring test first): for every
    phrase, contradicts phrase and author pattern of the example specs, on every free-text answer of the corpus
    and the example class, cut and joined in many ways, the test must pass wherever the expression matches."""
    import itertools
    import re
    import yaml

    from conftest import ROOT, SEED_SPEC, PRACTICE
    from grader.kinds import text
    from grader.normalize import fold
    from grader.spec import load_spec

    corpus = yaml.safe_load((ROOT / "tests" / "data" / "realistic_answers.yaml").read_text(encoding="utf-8"))
    answers = [str(e.get("answer")) for e in (corpus if isinstance(corpus, list) else corpus.get("answers", []))]
    answers += [p.read_text(encoding="utf-8") for p in (ROOT / "submissions").rglob("*.yaml")]
    pieces = [s for a in answers for s in re.split(r"(?<=[.!?؟\n])", a) if s.strip()]
    texts = {fold(t) for t in answers + pieces + [" ".join(p) for p in itertools.combinations(pieces[:40], 2)]}
    checked = 0
    for spec_path in (SEED_SPEC, PRACTICE):
        spec = load_spec(spec_path)
        for part in spec.assignment.parts:
            if part.kind != "text":
                continue
            for concept in part.config.concepts:
                for phrase in concept.phrases:
                    for folded in texts:
                        if phrase.pattern.search(folded):
                            checked += 1
                            assert may_occur(phrase.needs, folded), (concept.id, phrase.pattern.pattern, folded)
                            present = part.config.vocabulary.present(folded)  # the test grading uses: the same words
                            assert text.covered(phrase.masks, present), (concept.id, phrase.pattern.pattern, folded)
                for pattern, needs, masks in zip(concept.patterns, concept.pattern_needs, concept.pattern_masks):
                    for folded in texts:  # an author's pattern: its words are tested on ASCII answers only
                        if folded.isascii() and pattern.search(folded):
                            checked += 1
                            assert may_occur(needs, folded), (concept.id, pattern.pattern, folded)
                            assert text.covered(masks, part.config.vocabulary.present(folded)), (concept.id, folded)
                if concept.opposite is not None:
                    for folded in texts:
                        if concept.opposite.search(folded):
                            checked += 1
                            assert any(may_occur(n, folded) for n in concept.opposite_needs), (concept.id, folded)
                            present = part.config.vocabulary.present(folded)
                            assert any(text.covered(m, present) for m in concept.opposite_masks), (concept.id, folded)
    assert checked > 50  # the corpus does reach the phrases


def test_the_vocabulary_bits_say_what_the_substring_tests_say():
    """Grading asks the rubric's vocabulary once per answer, then each phrase's bits; that must decide exactly
    as searching the answer for the phrase's own words would, for every phrase, on answers that hold some of the
    words and miss others."""
    from conftest import SEED_SPEC
    from grader.kinds import text
    from grader.spec import load_spec

    [part] = [p for p in load_spec(SEED_SPEC).assignment.parts if p.kind == "text"]
    concepts, vocabulary = part.config.concepts, part.config.vocabulary
    words = list(vocabulary.words)
    assert len(words) > 20
    texts = ["", "nothing here", " ".join(words), "the keys never learn", "گرادیان صفر است"]
    texts += [" ".join(words[i::k]) for k in (2, 3, 5, 7) for i in range(k)]
    decided = set()
    for folded in texts:
        present = vocabulary.present(folded)
        for concept in concepts:
            for phrase in concept.phrases:
                assert text.covered(phrase.masks, present) == may_occur(phrase.needs, folded), (phrase.needs, folded)
                decided.add(may_occur(phrase.needs, folded))
            for needs, masks in zip(concept.opposite_needs, concept.opposite_masks):
                assert text.covered(masks, present) == may_occur(needs, folded), (needs, folded)
    assert decided == {True, False}


PIECES = ["key", "Keys", "quer", "not", "no longer", "learn", "/d", "d", "argmax", "0", "=", "\u212a", "\u017f",
          "کلید", "نمی", " ", "i"]
WRAPS = ["({})", "(?:{})?", "(?:{})+", "(?:{})*", "(?:{}){{0,3}}", "(?:{}){{2}}", "\\b{}\\b", "{}\\s*", "[^.]{{0,9}}{}",
         "\\w*{}", "(?-i:{})", "(?={})", "(?!{})x"]


def _author_patterns():
    from hypothesis import strategies as st

    leaf = st.sampled_from(PIECES).map(__import__("re").escape) | st.sampled_from(["[kq]", ".", "\\d+", "\\w+"])
    return st.recursive(leaf, lambda inner: st.one_of(
        st.tuples(st.sampled_from(WRAPS), inner).map(lambda t: t[0].format(t[1])),
        st.lists(inner, min_size=2, max_size=3).map("".join),
        st.lists(inner, min_size=2, max_size=3).map("|".join)), max_leaves=6)


def test_an_author_patterns_words_never_hide_a_match():
    """An author's pattern is searched only in an answer holding the words its shape says every match holds: for
    patterns built of literals, alternations, optional and repeated groups, case-insensitive letters (and the Kelvin
    sign and long s, which match k and s), lookarounds and scoped flags, on answers made of the same pieces, the
    words must be there wherever the pattern matches an ASCII answer."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from grader import patterns
    from grader.normalize import fold

    words = st.lists(st.sampled_from(["key", "keys", "query", "not", "no", "longer", "learn", "d/dq", "argmax", "0",
                                      "=", "kk", "iii", "ss", "k", "the", ".", "x"]), max_size=12).map(" ".join)

    tested = []

    @settings(max_examples=800, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(_author_patterns(), st.lists(words, min_size=1, max_size=6))
    def holds(text, answers):
        compiled = patterns.compile_pattern(text, ignore_case=True)
        needs = patterns.required_words(text)
        for answer in answers:
            folded = fold(answer)
            if compiled.search(folded):
                assert may_occur(needs, folded), (text, needs, folded)
                tested.append(bool(needs))

    holds()
    assert sum(tested) > 50  # matches of patterns that do need words: the property was put to the test


@pytest.mark.parametrize("pattern, words", [
    (r"d\s*argmax\s*/\s*d\w*\s*=\s*0", (("argmax",),)),
    (r"(quer|key)[^.]{0,80}\b(not|never)\b", (("key", "quer"), ("never", "not"))),  # (not|never) parses as n(ot|ever)
    (r"K(?:ey)?s", ()),  # single letters rule out little: no words
    (r"(?i)Only\s+d\w*/dv", (("only",), ("/dv",))),
    (r"x|argmax", ()),  # a branch that needs nothing: the alternation needs nothing
    (r"\u212aey", (("ey",),)),  # the Kelvin sign matches k: it breaks the run
    (r"(کلید|کوئری)", (("کلید", "کوئری"),)),
    (r"argmax{e<=1}", ()),  # the regex package's fuzzy matching: any word may be off by one
    (r"[[:alpha:]]+argmax", ()),  # a POSIX class, which the standard parser reads as a set
    (r"\p{L}+argmax", ()),
    (r"(?|(a)|(b))argmax", ()),
    (r"(?V1)argmax", ()),
    (r"[[a]argmax", ()),  # the standard parser warns of a nested set: the two may disagree
])
def test_required_words_are_read_only_where_both_parsers_agree(pattern, words):
    from grader import patterns

    assert patterns.required_words(pattern) == words


def test_an_answer_that_is_not_ascii_is_always_searched():
    """Required words are exact for ASCII answers: other answers are searched whatever words they hold (a
    letter's case-insensitive partners outside ASCII are not tested for)."""
    from grader.kinds.text import Config, Concept, Vocabulary, check
    from grader import patterns

    pattern = r"\bkeys?\s+never\s+learn"
    needs = patterns.required_words(pattern)
    vocabulary = Vocabulary.of([needs])
    concept = Concept("c", "c", 1.0, (patterns.compile_pattern(pattern, ignore_case=True),), "",
                      pattern_needs=(needs,), pattern_masks=(vocabulary.masks(needs),))
    config = Config((concept,), 1.0, None, vocabulary)
    assert check(config, (), "the keys never learn").fraction == 1.0
    assert check(config, (), "the queries learn").fraction == 0.0
    assert check(config, (), "the \u212aeys never learn, گرادیان").fraction == 1.0  # K (Kelvin) folds to k
