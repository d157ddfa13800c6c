"""The checking service over HTTP, on a real uvicorn server: what students may see and do, what the
instructor gets, limits, deadlines, and that nothing of the answer key reaches a student."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from grader.cli import main as grader
from grader.sandbox import available as sandbox_problem
from grader.service.course import ServiceLimits
from grader.service.store import token_hash

from service_helpers import INSTRUCTOR, ROOT, call, start_service

PROBLEMS = ROOT / "problems"
ROSTER = ROOT / "submissions" / "rnn-attention.roster.csv"
SEED = ROOT / "submissions" / "rnn-attention" / "99522086.yaml"
SEED_ID, OTHER_ID = "99522086", "99522001"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    running = start_service(PROBLEMS, ROSTER, tmp_path_factory.mktemp("service-data"))
    yield running
    running.stop()


def seed_answers() -> dict:
    return yaml.safe_load(SEED.read_text(encoding="utf-8"))["answers"]


def api(running, path: str, who: str | None, **kwargs):
    token = None if who is None else INSTRUCTOR if who == "instructor" else running.tokens[who]
    return call(running.url + path, token, **kwargs)


# --- students ---------------------------------------------------------------------------------------

def test_a_student_sees_their_assignments_with_public_facts_only(served):
    answer = api(served, "/api/assignments", SEED_ID)
    assert answer.status == 200
    listed = {a["id"]: a for a in answer.json}
    assert set(listed) == {"rnn-attention", "attention-practice"}
    seed = listed["rnn-attention"]
    assert seed["title"] == "RNNs and attention" and seed["max_score"] == 25
    assert seed["attempts_allowed"] is None and seed["open"] is True
    assert set(seed) == {"id", "title", "max_score", "due", "last_day", "late_penalty_per_day", "counts",
                         "attempts_allowed", "attempts_used", "attempts_left", "open"}


def test_questions_are_the_handout_with_math_rendered(served):
    sheet = api(served, "/api/assignments/rnn-attention", SEED_ID).json
    parts = {p["id"]: p for s in sheet["sections"] for p in s["parts"]}
    assert list(parts) == ["q1a", "q1b", "q1c", "q2a", "q2b", "q2c", "q2d", "q3a", "q3b", "q4"]
    assert parts["q1a"]["multiple"] is True and parts["q1b"]["multiple"] is False
    assert parts["q1a"]["options"][1]["text"].startswith("Sentiment classification")
    assert parts["q2b"]["kind"] == "expression" and parts["q2b"]["points"] == 3
    assert "W_hh" in parts["q2a"]["prompt"]
    text = json.dumps(sheet, ensure_ascii=False)
    for secret in ("answer", "rubric", "mistakes", "patterns", "not differentiable", "sigma-prime-at-t",
                   "solver", "bptt_instance"):
        assert f'"{secret}"' not in text and secret not in text.replace('"how"', ""), secret


def test_a_check_gives_what_grader_check_gives_and_records_nothing(served, capsys):
    answer = api(served, "/api/assignments/rnn-attention/check", SEED_ID, body={"answers": seed_answers()})
    assert answer.status == 200, answer.body
    report = answer.json
    assert grader(["check", str(PROBLEMS / "rnn-attention.yaml"), str(SEED), "--format", "json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert [(p["id"], p["status"], p["score"], p["feedback"], p["diagnosis"]) for p in report["parts"]] == \
           [(p["id"], p["status"], p["score"], p["feedback"], p["diagnosis"]) for p in local["parts"]]
    q2b = next(p for p in report["parts"] if p["id"] == "q2b")
    assert q2b["diagnosis"] == "mistake:sigma-prime-at-t" and "σ'(z_i), not σ'(z_t)" in q2b["feedback"]
    assert set(report["rendered"]) == {p["id"] for p in report["parts"]}
    with sqlite3.connect(served.data / "gradebook.sqlite") as db:
        assert db.execute("SELECT count(*) FROM submissions WHERE student = ?", (SEED_ID,)).fetchone()[0] == 0


def test_a_submission_is_kept_counted_and_exported_like_a_graded_class(served, capsys):
    raw = '{"answers": {"q1a": ["b", "c"], "q1b": "a",\r\n "q3a": "[6, 1, 2]", "q2a": "σ\'(z_t)"}}'.encode()
    answer = api(served, "/api/assignments/rnn-attention/submit", OTHER_ID, raw=raw, method="POST")
    assert answer.status == 200, answer.body
    report = answer.json
    assert report["submission"]["number"] == 1 and report["submission"]["counted"] is True
    assert report["source"] == ""  # where the server keeps it is the server's business
    kept = served.data / "submissions" / "rnn-attention" / OTHER_ID / "1.json"
    assert kept.read_bytes() == raw  # exactly as received
    history = api(served, "/api/assignments/rnn-attention/submissions", OTHER_ID).json
    assert [h["number"] for h in history] == [1] and history[0]["score"] == report["score"]
    assert grader(["export", str(served.data), "--assignment", "rnn-attention", "--format", "csv"]) == 0
    capsys.readouterr()
    sheet = (served.data / "export" / "grades.csv").read_text(encoding="utf-8")
    assert OTHER_ID in sheet and f"{report['score']:g}" in sheet


def test_an_answer_of_the_wrong_shape_is_invalid_not_an_error(served):
    report = api(served, "/api/assignments/rnn-attention/check", SEED_ID,
                 body={"answers": {"q3a": {"nested": [1, [2, [3]]]}, "q2a": ["a", "list"]}}).json
    statuses = {p["id"]: p["status"] for p in report["parts"]}
    assert statuses["q3a"] == "invalid" and statuses["q2a"] == "invalid"


def test_the_expression_preview_is_mathml_or_a_reason(served):
    good = api(served, "/api/assignments/rnn-attention/preview", SEED_ID,
               body={"part": "q2b", "text": "sum_{i=1}^{t} g_{t,i} sigma'(z_i) h_{i-1}"}).json
    assert good["error"] is None and good["mathml"].startswith("<math") and "∑" in good["mathml"]
    bad = api(served, "/api/assignments/rnn-attention/preview", SEED_ID,
              body={"part": "q2b", "text": "sum_{i=1}^{t} (g_{t,i}"}).json
    assert bad["mathml"] is None and bad["error"]
    hostile = api(served, "/api/assignments/rnn-attention/preview", SEED_ID,
                  body={"part": "q2b", "text": "<img src=x onerror=alert(1)>"}).json
    assert "<img" not in json.dumps(hostile)
    assert api(served, "/api/assignments/rnn-attention/preview", SEED_ID,
               body={"part": "q1a", "text": "x"}).status == 404


# --- who may do what -----------------------------------------------------------------------------------

def test_no_token_or_a_wrong_one_is_401(served):
    for token in (None, "", "not-a-token", "x" * 5000):
        answer = call(served.url + "/api/assignments", token)
        assert answer.status in (401, 403) if token == "" else answer.status == 401
        assert answer.json["error"]
    assert call(served.url + "/api/assignments", None).headers.get("www-authenticate") == "Bearer"


def test_a_student_taken_off_the_roster_is_refused(served):
    served.course.store.issue_tokens(["99999999"])
    [(_, token)] = served.course.store.issue_tokens([], rotate="99999999")
    answer = call(served.url + "/api/assignments", token)
    assert answer.status == 403 and "roster" in answer.json["error"]


def test_students_cannot_reach_instructor_endpoints_nor_the_instructor_a_students(served):
    for path in ("/api/instructor/assignments/rnn-attention/results", "/api/instructor/assignments/rnn-attention/stats",
                 "/api/instructor/assignments/rnn-attention/export/csv"):
        for student in (SEED_ID, OTHER_ID):
            answer = api(served, path, student)
            assert answer.status == 403 and "instructor" in answer.json["error"]
    answer = api(served, "/api/instructor/assignments/rnn-attention/overrides", SEED_ID,
                 body={"student": SEED_ID, "part": "q1a", "score": 2})
    assert answer.status == 403
    assert api(served, "/api/assignments", "instructor").status == 403


def test_two_students_never_see_each_others_work(served):
    """Each call acts as the token's student; there is no parameter naming another student."""
    api(served, "/api/assignments/rnn-attention/submit", SEED_ID, body={"answers": seed_answers()})
    mine = api(served, "/api/assignments/rnn-attention/submissions", SEED_ID).json
    theirs = api(served, "/api/assignments/rnn-attention/submissions", OTHER_ID).json
    assert {h["report"]["student"] for h in mine} == {SEED_ID}
    assert {h["report"]["student"] for h in theirs} == {OTHER_ID}
    # a randomized assignment: each student gets their own numbers, and only their own
    a = api(served, "/api/assignments/attention-practice", SEED_ID).json
    b = api(served, "/api/assignments/attention-practice", OTHER_ID).json
    assert a["student"] == SEED_ID and b["student"] == OTHER_ID
    assert json.dumps(a["sections"]) != json.dumps(b["sections"])
    # a student id in the body or the query changes nothing
    answer = api(served, f"/api/assignments/rnn-attention/submissions?student={OTHER_ID}", SEED_ID)
    assert {h["report"]["student"] for h in answer.json} == {SEED_ID}
    answer = api(served, "/api/assignments/rnn-attention/check", SEED_ID,
                 body={"answers": {}, "student": OTHER_ID})
    assert answer.status == 422 and answer.json["field"] == "student"


