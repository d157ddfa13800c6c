"""Manual grading: overrides survive regrading and show in every report."""
from __future__ import annotations

import json

from conftest import SEED_CLASS, SEED_SPEC


def graded(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", out, "--format", "json,md").status == 0
    return out


def test_an_override_changes_the_report_and_survives_regrading(cli, tmp_path):
    out = graded(cli, tmp_path)
    run = cli("override", out, "--student", "99522086", "--part", "q3b", "--score", "2.5",
              "--comment", "Good on gradients; say which layers stop learning.")
    assert run.status == 0 and "1 override(s) recorded for 1 student(s); 2 report file(s) rewritten" in run.out
    for _ in range(2):  # as written by override, then after a full regrade
        report = json.loads((out / "99522086.json").read_text(encoding="utf-8"))
        q3b = next(p for p in report["parts"] if p["id"] == "q3b")
        assert q3b["score"] == 2.5 and q3b["status"] == "partial"
        assert q3b["override"] == {"score": 2.5, "comment": "Good on gradients; say which layers stop learning.",
                                   "automatic_score": 2.0}
        assert report["score"] == 15.5
        assert "Good on gradients" in (out / "99522086.md").read_text(encoding="utf-8")
        assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", out, "--format", "json,md", "--regrade").status == 0


def test_overrides_from_a_csv(cli, tmp_path, write):
    out = graded(cli, tmp_path)
    sheet = write("overrides.csv", "student,part,score,comment\n99522001,q3b,3,\"Complete, and clear.\"\n"
                                   "99522014,q3b,1,Too short\n")
    run = cli("override", out, "--import", sheet)
    assert run.status == 0 and "2 override(s) recorded for 2 student(s)" in run.out
    report = json.loads((out / "99522014.json").read_text(encoding="utf-8"))
    assert next(p for p in report["parts"] if p["id"] == "q3b")["override"]["comment"] == "Too short"


def test_bad_overrides_are_refused_with_one_line(cli, tmp_path, write):
    out = graded(cli, tmp_path)
    bad = [
        (["--student", "99522086", "--part", "q9", "--score", "1"], "has no part 'q9'"),
        (["--student", "99522086", "--part", "q3b", "--score", "7"], "must be from 0 to 3"),
        (["--student", "nobody", "--part", "q3b", "--score", "1"], "no submission from student 'nobody'"),
        (["--student", "99522086"], "give --student, --part and --score"),
    ]
    for args, words in bad:
        run = cli("override", out, *args)
        assert run.status == 2 and words in run.err and "Traceback" not in run.err
    sheet = write("bad.csv", "student,part,score\n99522086,q3b,many\n")
    run = cli("override", out, "--import", sheet)
    assert run.status == 2 and "bad.csv:2: score 'many' is not a number" in run.err
    assert cli("override", tmp_path / "nowhere", "--student", "a", "--part", "b", "--score", "1").status == 2
