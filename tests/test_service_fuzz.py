"""The API fuzzed from its own OpenAPI document (Schemathesis, property-based): as a student and as
the instructor, no request makes a server error (5xx) or a response the document does not describe."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service_helpers import INSTRUCTOR, ROOT, start_service


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    # checks are rate limited per minute; the fuzzer makes hundreds, and must meet 429 only where documented
    from grader.service.course import ServiceLimits

    running = start_service(ROOT / "problems", ROOT / "submissions" / "rnn-attention.roster.csv",
                            tmp_path_factory.mktemp("fuzz-data"), ServiceLimits(checks_per_minute=10_000))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api_schema(served):
    return schemathesis.openapi.from_url(served.url + "/openapi.json")


FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                database=None)


def fuzz(api_schema, token: str) -> list[str]:
    """Every operation of the document, with generated requests (valid ones, then malformed ones)."""
    tried = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(), real=st.sampled_from([None, "rnn-attention", "attention-practice"]))
        @FUZZ
        def run(case, real):
            if real and "assignment" in (case.path_parameters or {}):  # most requests reach a real assignment
                case.path_parameters["assignment"] = real
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

        run()
        tried.append(operation.label)
    return tried


def test_the_api_keeps_its_document_for_a_student(api_schema, served):
    tried = fuzz(api_schema, served.tokens["99522086"])
    assert "POST /api/assignments/{assignment}/check" in tried and len(tried) >= 10


def test_the_api_keeps_its_document_for_the_instructor(api_schema, served):
    fuzz(api_schema, INSTRUCTOR)