def test_the_instructor_sees_results_stats_exports_and_overrides(served):
    api(served, "/api/assignments/rnn-attention/submit", SEED_ID, body={"answers": seed_answers()})
    results = api(served, "/api/instructor/assignments/rnn-attention/results", "instructor").json
    assert SEED_ID in {r["student"] for r in results["counted"]}
    assert any(s["student"] == SEED_ID for s in results["submissions"])
    stats = api(served, "/api/instructor/assignments/rnn-attention/stats", "instructor").json
    assert stats["assignment"] == "rnn-attention" and stats["students"] >= 1
    for fmt in ("canvas", "moodle", "csv", "gradescope", "junit", "md", "html", "stats"):
        answer = api(served, f"/api/instructor/assignments/rnn-attention/export/{fmt}", "instructor")
        assert answer.status == 200 and answer.body, fmt
    assert api(served, "/api/instructor/assignments/rnn-attention/export/pdf", "instructor").status == 404
    answer = api(served, "/api/instructor/assignments/rnn-attention/overrides", "instructor",
                 body={"student": SEED_ID, "part": "q3b", "score": 3, "comment": "A fine discussion."})
    assert answer.status == 200
    counted = api(served, "/api/instructor/assignments/rnn-attention/results", "instructor").json["counted"]
    q3b = next(p for r in counted if r["student"] == SEED_ID for p in r["parts"] if p["id"] == "q3b")
    assert q3b["score"] == 3 and q3b["override"]["comment"] == "A fine discussion."
    too_many = api(served, "/api/instructor/assignments/rnn-attention/overrides", "instructor",
                   body={"student": SEED_ID, "part": "q3b", "score": 30})
    assert too_many.status == 422 and too_many.json["field"] == "score"


