"""The pipeline for one submission: missing, unknown parts, and the grader's own failures."""
from __future__ import annotations

import json

from conftest import SEED_SPEC, write  # noqa: F401 (fixture)
from grader.grading import grade
from grader.kinds import numeric
from grader.model import Status, Submission
from grader.spec import load_spec


def test_missing_answers_and_unknown_parts():
    spec = load_spec(SEED_SPEC)
    report = grade(spec, Submission(student="s", answers={"q1b": "c", "q1c": "  ", "q9": 1, "q3": 2, "q1aa": "a", "Q1B": "d"}))
    status = {p.id: p.status for p in report.parts}
    assert status == {"q1a": Status.MISSING, "q1b": Status.CORRECT, "q1c": Status.MISSING, "q2a": Status.MISSING,
                      "q2b": Status.MISSING, "q2c": Status.MISSING, "q2d": Status.MISSING,
                      "q3a": Status.MISSING, "q3b": Status.MISSING, "q4": Status.MISSING}
    assert report.score == 2 and report.max_score == 25
    assert report.warnings == ["answer for unknown part 'q9' was ignored",
                               "answer for unknown part 'q3' was ignored (q3 is a question: answer its parts q3a, q3b)",
                               "answer for unknown part 'q1aa' was ignored (did you mean q1a?)",
                               "part q1b is answered twice; the answer under 'Q1B' was ignored"]


def test_part_ids_are_matched_loosely():
    spec = load_spec(SEED_SPEC)
    report = grade(spec, Submission(student="s", answers={"Q1B": "c", " q1c ": "c"}))
    assert [p.status for p in report.parts][1:3] == [Status.CORRECT, Status.CORRECT]  # q1b, q1c
    assert report.warnings == []


def test_a_grader_failure_is_status_error_not_a_crash(monkeypatch):
    spec = load_spec(SEED_SPEC)

    def broken(config, reference, answer):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(numeric, "check", broken)
    report = grade(spec, Submission(student="s", answers={"q1b": "c", "q3a": [6, 1, 2]}))
    q3a = next(p for p in report.parts if p.id == "q3a")
    assert q3a.status == Status.ERROR and q3a.score == 0
    assert "not your mistake" in q3a.feedback
    assert q3a.details == ["internal error: ZeroDivisionError: oops"]
    assert next(p for p in report.parts if p.id == "q1b").status == Status.CORRECT


def test_numeric_student_ids_keep_their_text(write):
    from grader.submission import load_submission

    assert load_submission(write("a.yaml", "student: 00123\nanswers: {}\n")).student == "00123"
    assert load_submission(write("b.yaml", "student: 1.5e3\nanswers: {}\n")).student == "1.5e3"


def test_unknown_part_warnings_are_capped():
    spec = load_spec(SEED_SPEC)
    report = grade(spec, Submission(student="s", answers={f"x{i}": 1 for i in range(500)}))
    assert len(report.warnings) == 21 and report.warnings[-1] == "... and 480 more answers for unknown parts"


def test_remembered_verdicts_are_bounded_by_the_text_they_hold_not_only_by_their_number():
    """A class of long free-text answers holds no more remembered text than a class of short ones (issue 13)."""
    from grader.model import Outcome, Status, Verdicts

    verdicts = Verdicts()
    for k in range(2_000):  # each with feedback of its own (a text shared by many answers is counted once: below)
        feedback = f"{k:04d}" + "x" * 1_496
        verdicts.put(("q3b", "", f"answer {k}" + "y" * 1_900), Outcome(Status.NEEDS_REVIEW, 0.5, feedback), 1_910)
        assert verdicts._chars <= Verdicts.MAX_CHARS
    each = 1_910 + 1_500 + 64  # the answer, the feedback, and the entry itself
    assert len(verdicts) == Verdicts.MAX_CHARS // each  # as many as fit, the latest
    assert verdicts.get(("q3b", "", "answer 1999" + "y" * 1_900)) is not None
    short = Verdicts()
    for k in range(5_000):
        short.put(("q1b", "", f"{k}"), Outcome(Status.CORRECT, 1.0), 4)
        assert len(short) <= Verdicts.MAX_ENTRIES
    assert short.get(("q1b", "", "4999")) is not None and short.get(("q1b", "", "0")) is None
    often = Verdicts()  # the answer met again and again stays while new ones come and go
    often.put(("q2a", "", "right"), Outcome(Status.CORRECT, 1.0), 5)
    for k in range(10_000):
        often.put(("q2a", "", f"wrong {k}"), Outcome(Status.INCORRECT, 0.0), 8)
        assert often.get(("q2a", "", "right")) is not None


