"""The home page (首页): the clerk's 工作台, a reviewer's queue, or who is signed in."""

from __future__ import annotations

from typing import Any

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from werkzeug.wrappers import Response

from app.permissions import CLERK, VIEW_LABELS
from app.services import workbench
from app.services.money import format_money
from app.timezone import utcnow
from views.tasks import filing_view, record_url, task_rows

# The clerk's filings in the manual's menu order: 增加 links where the clerk may add.
FILING_VIEWS = ("IntentionView", "ProcurementPlanView", "ProcurementFailureView",
                "MethodChangeView", "SpendingReductionView", "ContractView", "PaymentView",
                "BidChangeFilingView")


class HomeView(IndexView):
    """首页: anonymous visitors go to the login page; clerks get their 工作台, reviewers their
    queue per chain (overdue first), everyone the account they are signed in with."""

    index_template = "index.html"

    @expose("/")
    def index(self) -> Response | str:
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(url_for(f"{self.appbuilder.sm.auth_view.endpoint}.login"))
        context: dict[str, Any] = {}
        if user.post_code == CLERK:
            context = self._clerk(user)
        elif self.appbuilder.sm.has_access("can_list", "TaskView"):
            context = self._reviewer(user)
        return self.render_template(self.index_template, appbuilder=self.appbuilder, user=user,
                                    **context)

    def _clerk(self, user: Any) -> dict[str, Any]:
        session = self.appbuilder.session
        filings = workbench.filings(session, user)
        due_total, due = workbench.due_payments(session, user)
        views = {type(v).__name__: v for v in self.appbuilder.baseviews}
        adds = [(VIEW_LABELS.get(name, name), url_for(f"{views[name].endpoint}.add"))
                for name in FILING_VIEWS
                if name in views and self.appbuilder.sm.has_access("can_add", name)]
        lists = {}
        for record_type, _, _ in filings.counts:
            view = filing_view(record_type, "can_list")
            if view is not None:
                lists[record_type] = url_for(f"{view.endpoint}.list")
        payments = views.get("PaymentView")
        return {
            **self._mall(session, user, views),
            "workbench": "clerk", "filings": filings, "adds": adds, "lists": lists,
            "record_url": record_url, "due_total": due_total, "money": format_money,
            "due": [(p, url_for(f"{payments.endpoint}.show", pk=p.id) if payments else None)
                    for p in due],
            "payments_url": url_for(f"{payments.endpoint}.list") if payments else None,
        }

    def _mall(self, session: Any, user: Any, views: dict[str, Any]) -> dict[str, Any]:
        """网上商城 work: counts and where to act (the order list of H2 at ``/mall/orders``,
        filtered by status when it reads ``?status=``)."""
        work = workbench.mall_work(session, user)
        sm = self.appbuilder.sm
        found = views.get("MallExceptionView")
        orders = next((v for v in self.appbuilder.baseviews
                       if getattr(v, "route_base", "") == "/mall/orders"), None)
        return {"mall": work, "mall_exceptions_url": url_for(f"{found.endpoint}.index")
                if found and sm.has_access("can_list", "MallExceptionView") else None,
                "mall_orders_url": "/mall/orders/" if orders is not None else None}

    def _reviewer(self, user: Any) -> dict[str, Any]:
        session, now = self.appbuilder.session, utcnow()
        chains = workbench.queue_by_chain(session, user, now)
        tasks = list(session.scalars(workbench.queue(session, user, now)
                                     .limit(workbench.SHOWN)))
        return {"workbench": "reviewer", "chains": chains, "rows": task_rows(session, tasks),
                "count": sum(chain.total for chain in chains),
                "overdue": sum(chain.overdue for chain in chains)}
