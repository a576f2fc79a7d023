"""What ``make fuzz`` reports: the 5xx answers in schemathesis' NDJSON report, a curl command
that repeats each one, and the exceptions in the server log.

The NDJSON report (schemathesis 4.x, ``--report ndjson``) holds one ``ScenarioFinished`` line per
operation and phase; its ``recorder.interactions`` are every request sent with its answer
(``Authorization`` already replaced by ``[Filtered]``).
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Bodies longer than this go to a file next to the report instead of the command line.
INLINE_BODY = 1500
# Headers a reproduction needs; the rest (User-Agent, Accept…) are the client's own.
KEPT_HEADERS = {"content-type", "authorization", "x-budget-token"}
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt)\w*)"
                            r"(?::\s?(.*))?$")


@dataclass
class Failure:
    """One request answered with a 5xx."""

    operation: str
    status: int
    method: str
    uri: str
    headers: dict[str, str]
    body: bytes | None


def _bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, dict) and "$base64" in value:
        return base64.b64decode(value["$base64"])
    return str(value).encode("utf-8", "surrogatepass")


def _headers(raw: dict[str, Any]) -> dict[str, str]:
    flat = {}
    for name, value in raw.items():
        flat[name] = value[0] if isinstance(value, list) and value else str(value)
    return flat


def read_failures(path: Path) -> tuple[set[str], int, list[Failure]]:
    """The operations that were sent requests, how many, and those answered >= 500."""
    operations: set[str] = set()
    cases = 0
    failures: list[Failure] = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith('{"ScenarioFinished"'):
                continue
            recorder = json.loads(line)["ScenarioFinished"].get("recorder", {})
            label = str(recorder.get("label", ""))
            for interaction in recorder.get("interactions", {}).values():
                operations.add(label)
                cases += 1
                status = int((interaction.get("response") or {}).get("status_code") or 0)
                if status < 500:
                    continue
                request = interaction.get("request", {})
                failures.append(Failure(
                    operation=label, status=status, method=str(request.get("method", "GET")),
                    uri=str(request.get("uri", "")), headers=_headers(request.get("headers", {})),
                    body=_bytes(request.get("body"))))
    # The shortest request first: it is the one worth reading.
    failures.sort(key=lambda f: (f.operation, len(f.body or b""), len(f.uri)))
    return operations, cases, failures


def _printf_literal(body: bytes) -> str:
    """``body`` as a printf format in single quotes: any byte, NUL included."""
    out = []
    for byte in body:
        char = chr(byte)
        if char == "%":
            out.append("%%")
        elif 0x20 <= byte < 0x7F and char not in "'\\":
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "'" + "".join(out) + "'"


def curl(failure: Failure, spill: Path | None = None) -> str:
    """A shell command repeating the request against ``$BASE`` with ``$TOKEN``.

    ``BASE`` is the panel (``make run``: http://127.0.0.1:5000), ``TOKEN`` the access token of
    the same account from ``POST /api/v1/security/login``, ``BUDGET_TOKEN`` the app's
    ``BUDGET_CALLBACK_TOKEN``. A long body is written to a file under ``spill``.
    """
    parts = urlsplit(failure.uri)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    command = ["curl", "-sS", "-X", failure.method, '"$BASE"' + shlex.quote(target)]
    for name, value in failure.headers.items():
        lowered = name.lower()
        if lowered not in KEPT_HEADERS:
            continue
        if lowered == "authorization":
            command += ["-H", '"Authorization: Bearer $TOKEN"']
        elif lowered == "x-budget-token":
            command += ["-H", '"X-Budget-Token: $BUDGET_TOKEN"']
        else:
            command += ["-H", shlex.quote(f"{name}: {value}")]
    body = failure.body
    if not body:
        return " ".join(command)
    if len(body) > INLINE_BODY and spill is not None:
        spill.mkdir(parents=True, exist_ok=True)
        number = len(list(spill.iterdir())) + 1
        path = spill / f"body-{number}.bin"
        path.write_bytes(body)
        return " ".join([*command, "--data-binary", shlex.quote(f"@{path}")])
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and text.isprintable() and "\x00" not in text:
        return " ".join([*command, "--data-binary", shlex.quote(text)])
    return f"printf {_printf_literal(body)} | " + " ".join([*command, "--data-binary", "@-"])


def causes(log_path: Path) -> Counter[str]:
    """The last exception of each traceback in the server log, counted."""
    found: Counter[str] = Counter()
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return found
    in_traceback = False
    for line in lines:
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
            continue
        if not in_traceback or line.startswith((" ", "\t")) or not line:
            continue
        match = EXCEPTION_LINE.match(line)
        if match:
            found[line[:240]] += 1
        in_traceback = False
    return found
