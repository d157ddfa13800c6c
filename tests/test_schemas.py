"""The shipped JSON Schemas: current, valid, and what editors and other tools will check files against."""
from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from conftest import SEED_CLASS, SEED_SPEC
from grader.kinds import KINDS
from grader.schemas import HERE, SCHEMAS, render


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_shipped_schema_is_current(name):
    assert (HERE / name).read_text(encoding="utf-8") == render(name), "run: python -m grader.schemas"
    schema = json.loads(render(name))
    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_every_kind_is_in_the_problem_schema():
    schema = json.loads(render("problem.schema.json"))
    assert schema["$defs"]["part"]["properties"]["kind"]["enum"] == list(KINDS)


def test_seed_spec_and_class_validate_with_plain_jsonschema():
    problem = json.loads((HERE / "problem.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(SEED_SPEC.read_text(encoding="utf-8")), problem)
    submission = json.loads((HERE / "submission.schema.json").read_text(encoding="utf-8"))
    for path in SEED_CLASS.iterdir():
        if path.stem == "99522062":  # the deliberately malformed file
            continue
        if path.is_dir():  # a folder submission: its answers file is the submission
            path = next(path.glob("answers.*"))
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), submission)


def test_spec_modeline_points_at_the_schema():
    first = SEED_SPEC.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../grader/schemas/problem.schema.json"


def test_the_quick_submission_check_never_accepts_what_the_schema_refuses():
    import random

    from grader.schemas import validator
    from grader.submission import plainly_valid

    rng = random.Random(5)
    values = [None, True, 0, 1.5, "", "x", "y" * 201, [], {}, {"q1": "a"}, {"k" * 101: 1}, {1: "a"}, [1, 2]]
    keys = ["answers", "student", "assignment", "name", "$schema", "other"]
    schema = validator("submission.schema.json")
    for _ in range(3000):
        doc = {k: rng.choice(values) for k in rng.sample(keys, rng.randint(0, len(keys)))}
        if plainly_valid(doc):
            assert schema.is_valid(doc), doc


def test_the_report_schema_declares_every_field_and_forbids_others(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, SEED_CLASS, "--out", out).status == 0
    assert cli("override", out, "--student", "99522086", "--part", "q3b", "--score", "3", "--comment", "Good").status == 0
    report = json.loads((out / "99522086.json").read_text(encoding="utf-8"))
    q3b = next(p for p in report["parts"] if p["id"] == "q3b")
    assert q3b["override"] == {"score": 3, "comment": "Good", "automatic_score": 2}
    schema = json.loads((HERE / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
    for change in (lambda r: r.update(extra=1), lambda r: r["parts"][0].update(extra=1),
                   lambda r: q3b["override"].pop("comment"), lambda r: q3b["override"].update(by="TA"),
                   lambda r: r["counts"].update(great=1)):
        broken = json.loads(json.dumps(report))
        q3b = next(p for p in broken["parts"] if p["id"] == "q3b")
        change(broken)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)