def test_feedback_many_answers_share_is_held_and_counted_once():
    """A rubric's hints repeat across thousands of essays: the memory holds each text once, counts it once while
    any answer holds it, and lets it go with the last one; a copy not asked of ``shared`` is counted with its answer."""
    from grader.model import Outcome, Status, Verdicts

    verdicts = Verdicts()
    hint = "Say which part still learns. " * 20
    for k in range(100):
        text = verdicts.shared("".join(["Say which part still learns. "] * 20))  # equal text, made anew each time
        assert text == hint and (k == 0 or text is held)
        held = text
        verdicts.put(("q3b", "", f"essay {k}"), Outcome(Status.NEEDS_REVIEW, 0.5, text), 10)
    assert verdicts._chars == len(hint) + 100 * (10 + 64)
    copy = "".join(["Say which part still learns. "] * 20)
    verdicts.put(("q3b", "", "essay copy"), Outcome(Status.NEEDS_REVIEW, 0.5, copy), 10)  # not shared: its own
    assert verdicts._chars == len(hint) + 100 * (10 + 64) + (10 + 64 + len(hint))
    for k in range(100):
        verdicts._drop(("q3b", "", f"essay {k}"))
    assert verdicts._chars == 10 + 64 + len(hint) and verdicts._texts == {}  # the last sharer gone, so is the text
    verdicts.clear()
    assert verdicts._chars == 0 and len(verdicts) == 0


def test_an_essay_met_again_gets_the_same_report_text_without_its_json_kept():
    """A long answer is remembered without its JSON text (which would hold it twice); a student who writes it again
    still gets the very result, and every report's JSON is what its data says."""
    import json

    from grader.grading import KEEP_JSON_UP_TO
    from grader.report import render_json

    spec = load_spec(SEED_SPEC)
    essay = "Argmax is piecewise constant, so no gradient reaches the keys: they never learn. «quoted» \\ text"
    assert len(essay) > KEEP_JSON_UP_TO
    first = grade(spec, Submission(student="s1", answers={"q3b": essay, "q1b": "c"}))
    second = grade(spec, Submission(student="s2", answers={"q3b": essay, "q1b": "c"}))
    assert all(a is b for a, b in zip(first.parts, second.parts))
    essay_result = next(p for p in first.parts if p.id == "q3b")
    assert essay_result.__dict__.get("_json_text") == ""  # not kept
    assert next(p for p in first.parts if p.id == "q1b").__dict__.get("_json_text")  # a short answer's is
    for report in (first, second):
        assert report.json_text() + "\n" == render_json(report.to_json())
        assert json.loads(report.json_text())["parts"][8]["answer"] == essay


def test_answers_students_share_outlast_a_flood_of_answers_written_once():
    """Essays are written once each and weigh the most; the answers many students share (a common wrong gradient,
    whose check costs milliseconds) must not be pushed out by them, as they were when the least recently met went
    first whoever it was."""
    from grader.model import Outcome, Status, Verdicts

    verdicts = Verdicts()
    shared = [("q2c", "", f"common {k}") for k in range(200)]
    for key in shared:
        verdicts.put(key, Outcome(Status.INCORRECT, 0.0, "You multiplied by m."), 10)
        assert verdicts.get(key) is not None  # a second student wrote it
    for k in range(5_000):
        verdicts.put(("q3b", "", f"essay {k}" + "y" * 1_900), Outcome(Status.NEEDS_REVIEW, 0.5, "x" * 1_500), 1_910)
        assert verdicts._chars <= Verdicts.MAX_CHARS and len(verdicts) <= Verdicts.MAX_ENTRIES
    assert all(verdicts.get(key) is not None for key in shared)
    assert verdicts.get(("q3b", "", "essay 4999" + "y" * 1_900)) is not None  # the newest essays are there too
    assert verdicts.get(("q3b", "", "essay 0" + "y" * 1_900)) is None
    flood = Verdicts()  # answers met again are bounded as well: more of them than fit push each other out
    for k in range(2 * Verdicts.MAX_ENTRIES):
        flood.put(("q1b", "", f"{k}"), Outcome(Status.CORRECT, 1.0), 4)
        flood.get(("q1b", "", f"{k}"))
        assert len(flood) <= Verdicts.MAX_ENTRIES and len(flood._again) <= Verdicts.MAX_ENTRIES * Verdicts.KEPT
    assert flood.get(("q1b", "", f"{2 * Verdicts.MAX_ENTRIES - 1}")) is not None


