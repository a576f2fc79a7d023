"""The home page (首页)."""

from __future__ import annotations

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from werkzeug.wrappers import Response


class HomeView(IndexView):
    """首页: who is signed in, in which unit and post; anonymous visitors go to the login page."""

    index_template = "index.html"

    @expose("/")
    def index(self) -> Response | str:
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(url_for(f"{self.appbuilder.sm.auth_view.endpoint}.login"))
        return self.render_template(self.index_template, appbuilder=self.appbuilder, user=user)
