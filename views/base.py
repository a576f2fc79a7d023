"""The page and REST boundary: every create, update and delete runs a service command in one
unit of work (:mod:`app.transaction`) and a refusal is answered where it was made."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Response, abort, current_app, flash, g, jsonify, make_response, request
from flask_appbuilder import ModelRestApi, ModelView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import (
    get_filter_args,
    get_order_args,
    get_page_args,
    get_page_size_args,
)
from marshmallow import Schema, ValidationError
from sqlalchemy.orm import Session, joinedload, selectinload

from app.errors import MESSAGES
from app.scope import current_operator
from app.services import files
from app.services.errors import PermissionDenied, ServiceError, ValidationFailed
from app.timezone import to_business
from app.transaction import unit_of_work
from views.api_messages import chinese, first_error
from views.fields import repair_form
from views.forms import Uploads, form_input, show_refusal, uploads

T = TypeVar("T")
READ_ONLY = "该记录不能在此修改或删除。"


def attempt(command: Callable[[Session], Any]) -> ServiceError | None:
    """The page door's unit of work for an action: ``None`` when it committed, else the refusal.

    Anything else than a :class:`ServiceError` is rolled back and re-raised (the Chinese 500).
    """
    try:
        with unit_of_work() as session:
            command(session)
    except ServiceError as exc:
        return exc
    return None


class ServiceHooks:
    """A page's or REST resource's commands: ``save_command`` and ``delete_command``.

    ``save_command(session, actor, data, item)`` creates (``item`` is None) or changes a record
    from plain input and returns it; ``delete_command(session, actor, item)`` deletes one. The
    files of ``file_fields`` join the input under their names. Nothing here commits: the
    boundary does.
    """

    save_command: Callable[..., Any] | None = None
    delete_command: Callable[..., None] | None = None
    file_fields: tuple[str, ...] = ()

    def save(self, session: Session, actor: Any, data: dict[str, Any], item: Any) -> Any:
        """Run the save command on the input and the chosen files; returns the record."""
        if self.save_command is None:
            raise PermissionDenied(READ_ONLY)
        chosen = {name: self.upload(name) for name in self.file_fields}
        return self.save_command(session, actor, {**data, **chosen}, item)

    def remove(self, session: Session, actor: Any, item: Any) -> None:
        """Run the delete command."""
        if self.delete_command is None:
            raise PermissionDenied(READ_ONLY)
        self.delete_command(session, actor, item)

    def upload(self, name: str) -> Any:
        """The file of field ``name``: chosen now, or kept from a refused attempt of the form."""
        kept = g.get("form_uploads")
        return kept.get(name) if kept is not None else request.files.get(name)

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


    # FAB's add/edit/delete: the form's plain input goes to :meth:`save` inside the unit of
    # work; a refusal re-renders the form as typed (files kept), with the message at its field.
    def _add(self) -> Any:
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            kept = uploads(form, self.actor.id)
            if form.validate() and self._submit(form, None, kept, self.add_columns):
                return None
        else:
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk: Any) -> Any:
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            self._fill_form_exclude_cols(exclude_cols, form)
            form._id = pk
            kept = uploads(form, self.actor.id)
            if form.validate() and self._submit(form, item, kept, self.edit_columns):
                return None
        else:
            form = self.edit_form.refresh(obj=item)
            self.prefill_form(form, pk)
            self.update_redirect()
        widgets = self._get_edit_widget(form=form, exclude_cols=exclude_cols)
        return self._get_related_views_widgets(
            item, filters={}, orders=get_order_args(), pages=get_page_args(),
            page_sizes=get_page_size_args(), widgets=widgets)

    def _submit(self, form: Any, item: Any, kept: Uploads, columns: list[str]) -> bool:
        self.process_form(form, item is None)
        data = form_input(form, columns)
        g.form_uploads = kept
        try:
            with unit_of_work() as session:
                record = self.save(session, self.actor, data, item)
        except ServiceError as exc:
            show_refusal(form, exc)
            return False
        files.discard_pending(kept.tokens)
        flash(self.add_row_message if item is None else self.edit_row_message, "success")
        # FAB's hooks after a save (e.g. telling the generated account), now it is committed.
        (self.post_add if item is None else self.post_update)(record)
        return True

    def _delete(self, pk: Any) -> None:
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        try:
            with unit_of_work() as session:
                self.remove(session, self.actor, item)
        except ServiceError as exc:
            flash(exc.message, "danger")
        else:
            flash(self.delete_row_message, "success")
            self.post_delete(item)
        self.update_redirect()


class ChineseApiErrors:
    """FAB's API answers errors in English ("Fatal error", "Not found"); these say it in Chinese.

    :meth:`run` is the REST door's unit of work: a refusal answers
    ``{"code", "message", "field"}`` with its status.
    """

    def run(self, command: Callable[[Session], T], respond: Callable[[T], Response]) -> Response:
        """Call ``command`` in a unit of work and answer with ``respond(result)`` or the refusal."""
        try:
            with unit_of_work() as session:
                result = command(session)
        except ServiceError as exc:
            return self.refusal(exc)
        return respond(result)

    def invalid_body(self, error: ValidationError) -> Response:
        """A body that breaks its schema, answered like a refusal: the first field's message
        (after its Chinese label, where the resource has one) and every field's in ``errors``."""
        errors = chinese(error.messages)
        field, text = first_error(errors)
        labels = getattr(self, "label_columns", {})
        label = str(labels.get(field) or field) if field else ""
        refused = ValidationFailed(f"{label}：{text}" if label else text, field=field)
        return self.refusal(refused, errors=errors)

    def refusal(self, error: ServiceError, **extra: Any) -> Response:
        """A service's refusal as the REST body."""
        # Not FAB's ``response``: its first parameter is called ``code``.
        answer = make_response(jsonify({**error.as_dict(), **extra}), error.status)
        answer.headers["Content-Type"] = "application/json; charset=utf-8"
        return answer

    def response_400(self, message: Any = None) -> Response:
        return self.response(  # type: ignore[attr-defined]
            400, message=chinese(message) if message else MESSAGES[400])

    def response_401(self) -> Response:
        return self.response(401, message=MESSAGES[401])  # type: ignore[attr-defined]

    def response_403(self) -> Response:
        return self.response(403, message=MESSAGES[403])  # type: ignore[attr-defined]

    def response_404(self) -> Response:
        return self.response(404, message=MESSAGES[404])  # type: ignore[attr-defined]

    def response_405(self) -> Response:
        return self.response(405, message=MESSAGES[405])  # type: ignore[attr-defined]

    def response_422(self, message: Any = None) -> Response:
        return self.response(  # type: ignore[attr-defined]
            422, message=chinese(message) if message else "请求内容无法处理。")

    def response_500(self, message: Any = None) -> Response:
        # The cause is logged by FAB; the caller learns nothing about the internals.
        return self.response(500, message=MESSAGES[500])  # type: ignore[attr-defined]