def test_remembered_results_stay_whole_when_threads_share_them(monkeypatch):
    """The service grades in threads sharing a spec's memory: answers moving between its two segments while others
    are added and let go must never raise, nor lose count of what it holds."""
    import sys
    import threading

    from grader.model import Outcome, Status, Verdicts

    monkeypatch.setattr(Verdicts, "MAX_ENTRIES", 40)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads change places as often as they can
    verdicts, failures = Verdicts(), []

    def work(seed: int) -> None:
        try:
            for k in range(3_000):
                key = ("q", "", f"{(k * seed) % 97}")
                if verdicts.get(key) is None:
                    verdicts.put(key, Outcome(Status.CORRECT, 1.0, "x" * (k % 7)), 3)
        except Exception as exc:  # pragma: no cover - the failure this test is for
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in (1, 3, 7, 11)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    held = list(verdicts._once.values()) + list(verdicts._again.values())
    texts = sum(len(text) for text, _ in verdicts._texts.values())  # feedback held once for the answers sharing it
    assert len(held) <= Verdicts.MAX_ENTRIES and verdicts._chars == sum(weight for _, weight, _ in held) + texts
    assert verdicts._again_chars == sum(weight for _, weight, _ in verdicts._again.values())
    for text, users in verdicts._texts.values():
        assert users == sum(1 for _, _, shared in held if shared is not None and shared[0] is text)


def test_an_answer_met_again_gets_the_same_frozen_result_and_the_report_text_is_the_json_of_its_dict():
    """A class's repeated answers are graded once: the second student's part is the first one's result, which no
    one can change under the other (frozen). The report file's text, made from each part's text once, is exactly
    the JSON of the report's dict: numbers as written, non-ASCII, a missing name, warnings, a problem."""
    import dataclasses
    import json

    import pytest

    from grader.report import render_json

    spec = load_spec(SEED_SPEC)
    answers = {"q1a": "b", "q1b": "c", "q2a": "2.50", "q3b": "Ωmega — “quoted” \\ text", "q9": 1}
    first = grade(spec, Submission(student="s1", answers=dict(answers)))
    second = grade(spec, Submission(student="s2", name="Zoë", answers=dict(answers)))
    assert all(a is b for a, b in zip(first.parts, second.parts))
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.parts[0].score = 99.0
    other = grade(spec, Submission(student="s3", answers={**answers, "q2a": "2.5"}))  # another text: its own
    assert next(p for p in other.parts if p.id == "q2a") is not next(p for p in first.parts if p.id == "q2a")
    unreadable = grade(spec, Submission(student="s4", answers={}, problem="s4.yaml:1:1: not YAML"))
    for report in (first, second, other, unreadable):
        assert report.json_text() + "\n" == render_json(report.to_json())
        assert json.loads(report.json_text()) == report.to_json()
    assert second.to_json()["parts"] is not first.to_json()["parts"]  # each dict its own, for overrides to change


def test_a_shuffled_part_remembers_results_per_order_of_labels():
    """Two students with the same version of a part but told apart by their labels never share a result."""
    from grader.grading import grade_part
    from grader.model import Verdicts

    spec = load_spec(SEED_SPEC)
    part = next(p for p in spec.assignment.parts if p.id == "q1b")
    verdicts, reference = Verdicts(), spec.references["q1b"]
    a = grade_part(part, reference, "c", verdicts, "v", {"c": "a", "a": "c"})
    b = grade_part(part, reference, "c", verdicts, "v", {"c": "c", "a": "a"})
    assert a is not b and (a.reading, b.reading) == (["a"], ["c"])
    assert grade_part(part, reference, "c", verdicts, "v", {"c": "a", "a": "c"}) is a


