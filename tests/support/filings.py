"""Filings created through the services, for tests that need records in a chain."""

from __future__ import annotations

import io

from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.services import bids
from app.services import workflow as flow
from app.transaction import unit_of_work
from models import BidChangeFiling, Operator, Project


def submitted_filings(app: Flask, count: int = 1, clerk_name: str = "zz_clerk") -> list[int]:
    """``count`` filings of the clerk's unit, saved and submitted; returns their ids."""
    ids = []
    with app.test_request_context():
        session = app.appbuilder.session
        clerk = session.scalar(select(Operator).where(Operator.username == clerk_name))
        project = session.scalar(select(Project).where(Project.unit_id == clerk.unit_id))
        for n in range(count):
            filing = BidChangeFiling(project_id=project.id, change_content=f"供应商更名{n}",
                                     change_reason="工商变更")
            upload = FileStorage(io.BytesIO(b"%PDF-1.4 test"), filename="说明.pdf")
            with unit_of_work(session):
                bids.prepare_filing(session, filing, clerk, upload, creating=True)
                session.add(filing)
                session.flush()
                flow.submit_record(session, bids.RECORD, filing, clerk)
            ids.append(filing.id)
    return ids
