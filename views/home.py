"""The home page (首页)."""

from __future__ import annotations

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from werkzeug.wrappers import Response

from app.services.workflow import open_tasks
from views.tasks import open_task_count, task_rows


class HomeView(IndexView):
    """首页: who is signed in, in which unit and post; anonymous visitors go to the login page."""

    index_template = "index.html"

    @expose("/")
    def index(self) -> Response | str:
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(url_for(f"{self.appbuilder.sm.auth_view.endpoint}.login"))
        session = self.appbuilder.session
        tasks = list(session.scalars(open_tasks(session, user).limit(10)))
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, user=user,
            rows=task_rows(session, tasks), count=open_task_count(session, user),
        )