def test_compact_json_is_json_dumps_compact():
    """Report files and readings are encoded by the json module's C encoder made once; the text must be
    ``json.dumps``'s."""
    import json

    import pytest

    from grader.document import TextFloat, TextInt
    from grader.model import compact_json, plain_json

    values = [{"a": [1, -0.0, 1e-05, 1e300, 5e-324, 0.1 + 0.2, 2**70, True, None]}, [float("nan"), float("inf")],
              {"é σ′ ᵀ 😀 \u2028 \x00 \"\\": "\ud83d"}, {1: 2, None: 3, 1.5: 4, True: 5}, Status.CORRECT, "", [],
              [TextInt(5, "005"), TextFloat(0.05, "0.0500")], ["b", "c"]]
    for value in values:
        assert compact_json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        assert plain_json(value) == json.dumps(value)  # the gradebook's readings: as every earlier version wrote them
    for bad in ({"a": object()}, {(1,): 2}):
        for encode in (compact_json, plain_json):
            with pytest.raises(TypeError):
                encode(bad)


def test_verdicts_of_the_moment_and_our_failures_are_checked_again_not_remembered(monkeypatch):
    """A run the wall clock stopped on a busy machine, or the grader's own failure, says nothing lasting about the
    answer: the next student who writes it is checked afresh. A lasting verdict is checked once."""
    from grader.model import Outcome

    spec = load_spec(SEED_SPEC)
    given = [Outcome(Status.INCORRECT, 0.0, "stopped: busy machine", lasting=False),
             Outcome(Status.ERROR, 0.0, "The grader failed"),
             Outcome(Status.CORRECT, 1.0, "Right."),
             Outcome(Status.INCORRECT, 0.0, "never asked")]
    calls = []

    def check(config, reference, answer):
        calls.append(answer)
        return given[len(calls) - 1]

    monkeypatch.setattr(numeric, "check", check)
    statuses = [next(p for p in grade(spec, Submission(student=f"s{i}", answers={"q3a": [6, 1, 2]})).parts
                     if p.id == "q3a").status for i in range(4)]
    assert statuses == [Status.INCORRECT, Status.ERROR, Status.CORRECT, Status.CORRECT]
    assert len(calls) == 3  # the fourth student got the third's lasting verdict


def test_a_code_run_the_wall_clock_stopped_is_no_lasting_verdict(monkeypatch):
    from grader import sandbox
    from grader.kinds import code

    spec = load_spec(SEED_SPEC)
    part = next(p for p in spec.assignment.parts if p.kind == "code")
    answer = code.read(part.config, "def rnn_forward(*args):\n    while True:\n        pass\n")
    for transient in (True, False):
        stopped = sandbox.RunResult("timeout", "stopped after 9 s", transient=transient)
        monkeypatch.setattr(sandbox, "run_calls", lambda *args, **kwargs: stopped)
        monkeypatch.setattr(code, "sandboxed", lambda: True)
        code._runs.clear()
        outcome = code.check(part.config, spec.references[part.id], answer)
        assert outcome.status == Status.INCORRECT and outcome.lasting is not transient
        limit = f"within {part.config.limits.wall_seconds:g} s:" if transient else \
            f"within {part.config.limits.seconds:g} s of CPU time"
        assert limit in outcome.feedback


def test_a_report_changed_by_its_reader_leaves_the_next_students_alone():
    """Students who give the same answer share one remembered result: the dict a caller gets is its own."""
    spec = load_spec(SEED_SPEC)
    first = grade(spec, Submission(student="a", answers={"q3a": [6, 1, 3], "q1a": ["b", "c"]})).to_json()
    for part in first["parts"]:
        if isinstance(part["answer"], list):
            part["answer"].append(999)
    second = grade(spec, Submission(student="b", answers={"q3a": [6, 1, 3], "q1a": ["b", "c"]}))
    answers = {p["id"]: p["answer"] for p in second.to_json()["parts"]}
    assert answers["q3a"] == [6, 1, 3] and answers["q1a"] == ["b", "c"]
    assert second.to_json() == json.loads(second.json_text())