# --- errors a client can act on ------------------------------------------------------------------------

@pytest.mark.parametrize("raw, field", [
    (b"not json", None), (b"[1, 2]", None), (b'{"answers": [1]}', "answers"), (b'{"answer": {}}', "answer"),
    (b'{"answers": {}, "extra": 1}', "extra"), (b"", None), (b'{"answers": {"q1a": "\xff"}}', None),
])
def test_a_malformed_body_is_422_naming_the_field(served, raw, field):
    answer = api(served, "/api/assignments/rnn-attention/check", SEED_ID, raw=raw, method="POST")
    assert answer.status == 422, answer.body
    assert answer.json["error"] and answer.json["field"] == field


def test_unknown_assignment_is_404(served):
    for method, path in (("GET", ""), ("POST", "/check"), ("POST", "/submit"), ("GET", "/submissions")):
        answer = api(served, f"/api/assignments/no-such{path}", SEED_ID, method=method,
                     body={"answers": {}} if method == "POST" else None)
        assert answer.status == 404 and "no assignment" in answer.json["error"]


def test_too_large_is_413(served):
    huge = json.dumps({"answers": {"q3b": "x" * 300_000}}).encode()
    answer = api(served, "/api/assignments/rnn-attention/check", SEED_ID, raw=huge, method="POST")
    assert answer.status == 413 and "bytes" in answer.json["error"]
    long = {"answers": {"q3b": "word " * 5000}}
    answer = api(served, "/api/assignments/rnn-attention/check", SEED_ID, body=long)
    assert answer.status == 413 and answer.json["field"] == "answers.q3b"