NOT_JSON = "请求内容不是有效的JSON。"


class ServiceRestApi(ChineseApiErrors, ServiceHooks, ModelRestApi):
    """A REST resource whose writes take an explicit body schema and call :meth:`save`.

    ``body_schema`` lists plain values and ids (a reference as ``<name>_id``, which may keep
    FAB's key with ``data_key``); FAB's generic relationship assignment is never used. A
    resource without one has no POST or PUT.
    """

    # Only JWT: a session cookie must not authorise API writes that carry no CSRF token.
    allow_browser_login = False
    page_size = 20
    body_schema: type[Schema] | None = None
    # POST's body when it differs from PUT's (e.g. an initial password).
    post_schema: type[Schema] | None = None
    # PUT changes the fields it names (FAB's habit); False: PUT sends the whole body.
    partial_put = True

    def __init__(self) -> None:
        if self.body_schema is not None:
            # The OpenAPI document then describes the body the endpoints really take.
            self.add_model_schema = (self.post_schema or self.body_schema)()
            # Its own class, so that apispec names the PUT body apart from the POST body.
            change = type(f"{self.body_schema.__name__}Change", (self.body_schema,), {})
            self.edit_model_schema = change()
        super().__init__()

    def _get_fields_info(self, cols: list[str], model_schema: Schema, filter_rel_fields: Any,
                         **kwargs: Any) -> list[dict[str, Any]]:
        # _info describes the explicit body: its plain fields, never a list of related records.
        if self.body_schema is None:
            return []
        return super()._get_fields_info(list(model_schema.fields), model_schema, {}, **kwargs)

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

    def _write(self, item: Any) -> Response:
        schema = self.body_schema if item is not None else self.post_schema or self.body_schema
        if schema is None:
            return self.response_405()
        try:
            data = request_body(schema(), partial=item is not None and self.partial_put)
        except ValidationError as err:
            return self.invalid_body(err)
        except ValueError:
            return self.refusal(ValidationFailed(NOT_JSON))
        return self.run(
            lambda session: self.save(session, self.actor, data, item),
            lambda record: self.response(201 if item is None else 200, id=record.id,
                                         result=self.show_model_schema.dump(record)))

    def post_headless(self) -> Response:
        return self._write(None)

    def put_headless(self, pk: Any) -> Response:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        return self._write(item)

    def delete_headless(self, pk: Any) -> Response:
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        return self.run(lambda session: self.remove(session, self.actor, item),
                        lambda _: self.response(200, message="已删除。"))


def request_body(schema: Schema, partial: bool = False) -> dict[str, Any]:
    """The JSON body, or with files a multipart request whose part ``data`` holds the JSON.

    :raises ValidationError: when the body breaks the schema
    :raises ValueError: when ``data`` is not JSON
    """
    raw = request.form.get("data") if request.files or request.form else None
    payload = json.loads(raw) if raw else (request.get_json(silent=True) or {})
    return schema.load(payload, partial=partial)
