from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED_SPEC = ROOT / "problems" / "rnn-attention.yaml"
SEED_CLASS = ROOT / "submissions" / "rnn-attention"
PRACTICE = ROOT / "problems" / "attention-practice.yaml"  # the randomized companion: a variant per student


@dataclass
class Run:
    status: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """Run the grader CLI in-process: cli("grade", spec, dir) -> Run(status, out, err)."""

    def run(*args: object) -> Run:
        status = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


@pytest.fixture
def write(tmp_path):
    """write("name.yaml", text) -> path; text is dedented."""

    def put(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return put


@pytest.fixture(scope="session")
def practice():
    """problems/attention-practice.yaml, loaded once (grading only reads it and fills its caches)."""
    from grader.spec import load_spec

    return load_spec(PRACTICE)


# --- every report the tests produce is checked against the report schema --------------------------

@pytest.fixture(scope="session", autouse=True)
def reports_follow_their_schema():
    """Every report made in this process (forked batch workers included) is validated as it is made: the
    schema declares every field and forbids others, so a field added without its schema fails here."""
    from grader import batch, gradebook, model
    from grader.schemas import validator

    check = validator("report.schema.json")
    made, applied = model.Report.to_json, gradebook.apply_overrides

    def to_json(self):
        data = made(self)
        check.validate(data)
        return data

    def apply_overrides(report, overrides):
        data = applied(report, overrides)
        check.validate(data)
        return data

    model.Report.to_json = to_json
    gradebook.apply_overrides = batch.apply_overrides = apply_overrides
    yield
    model.Report.to_json = made
    gradebook.apply_overrides = batch.apply_overrides = applied


@pytest.fixture(autouse=True)
def written_reports_follow_their_schema(request):
    """...and so is every report file a test leaves behind, whoever wrote it (a grader in a subprocess too)."""
    folder = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if folder is None:
        return
    from grader.schemas import validator

    check = validator("report.schema.json")
    for path in folder.rglob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "grader_version" in data and "parts" in data:
            check.validate(data)