def test_a_number_of_thousands_of_digits_is_read_as_a_file_reads_it(served):
    """Python's int() refuses over 4,300 digits: the 422 quoted its advice to call sys.set_int_max_str_digits()."""
    raw = b'{"answers": {"q3a": [1' + b"0" * 5000 + b', 1, 2]}}'
    answer = api(served, "/api/assignments/rnn-attention/check", SEED_ID, raw=raw, method="POST")
    assert answer.status == 200, answer.body
    q3a = next(p for p in answer.json["parts"] if p["id"] == "q3a")
    assert q3a["status"] == "invalid" and "sys." not in answer.body.decode()


def test_math_a_student_wrote_is_never_drawn_in_feedback_quoting_it(served):
    spoof = r"$\mspace{300em}$$\text{Right. Full marks confirmed}$"
    report = api(served, "/api/assignments/rnn-attention/check", SEED_ID, body={"answers": {"q3a": spoof}}).json
    q3a = report["rendered"]["q3a"]
    assert "<math" not in q3a and "mspace" in q3a  # shown as the text it is


def test_security_headers_on_every_response(served):
    for path in ("/", "/page/app.js", "/api/assignments", "/openapi.json"):
        headers = {k.lower(): v for k, v in call(served.url + path, served.tokens[SEED_ID]).headers.items()}
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff"


# --- limits, deadlines, attempts -----------------------------------------------------------------------

POLICY_SPEC = """
id: {id}
title: Policy test
{policy}
parts:
  - id: p1
    kind: numeric
    points: 4
    prompt: What is 6 times 7?
    answer: 42
  - id: p2
    kind: choice
    points: 1
    prompt: Pick b.
    options: {{a: one, b: two}}
    answer: b
"""


def write_spec(folder: Path, aid: str, policy: str) -> None:
    (folder / f"{aid}.yaml").write_text(POLICY_SPEC.format(id=aid, policy=policy), encoding="utf-8")


