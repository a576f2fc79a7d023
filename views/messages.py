"""消息中心: a person's notifications, newest first; opening one marks it read."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_login import current_user
from sqlalchemy import func, select

from app.services import notifications
from app.transaction import unit_of_work
from models import Notification
from views.tasks import record_url

PAGE_SIZE = 50
BADGE_LIMIT = 100


def unread_messages() -> str:
    """The signed-in person's unread count for the navigation bar ("" none, "99+" many).

    Counting stops at ``BADGE_LIMIT``: a reviewer with thousands of unread reminders costs
    the same page time as one with three.
    """
    if not getattr(current_user, "is_authenticated", False):
        return ""
    unread = select(Notification.id).where(
        Notification.recipient_id == current_user.id, Notification.read_on.is_(None)
    ).limit(BADGE_LIMIT)
    count = current_app.appbuilder.session.scalar(
        select(func.count()).select_from(unread.subquery())) or 0
    if count >= BADGE_LIMIT:
        return f"{BADGE_LIMIT - 1}+"
    return str(count) if count else ""


class MessageCenterView(BaseView):
    """消息中心 for every signed-in person (their own messages only)."""

    route_base = "/messages"
    default_view = "index"

    def _guard(self) -> None:
        if not getattr(current_user, "is_authenticated", False):
            abort(401)

    @expose("/")
    def index(self) -> Any:
        self._guard()
        session = self.appbuilder.session
        page = max(request.args.get("page", 1, type=int), 1)
        rows = list(session.scalars(
            select(Notification).where(Notification.recipient_id == current_user.id)
            .order_by(Notification.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
        return self.render_template("messages/index.html", rows=rows, page=page,
                                    more=len(rows) == PAGE_SIZE)

    @expose("/<int:pk>")
    def open(self, pk: int) -> Response:
        """Mark one message read and go where it points."""
        self._guard()
        with unit_of_work() as session:
            message = notifications.mark_read(session, current_user, pk)
        if message is None:
            abort(404)
        task_id = notifications.task_of(message.link)
        record = notifications.record_of(message.link)
        if task_id is not None:
            target = url_for("TaskView.review", pk=task_id)
        elif record is not None:
            target = record_url(*record) or url_for("MessageCenterView.index")
        elif message.link.startswith("/") and not message.link.startswith("//"):
            target = message.link  # messages written before targets: a path of this site
        else:
            target = url_for("MessageCenterView.index")
        return redirect(target)

    @expose("/read-all", methods=["POST"])
    def read_all(self) -> Response:
        """全部标为已读."""
        self._guard()
        with unit_of_work() as session:
            notifications.mark_all_read(session, current_user)
        return redirect(url_for("MessageCenterView.index"))
