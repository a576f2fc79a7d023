"""Base classes that route every create, update and delete through the services."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Response, abort, current_app, request
from flask_appbuilder import ModelRestApi, ModelView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow import Schema
from sqlalchemy.orm import joinedload, selectinload

from app.errors import MESSAGES
from app.scope import current_operator
from app.services.errors import ServiceError
from app.timezone import to_business
from views.api_messages import chinese
from views.fields import repair_form


class ServiceHooks:
    """Calls ``check_add``/``check_update``/``check_delete``; on refusal nothing is kept."""

    def check_add(self, item: Any) -> None:
        """Validate and complete a new record (override)."""

    def check_update(self, item: Any) -> None:
        """Validate a changed record (override)."""

    def check_delete(self, item: Any) -> None:
        """Refuse a deletion that breaks a rule (override)."""

    def _guarded(self, check: Any, item: Any) -> None:
        try:
            check(item)
        except ServiceError:
            # The form already wrote into the record; drop that before the message is shown.
            current_app.appbuilder.session.rollback()
            raise

    def pre_add(self, item: Any) -> None:
        self._guarded(self.check_add, item)

    def pre_update(self, item: Any) -> None:
        self._guarded(self.check_update, item)

    def pre_delete(self, item: Any) -> None:
        self._guarded(self.check_delete, item)

    @property
    def actor(self) -> Any:
        """The operator making this request."""
        return current_operator()

    @property
    def db_session(self) -> Any:
        """The SQLAlchemy session FAB uses for this view."""
        return current_app.appbuilder.session


def display_value(value: Any) -> str:
    """Render a value for a person: 是/否 for booleans, nothing for None, lists joined with 、."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple, set)):
        return "、".join(display_value(v) for v in value)
    if isinstance(value, datetime):
        return to_business(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def loader(model: type, path: str) -> Any:
    """Eager loading of a dotted relationship path: joined to one record, select-in to many."""
    option: Any = None
    for name in path.split("."):
        attr = getattr(model, name)
        many = attr.property.uselist
        if option is None:
            option = selectinload(attr) if many else joinedload(attr)
        else:
            option = option.selectinload(attr) if many else option.joinedload(attr)
        model = attr.property.mapper.class_
    return option


class ListInterface(SQLAInterface):
    """FAB's interface whose queries load the related records a list shows with its rows.

    FAB's list pages read each relationship column row by row (one query per row); the loader
    options here fetch them with the page, in a join or one more query whatever its length.
    """

    def __init__(self, obj: type, session: Any = None, loads: tuple[str, ...] = ()) -> None:
        super().__init__(obj, session)
        self.list_loads = tuple(loader(obj, path) for path in loads)

    def apply_all(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        query = super().apply_all(query, *args, **kwargs)
        return query.options(*self.list_loads) if self.list_loads else query


class ServiceModelView(ServiceHooks, ModelView):
    """A CRUD page whose writes go through the services; FAB flashes the Chinese message."""

    page_size = 20
    optional_columns: list[str] = []
    # Relationships the list reads beyond its own relationship columns (e.g. in a property or
    # a __repr__), as dotted paths such as "permissions.view_menu"; loaded with the page.
    list_loads: list[str] = []

    def __init__(self, **kwargs: Any) -> None:
        # Relationship columns of the list come with the page, not one query per row. A custom
        # interface (e.g. derived amounts) loads what it shows itself.
        if type(self.datamodel) is SQLAInterface:
            model = self.datamodel.obj
            related = [c for c in self.list_columns if self.datamodel.is_relation(c)]
            self.datamodel = ListInterface(model, loads=(*related, *self.list_loads))
        # The search form's related pickers are scoped like the add form's (FAB's are not).
        if not self.search_form_query_rel_fields and self.add_form_query_rel_fields:
            self.search_form_query_rel_fields = dict(self.add_form_query_rel_fields)
        super().__init__(**kwargs)
        shown = {*self.list_columns, *self.show_columns}
        # FAB prints True/False/None and Python list reprs; every column gets a Chinese rendering.
        self.formatters_columns = {
            **{column: display_value for column in shown},
            **self.formatters_columns,
        }
        optional = {*self.optional_columns, *self._columns_with_defaults()}
        for form in (self.add_form, self.edit_form, self.search_form):
            repair_form(form, optional)

    def _columns_with_defaults(self) -> list[str]:
        # A NOT NULL column with a default became a required field; the default makes it optional.
        columns = self.datamodel.obj.__table__.columns
        return [c.name for c in columns if c.default is not None and not c.primary_key]

    # FAB fetches an action's records without the view's base filters and trusts the action
    # name; check both first.
    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name: str, pk: Any) -> Any:
        if name not in self.actions:
            abort(404)
        if self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters) is None:
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self) -> Any:
        chosen = self.actions.get(request.form.get("action", ""))
        if chosen is None or not chosen.multiple:
            abort(404)
        for pk in request.form.getlist("rowid"):
            key = self._deserialize_pk_if_composite(pk)
            if self.datamodel.get(key, self._base_filters) is None:
                abort(404)
        return super().action_post()


class ChineseApiErrors:
    """FAB's API answers errors in English ("Fatal error", "Not found"); these say it in Chinese."""

    def response_400(self, message: Any = None) -> Response:
        return self.response(  # type: ignore[attr-defined]
            400, message=chinese(message) if message else MESSAGES[400])

    def response_401(self) -> Response:
        return self.response(401, message=MESSAGES[401])  # type: ignore[attr-defined]

    def response_403(self) -> Response:
        return self.response(403, message=MESSAGES[403])  # type: ignore[attr-defined]

    def response_404(self) -> Response:
        return self.response(404, message=MESSAGES[404])  # type: ignore[attr-defined]

    def response_422(self, message: Any = None) -> Response:
        return self.response(  # type: ignore[attr-defined]
            422, message=chinese(message) if message else "请求内容无法处理。")

    def response_500(self, message: Any = None) -> Response:
        # The cause is logged by FAB; the caller learns nothing about the internals.
        return self.response(500, message=MESSAGES[500])  # type: ignore[attr-defined]


class ServiceRestApi(ChineseApiErrors, ServiceHooks, ModelRestApi):
    """A REST resource whose writes go through the services; refusals answer 4xx, not 500."""

    # Only JWT: a session cookie must not authorise API writes that carry no CSRF token.
    allow_browser_login = False
    page_size = 20

    def _get_field_info(self, field: Any, filter_rel_field: Any, page: Any = None,
                        page_size: Any = None) -> dict[str, Any]:
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        # FAB translates "" for a column without label or description, which yields the
        # catalog's header; say nothing instead.
        sources = (("label", self.label_columns), ("description", self.description_columns))
        for key, given in sources:
            if not given.get(field.name):
                info[key] = ""
        return info

    def _service_call(self, call: Any, *args: Any) -> Response:
        try:
            return call(*args)
        except ServiceError as exc:
            return self.response(exc.status, message=exc.message)

    def post_headless(self) -> Response:
        return self._service_call(super().post_headless)

    def put_headless(self, pk: Any) -> Response:
        return self._service_call(super().put_headless, pk)

    def delete_headless(self, pk: Any) -> Response:
        return self._service_call(super().delete_headless, pk)


def request_body(schema: Schema) -> dict[str, Any]:
    """The JSON body, or with files a multipart request whose part ``data`` holds the JSON.

    :raises ValidationError: when the body breaks the schema
    :raises ValueError: when ``data`` is not JSON
    """
    raw = request.form.get("data") if request.files or request.form else None
    payload = json.loads(raw) if raw else (request.get_json(silent=True) or {})
    return schema.load(payload)