@pytest.fixture(scope="module")
def policies(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policy-problems")
    now = datetime.now(timezone.utc)
    write_spec(folder, "late", f"due: '{(now - timedelta(hours=30)).isoformat()}'\n"
                               f"late: {{penalty_per_day: 10, days: 5}}\nrelease_answers: after_due")
    write_spec(folder, "closed", f"due: '{(now - timedelta(days=3)).isoformat()}'\nlate: {{days: 1}}\n"
                                 "release_answers: after_due")
    write_spec(folder, "limited", "attempts: 2\ncounts: best")
    write_spec(folder, "future", f"due: '{(now + timedelta(days=3)).isoformat()}'\nrelease_answers: after_due")
    running = start_service(folder, ROSTER, tmp_path_factory.mktemp("policy-data"),
                            ServiceLimits(checks_per_minute=100))
    yield running
    running.stop()


def test_a_late_submission_loses_its_penalty_and_says_so(policies):
    report = api(policies, "/api/assignments/late/submit", SEED_ID, body={"answers": {"p1": 42, "p2": "b"}}).json
    assert report["late"]["days"] == 2 and report["late"]["penalty_percent"] == 20
    assert report["late"]["score_before_penalty"] == 5 and report["score"] == 4
    counted = api(policies, "/api/instructor/assignments/late/results", "instructor").json["counted"]
    assert [r["score"] for r in counted if r["student"] == SEED_ID] == [4]


def test_answers_released_only_once_submissions_have_closed(policies):
    closed = api(policies, "/api/assignments/closed/check", OTHER_ID, body={"answers": {"p1": 1}}).json
    assert {p["id"]: p.get("reference") for p in closed["parts"]} == {"p1": 42, "p2": "b"}
    # past the due date, but late submissions are still accepted: a late student must not get the key
    for aid in ("late", "future"):
        report = api(policies, f"/api/assignments/{aid}/check", OTHER_ID, body={"answers": {"p1": 1}}).json
        assert all("reference" not in p for p in report["parts"]), aid


def test_past_the_last_day_a_submission_is_409(policies):
    answer = api(policies, "/api/assignments/closed/submit", SEED_ID, body={"answers": {"p1": 42}})
    assert answer.status == 409 and "closed" in answer.json["error"]
    listed = {a["id"]: a for a in api(policies, "/api/assignments", SEED_ID).json}
    assert listed["closed"]["open"] is False and listed["late"]["open"] is True


def test_attempts_are_limited_and_the_best_counts(policies):
    first = api(policies, "/api/assignments/limited/submit", OTHER_ID, body={"answers": {"p1": 42, "p2": "b"}}).json
    second = api(policies, "/api/assignments/limited/submit", OTHER_ID, body={"answers": {"p1": 1}}).json
    assert (first["score"], second["score"]) == (5, 0)
    assert (first["submission"]["counted"], second["submission"]["counted"]) == (True, False)  # the best counts
    third = api(policies, "/api/assignments/limited/submit", OTHER_ID, body={"answers": {"p1": 42}})
    assert third.status == 409 and "2 submissions" in third.json["error"]
    history = api(policies, "/api/assignments/limited/submissions", OTHER_ID).json
    assert [(h["number"], h["counted"]) for h in history] == [(1, True), (2, False)]
    counted = api(policies, "/api/instructor/assignments/limited/results", "instructor").json["counted"]
    assert [r["score"] for r in counted if r["student"] == OTHER_ID] == [5]


BURN_SPEC = """\
id: burn
title: Code that burns CPU
parts:
  - id: c1
    kind: code
    points: 1
    prompt: rnn_forward(W_hh, W_hx, x, h0) returns the hidden states.
    file: rnn.py
    sizes: {n: [1, 2], m: [1, 1], T: [1, 2]}
    functions:
      - {name: rnn_forward, solver: rnn.forward, args: [W_hh, W_hx, x, h0], points: 1, trials: 2}
    limits: {seconds: 1}
"""


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    folder = tmp_path_factory.mktemp("strict-problems")
    write_spec(folder, "open", "")
    (folder / "slow.yaml").write_text("id: slow\ntitle: Slow\nparts:\n  - id: p3\n    kind: expression\n"
                                      "    points: 1\n    prompt: Twice X.\n    symbols: {X: {shape: [200, 200]}}\n"
                                      "    answer: 2*X\n", encoding="utf-8")
    (folder / "burn.yaml").write_text(BURN_SPEC, encoding="utf-8")
    running = start_service(folder, ROSTER, tmp_path_factory.mktemp("strict-data"),
                            ServiceLimits(checks_per_minute=3, grading_seconds_per_minute=0.2))
    yield running
    running.stop()


def test_too_many_checks_and_submissions_is_429_with_when_to_retry(strict):
    student = "99522014"
    statuses = [api(strict, "/api/assignments/open/check", student, body={"answers": {"p1": 1}}).status,
                api(strict, "/api/assignments/open/submit", student, body={"answers": {"p1": 1}}).status,
                api(strict, "/api/assignments/open/check", student, body={"answers": {"p1": 1}}).status]
    assert statuses == [200, 200, 200]
    for kind in ("check", "submit"):  # a submission's report is a check too: it counts
        answer = api(strict, f"/api/assignments/open/{kind}", student, body={"answers": {"p1": 1}})
        assert answer.status == 429 and "3 checks and submissions a minute" in answer.json["error"]
        assert 1 <= int(answer.headers["retry-after"]) <= 60 and answer.json["retry_after"] > 0
    assert api(strict, "/api/assignments/open/check", "99522027", body={"answers": {"p1": 1}}).status == 200


def test_answers_slow_to_grade_spend_their_authors_minute(strict):
    """CPU seconds of grading are counted per student: answers built to be slow stop being graded once the
    student's minute is spent, and other students are not held up by them. The slow answer's terms are 200x200
    matrices, so checking it runs into the time limit (a second of CPU) before the step limit, and costs its author
    five times the strict course's 0.2 s. The same sum over numbers stops at the step limit, which a fast machine
    reached in 0.17 s: under the budget, so the test depended on the machine."""
    student = "99522048"
    slow = {"answers": {"p3": "sum_{i=1}^{300} sum_{j=1}^{300} sum_{k=1}^{300} X/(i+j+k)"}}
    first = api(strict, "/api/assignments/slow/check", student, body=slow)
    assert first.status == 200 and first.json["parts"][0]["status"] == "invalid"
    assert "took too long" in first.json["parts"][0]["feedback"]  # the time limit stopped it, not the steps
    refused = api(strict, "/api/assignments/slow/check", student, body=slow)
    assert refused.status == 429 and "0.2 s of grading" in refused.json["error"]
    assert api(strict, "/api/assignments/slow/check", "99522059", body={"answers": {"p3": "2X"}}).status == 200


@pytest.mark.skipif(sandbox_problem() is not None and not os.environ.get("CI"), reason="bubblewrap is not installed")
def test_cpu_burnt_in_the_sandbox_is_charged_to_its_author(strict):
    """A code part's file runs in another process: its CPU time counts in the student's minute all the same."""
    student = "99522033"
    endless = {"answers": {"c1": "def rnn_forward(W_hh, W_hx, x, h0):\n    while True:\n        pass\n"}}
    first = api(strict, "/api/assignments/burn/check", student, body=endless)
    assert first.status == 200 and first.json["parts"][0]["diagnosis"] == "timeout", first.json
    refused = api(strict, "/api/assignments/burn/check", student, body=endless)
    assert refused.status == 429 and "0.2 s of grading" in refused.json["error"]


SLEEPY_SPEC = BURN_SPEC.replace("id: burn", "id: sleepy").replace("limits: {seconds: 1}", "limits: {seconds: 0.5}") + """\
  - id: n1
    kind: numeric
    points: 1
    prompt: What is 6 times 7?
    answer: 42
"""


@pytest.mark.skipif(sandbox_problem() is not None and not os.environ.get("CI"), reason="bubblewrap is not installed")
def test_code_that_waits_holds_one_grading_thread_at_most(tmp_path):
    """A file that sleeps uses no CPU but holds a grading thread until the run's wall-clock bound (6 s here). Two
    students sending one each took both threads: every other student's check waited behind them (four of them
    made a one-choice check take 17 s). Code runs now take all threads but one; an answer without code is graded
    while both files still sleep."""
    folder = tmp_path / "problems"
    folder.mkdir()
    (folder / "sleepy.yaml").write_text(SLEEPY_SPEC, encoding="utf-8")
    running = start_service(folder, ROSTER, tmp_path / "data")
    try:
        asleep = {"answers": {"c1": "import time\n\ndef rnn_forward(W_hh, W_hx, x, h0):\n    time.sleep(60)\n"}}
        answers: dict[str, int] = {}

        def send(student: str) -> None:
            answers[student] = api(running, "/api/assignments/sleepy/check", student, body=asleep).status

        sleepers = [threading.Thread(target=send, args=(s,)) for s in ("99522014", "99522027")]
        for thread in sleepers:
            thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(p.name.startswith("grader-run-") for p in Path(
                tempfile.gettempdir()).iterdir()):  # a sandbox holds the first file
            time.sleep(0.05)
        quick = api(running, "/api/assignments/sleepy/check", "99522033", body={"answers": {"n1": 42}})
        assert quick.status == 200 and quick.json["parts"][1]["status"] == "correct"
        assert all(thread.is_alive() for thread in sleepers)  # graded while both files still slept
        for thread in sleepers:
            thread.join(60)
        assert answers == {"99522014": 200, "99522027": 200}
    finally:
        running.stop()


def test_one_request_per_student_at_a_time_and_a_bounded_queue():
    from grader.service.app import Gate
    from grader.service.course import Refused

    gate = Gate(queue=2)
    with gate.slot("a"):
        with pytest.raises(Refused) as twice:
            with gate.slot("a"):
                pass
        assert twice.value.status == 429 and "still being graded" in twice.value.message
        with gate.slot("b"):
            with pytest.raises(Refused) as full:
                with gate.slot("c"):
                    pass
            assert full.value.status == 503 and full.value.retry_after
    with gate.slot("a"), gate.slot("c"):  # freed when answered, refused or failed
        pass


def test_the_page_answers_head_and_a_body_too_deep_is_422(served):
    assert call(served.url + "/", method="HEAD").status == 200
    deep = b'{"part": "q2b", "text": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    answer = api(served, "/api/assignments/rnn-attention/preview", SEED_ID, raw=deep, method="POST")
    assert answer.status == 422 and answer.json["error"]


def test_concurrent_submissions_are_all_kept(policies):
    students = ["99522027", "99522033", "99522048", "99522059", "99522062"]
    statuses: list[int] = []

    def hand_in(student: str) -> None:
        for _ in range(4):
            statuses.append(api(policies, "/api/assignments/future/submit", student,
                                body={"answers": {"p1": 42}}).status)

    threads = [threading.Thread(target=hand_in, args=(s,)) for s in students]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 20
    with sqlite3.connect(policies.data / "gradebook.sqlite") as db:
        numbers = db.execute("SELECT student, group_concat(number) FROM service_attempts WHERE assignment = 'future' "
                             "GROUP BY student ORDER BY student").fetchall()
        counted = db.execute("SELECT count(*) FROM submissions WHERE assignment = 'future'").fetchone()[0]
    assert [(s, sorted(map(int, n.split(",")))) for s, n in numbers] == [(s, [1, 2, 3, 4]) for s in students]
    assert counted == 5


# --- the answer key never reaches a student --------------------------------------------------------------

def reference_texts(spec: Path, student: str | None = None) -> tuple[set[str], set[str]]:
    """The reference answers of a spec as a student response could spell them: (vectors, matrices and numbers
    with a fraction; formulas and rubric ids). Small whole numbers are everywhere (points, counts)."""
    args = [sys.executable, "-m", "grader", "solve", str(spec), "--format", "json"]
    out = json.loads(subprocess.run(args + (["--student", student] if student else []), check=True,
                                    capture_output=True, text=True).stdout)
    answers = out.get("answers", out) if student else out
    numbers: set[str] = set()
    words: set[str] = set()

    def walk(value):
        if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
            numbers.update((json.dumps(value), json.dumps(value, separators=(",", ":")),
                            "[" + ", ".join(f"{v:g}" for v in value) + "]"))
        if isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and len(value) >= 6:
            words.add(value)
        elif isinstance(value, float) and value != int(value):
            numbers.add(f"{value:g}")

    for value in answers.values():
        if isinstance(value, dict):  # a text part: its rubric
            words.update(concept["id"] for concept in value.get("rubric", []))
        else:
            walk(value)
    return numbers, words


def test_no_response_to_a_student_holds_a_reference_answer(served):
    """Every student endpoint, with wrong and empty answers (an answer a student typed is theirs to see)."""
    wrong = {"q1a": "a", "q1b": "d", "q1c": "a", "q2a": "h_{t-1}", "q2b": "sum_{i=1}^{t} g_{t,i} h_{i-1}",
             "q2c": "G_T", "q2d": "W_hh", "q3a": "[1, 2, 3]", "q3b": "It is faster."}
    student = "99522048"
    bodies = []
    for aid, answers in (("rnn-attention", wrong), ("attention-practice", {})):
        base = f"/api/assignments/{aid}"
        bodies += [api(served, "/api/assignments", student), api(served, base, student),
                   api(served, base + "/check", student, body={"answers": answers}),
                   api(served, base + "/submit", student, body={"answers": answers}),
                   api(served, base + "/submissions", student), api(served, "/api/me", student)]
    bodies.append(call(served.url + "/openapi.json"))  # public: its examples must not be real answers
    assert all(b.status == 200 for b in bodies)
    numbers, words = map(set.union, reference_texts(PROBLEMS / "rnn-attention.yaml"),
                         reference_texts(PROBLEMS / "attention-practice.yaml", student))
    # the vectors a question gives (attention's values v0..v3: which one is returned?) are data, not answers
    given = {n for n in numbers if any(n in b.body.decode() for b in bodies[1::6])}
    secrets = (numbers - given) | words
    assert len(secrets) > 10 and len(given) <= 2
    for body in bodies:
        text = body.body.decode("utf-8")
        assert '"reference"' not in text
        leaked = sorted(s for s in secrets if s in text or json.dumps(s)[1:-1] in text)
        assert not leaked, leaked


# --- start-up and tokens -----------------------------------------------------------------------------------

def test_an_invalid_spec_stops_the_start_with_file_line_col(tmp_path):
    problems = tmp_path / "problems"
    problems.mkdir()
    (problems / "bad.yaml").write_text("id: bad\ntitle: Bad\ndue: tomorrow\nparts:\n  - id: p\n    kind: numeric\n"
                                       "    points: 1\n    answer: 1\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "grader", "serve", str(problems), "--roster", str(ROSTER),
                          "--data", str(tmp_path / "data"), "--port", "0"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert re.search(r"bad\.yaml:3:6: 'tomorrow' is not a date", run.stderr), run.stderr
    assert "Traceback" not in run.stderr


def test_tokens_are_printed_once_and_kept_as_hashes(tmp_path, capsys):
    data = tmp_path / "data"
    assert grader(["tokens", str(ROSTER), "--data", str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "student,token" and len(lines) == 9
    tokens = dict(line.split(",") for line in lines[1:])
    stored = (data / "gradebook.sqlite").read_bytes()
    for token in tokens.values():
        assert len(token) >= 32 and token.encode() not in stored
    assert grader(["tokens", str(ROSTER), "--data", str(data)]) == 0  # nobody new: nothing issued
    assert capsys.readouterr().out.splitlines() == ["student,token"]
    assert grader(["tokens", str(ROSTER), "--data", str(data), "--rotate", SEED_ID]) == 0
    [(student, token)] = [line.split(",") for line in capsys.readouterr().out.splitlines()[1:]]
    assert student == SEED_ID and token != tokens[SEED_ID]
    with sqlite3.connect(data / "gradebook.sqlite") as db:
        hashes = dict(db.execute("SELECT student, token_hash FROM service_tokens"))
    assert hashes[SEED_ID] == token_hash(token) and hashes[OTHER_ID] == token_hash(tokens[OTHER_ID])
    assert grader(["tokens", str(ROSTER), "--data", str(data), "--rotate", "nobody"]) == 2
