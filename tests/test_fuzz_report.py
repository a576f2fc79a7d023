"""``make fuzz`` reports each 5xx with a curl command that repeats it exactly."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from bench.fuzz_report import Failure, causes, curl, read_failures


def failure(body: bytes | None, content_type: str = "application/json") -> Failure:
    return Failure(operation="POST /api/v1/tasks/{pk}/act", status=500, method="POST",
                   uri="http://127.0.0.1:5555/api/v1/tasks/7/act?x=1",
                   headers={"Authorization": "[Filtered]", "Content-Type": content_type,
                            "User-Agent": "schemathesis"},
                   body=body)


def test_read_failures_keeps_the_5xx_requests(tmp_path: Path) -> None:
    def interaction(status: int, body: bytes) -> dict[str, object]:
        return {"request": {"method": "POST", "uri": "http://h/api/v1/tasks/7/act",
                            "headers": {"Content-Type": ["application/json"]},
                            "body": {"$base64": base64.b64encode(body).decode()}},
                "response": {"status_code": status}}

    report = tmp_path / "role.ndjson"
    report.write_text("\n".join([
        json.dumps({"Initialize": {}}),
        json.dumps({"ScenarioFinished": {"recorder": {
            "label": "POST /api/v1/tasks/{pk}/act",
            "interactions": {"a": interaction(422, b"{}"), "b": interaction(500, b'{"x":1}'),
                             "c": interaction(502, b"{}")}}}}),
    ]) + "\n", encoding="utf-8")
    operations, cases, found = read_failures(report)
    assert operations == {"POST /api/v1/tasks/{pk}/act"} and cases == 3
    assert [(f.status, f.body) for f in found] == [(502, b"{}"), (500, b'{"x":1}')]
    assert found[0].headers == {"Content-Type": "application/json"}


def test_curl_uses_variables_for_the_server_and_the_token() -> None:
    command = curl(failure(b'{"action": "approve", "opinion": "\xe5\x90\x8c\xe6\x84\x8f"}'))
    assert command.startswith("curl -sS -X POST \"$BASE\"'/api/v1/tasks/7/act?x=1'")
    assert '-H "Authorization: Bearer $TOKEN"' in command
    assert "User-Agent" not in command and "127.0.0.1:5555" not in command
    assert "--data-binary '{\"action\": \"approve\", \"opinion\": \"同意\"}'" in command


def test_curl_sends_any_byte_through_printf(tmp_path: Path) -> None:
    body = b'{"a": "\x00\xff%\'\\"}'
    command = curl(failure(body))
    assert command.startswith("printf '") and "--data-binary @-" in command
    printed = subprocess.run(["bash", "-c", command.split(" | ", 1)[0]], capture_output=True,
                             check=True).stdout
    assert printed == body


def test_a_long_body_goes_to_a_file(tmp_path: Path) -> None:
    body = b"x" * 5000
    command = curl(failure(body, "text/plain"), tmp_path / "bodies")
    written = next((tmp_path / "bodies").iterdir())
    assert written.read_bytes() == body and f"@{written}" in command


def test_causes_are_the_last_line_of_each_traceback(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    log.write_text("\n".join([
        "unhandled error on /api/v1/x",
        "Traceback (most recent call last):",
        '  File "x.py", line 1, in f',
        "    raise ValueError('a')",
        "ValueError: could not convert string to float: '1e'",
        '127.0.0.1 "GET /api/v1/x HTTP/1.1" 500',
        "Traceback (most recent call last):",
        '  File "y.py", line 2, in g',
        "sqlalchemy.exc.DataError: (psycopg.errors.NumericValueOutOfRange) integer out of range",
        "Traceback (most recent call last):",
        "ValueError: could not convert string to float: '1e'",
    ]), encoding="utf-8")
    assert causes(log) == {
        "ValueError: could not convert string to float: '1e'": 2,
        "sqlalchemy.exc.DataError: (psycopg.errors.NumericValueOutOfRange) integer out of range":
            1,
    }
