"""Task lists cost the same number of queries whatever their length (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from app.extensions import db
from tests.support.filings import submitted_filings


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def queries_for(app: Flask, client: Any, headers: dict[str, str], path: str) -> int:
    client.get(path, headers=headers)  # warm caches (permissions, definitions)
    with counting(app) as statements:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    return len(statements)


def test_task_lists_do_not_grow_with_their_length(app: Flask, client: Any, api_token: Any,
                                                  login_as: Any) -> None:
    headers = api_token("zz_internal")
    web = login_as("zz_internal")
    submitted_filings(app, 1)
    few = (queries_for(app, client, headers, "/api/v1/tasks/"),
           queries_for(app, web.client, {}, "/tasks/"), queries_for(app, web.client, {}, "/"))
    submitted_filings(app, 6)
    many = (queries_for(app, client, headers, "/api/v1/tasks/"),
            queries_for(app, web.client, {}, "/tasks/"), queries_for(app, web.client, {}, "/"))
    assert few == many, (few, many)
    assert max(many) <= 22  # one permission check per menu category is part of the page
