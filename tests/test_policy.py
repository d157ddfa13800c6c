"""A spec's due date, late policy, attempts and counting: read with file:line:col errors, decided by the clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from grader.errors import SpecErrors
from grader.policy import Policy
from grader.spec import load_spec

PARTS = "parts:\n  - id: p\n    kind: numeric\n    points: 1\n    prompt: One.\n    answer: 1\n"
DUE = datetime(2026, 12, 10, 23, 59, tzinfo=timezone(timedelta(hours=3, minutes=30)))


def spec_with(tmp_path, head: str):
    path = tmp_path / "s.yaml"
    path.write_text(f"id: s\ntitle: S\n{head}\n{PARTS}", encoding="utf-8")
    return load_spec(path)


def problems(tmp_path, head: str) -> list[str]:
    with pytest.raises(SpecErrors) as caught:
        spec_with(tmp_path, head)
    return [str(p) for p in caught.value.problems]


def test_a_full_policy_is_read(tmp_path):
    policy = spec_with(tmp_path, "due: 2026-12-10T23:59:00+03:30\nlate: {penalty_per_day: 10, days: 3}\n"
                                 "attempts: 5\ncounts: best\nrelease_answers: after_due").assignment.policy
    assert policy.due == DUE and policy.last == DUE + timedelta(days=3)
    assert (policy.per_day, policy.attempts, policy.counts, policy.release_after_due) == (10, 5, "best", True)


def test_no_policy_means_no_limits(tmp_path):
    policy = spec_with(tmp_path, "").assignment.policy
    assert policy == Policy() and policy.refusal(datetime.now(timezone.utc)) is None


@pytest.mark.parametrize("head, where, words", [
    ("due: tomorrow", "3:6", "not a date and time"),
    ("due: 2026-12-10T23:59:00", "3:6", "no time zone"),
    ("late: {days: 2}", "3:7", "needs a due date"),
    ("due: 2026-12-10T23:59:00Z\nlate: {until: 2026-12-01T00:00:00Z}", "4:15", "before the due date"),
    ("due: 2026-12-10T23:59:00Z\nlate: {until: 2026-12-11T00:00:00Z, days: 1}", "4:43", "either 'days' or 'until'"),
    ("release_answers: after_due", "3:18", "needs a due date"),
    ("attempts: 0", "3:11", "at least 1"),
    ("counts: first", "3:9", "latest"),
    ("late: {penalty_per_day: 150}\ndue: 2026-12-10T23:59:00Z", "3:25", "maximum"),
])
def test_a_bad_policy_is_a_located_error(tmp_path, head, where, words):
    found = problems(tmp_path, head)
    assert any(f"s.yaml:{where}:" in p and words in p for p in found), found


def test_lateness_is_counted_in_started_days_and_capped():
    policy = Policy(due=DUE, per_day=30, last=DUE + timedelta(days=10))
    assert policy.penalty(DUE) == 0 and policy.days_late(DUE - timedelta(hours=1)) == 0
    assert policy.days_late(DUE + timedelta(seconds=1)) == 1 and policy.penalty(DUE + timedelta(hours=25)) == 60
    assert policy.penalty(DUE + timedelta(days=5)) == 100
    assert policy.refusal(DUE + timedelta(days=10)) is None
    assert "closed" in policy.refusal(DUE + timedelta(days=10, seconds=1))


def test_a_due_date_alone_closes_at_the_due_date():
    policy = Policy(due=DUE, last=DUE)
    assert policy.refusal(DUE) is None and policy.refusal(DUE + timedelta(seconds=1))
    assert not Policy(due=DUE, release_after_due=True).released(DUE)
    assert Policy(due=DUE, release_after_due=True).released(DUE + timedelta(seconds=1))
    late = Policy(due=DUE, last=DUE + timedelta(days=2), release_after_due=True)
    assert not late.released(DUE + timedelta(days=1)) and late.released(DUE + timedelta(days=2, seconds=1))
