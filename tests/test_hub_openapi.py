"""Schemathesis against the served OpenAPI description of the docking endpoints: generated requests, both
within the schema and outside it, with a valid Authorization (so they reach the JSON parsing and the intake)
and without one, never get a 5xx answer. Runs against waitress on loopback, bounded to stay quick."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from app.docking import protocol
from app.libraries.registry import LIBRARIES

EXAMPLES = {"upload_archives": 12, "upload_products": 15}  # the largest records cost the most to generate


def _check(operation, mode: GenerationMode, headers: dict, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=headers, timeout=30)
        assert response.status_code < 500, (operation.label, response.status_code, response.text[:500])

    run()


def test_no_generated_request_gets_a_server_error(hub):
    hub.set(weekly_quota=100000)  # every generated upload reaches the intake
    schema = schemathesis.openapi.from_url(hub.base + protocol.GATE_PREFIX + "/openapi.json")
    header = {"Authorization": hub.lower.header(hub.lower.access_token())}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.definition.raw["operationId"] for op in operations} == {
        "token", *(f"upload_{key}" for key in LIBRARIES)}
    for operation in operations:
        op_id = operation.definition.raw["operationId"]
        examples = EXAMPLES.get(op_id, 20)
        _check(operation, GenerationMode.POSITIVE, header, examples)
        _check(operation, GenerationMode.NEGATIVE, header, max(5, examples // 2))
    _check(operations[1], GenerationMode.POSITIVE, {"Authorization": "not-a-valid-header"}, 5)
    # The generated requests did go through: intake ran, and refusals were answered, none of them 5xx.
    codes = {call.code for call in hub.calls()}
    assert "200" in codes
