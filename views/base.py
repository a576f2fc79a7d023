"""The page and REST boundary: every create, update and delete runs a service command in one
unit of work (:mod:`app.transaction`) and a refusal is answered where it was made."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import ModelView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import (
    get_filter_args,
    get_order_args,
    get_page_args,
    get_page_size_args,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.scope import current_operator
from app.services import files
from app.services.errors import PermissionDenied, ServiceError
from app.services.records import EDITABLE, status_label
from app.timezone import to_business
from app.transaction import unit_of_work
from views.export import ExportList
from views.fields import repair_form
from views.filters import ChineseSearch
from views.forms import Uploads, form_input, show_refusal, uploads
from workflow import Status
from workflow.engine import SUBMITTABLE

T = TypeVar("T")
READ_ONLY = "该记录不能在此修改或删除。"

# Whether an action ("edit", "delete" or an @action's name) applies to a record in its state.
Applies = Callable[[Any], bool]


def in_states(*states: str) -> Applies:
    """A rule of :attr:`ServiceModelView.state_rules`: the record's status is one of ``states``."""
    allowed = frozenset(states)
    return lambda item: item.status in allowed


# The services' rules of a filing: 修改/删除 while editable (app.services.records.EDITABLE),
# 提交 when the engine accepts a submission, 撤回 while in review (workflow.engine).
EDITABLE_FILING = in_states(*EDITABLE)
FILING_RULES: dict[str, Applies] = {
    "edit": EDITABLE_FILING, "delete": EDITABLE_FILING,
    "submit": in_states(*SUBMITTABLE), "withdraw": in_states(Status.in_review),
}


def not_now(item: Any, what: str) -> str:
    """The refusal of an action the record's state does not allow, naming the state."""
    status = getattr(item, "status", None)
    if status is None:
        return f"该记录当前不能{what}。"
    return f"当前状态为“{status_label(status)}”，不能{what}。"


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


def act_on_chosen(endpoint: str, items: Any, command: Callable[[Session, Any], object],
                  label: Callable[[Any], str], done: Callable[[Any], str]) -> Any:
    """A row or list action: ``command(session, item)`` on each chosen record in its own unit of
    work, a flash per record (``label(item)：refusal`` or ``done(item)``), then back to the
    list (several chosen) or the record's page (one)."""
    chosen = items if isinstance(items, list) else [items]
    for item in chosen:
        refused = attempt(_on(command, item))
        if refused:
            flash(f"{label(item)}：{refused.message}", "danger")
        else:
            flash(done(item), "success")
    if isinstance(items, list):
        return redirect(url_for(f"{endpoint}.list"))
    return redirect(url_for(f"{endpoint}.show", pk=chosen[0].id))


def _on(command: Callable[[Session, Any], object], item: Any) -> Callable[[Session], object]:
    def run(session: Session) -> object:
        return command(session, item)
    return run


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
    # Which records "edit", "delete" and each action apply to (e.g. FILING_RULES), from the
    # services' rules: a page's row buttons, checkboxes, show page actions and edit form, and a
    # REST record's ``allowed``, follow them; an action without a rule applies to every record.
    # The service still judges each attempt.
    state_rules: dict[str, Applies] = {}

    def applies(self, name: str, item: Any) -> bool:
        """Whether action ``name`` ("edit", "delete" or an action) applies to ``item`` now."""
        rule = self.state_rules.get(name)
        return rule is None or rule(item)

    def allowed(self, item: Any) -> dict[str, bool]:
        """Each ruled action of ``item``: whether it applies now."""
        return {name: self.applies(name, item) for name in self.state_rules}

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


class ServiceModelView(ExportList, ChineseSearch, ServiceHooks, ModelView):
    """A CRUD page whose writes go through the services; FAB flashes the Chinese message."""

    page_size = 20
    optional_columns: list[str] = []
    # Pickers of nullable relationships the service requires: they start at 请选择, not （无）.
    required_choices: list[str] = []
    # FAB's (untyped) sort columns; narrowed to what the database can order by.
    order_columns: list[str]
    # FAB's ``/download/<filename>`` serves any stored file by name, outside every record's
    # scope; a view with attachments exposes its own ``download(pk)`` that checks the record.
    download = None
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
        # FAB offers a sort on a Python property too, which the database cannot order by (500).
        self.order_columns = [c for c in self.order_columns if self._orderable(c)]
        shown = {*self.list_columns, *self.show_columns}
        # FAB prints True/False/None and Python list reprs; every column gets a Chinese rendering.
        self.formatters_columns = {
            **{column: display_value for column in shown},
            **self.formatters_columns,
        }
        optional = {*self.optional_columns, *self._columns_with_defaults()}
        for form in (self.add_form, self.edit_form):
            repair_form(form, optional, self.required_choices)
        repair_form(self.search_form, optional)

    def _orderable(self, column: str) -> bool:
        """A stored column of the model, or ``relation.column`` of a to-one relation."""
        mapper = sa_inspect(self.datamodel.obj)
        head, _, rest = column.partition(".")
        if not rest:
            return column in mapper.column_attrs
        relation = mapper.relationships.get(head)
        return relation is not None and not relation.uselist and \
            rest in relation.mapper.column_attrs

    def _columns_with_defaults(self) -> list[str]:
        # A NOT NULL column with a default became a required field; the default makes it optional.
        columns = self.datamodel.obj.__table__.columns
        return [c.name for c in columns if c.default is not None and not c.primary_key]

    def refuse_edit(self, item: Any) -> Any:
        """The edit form's GET for a record its state keeps as it is: its page with the reason
        (an editable form would only be refused at 保存); ``None`` when it may be edited."""
        if request.method == "POST" or self.applies("edit", item):
            return None
        flash(not_now(item, "修改"), "warning")
        return redirect(url_for(f"{self.endpoint}.show", pk=item.id))

    def _get_show_widget(self, pk: Any, item: Any, widgets: Any = None, actions: Any = None,
                         show_fieldsets: Any = None) -> Any:
        widgets = super()._get_show_widget(pk, item, widgets, actions, show_fieldsets)
        shown = widgets["show"].template_args
        shown["actions"] = {name: chosen for name, chosen in shown["actions"].items()
                            if self.applies(name, item)}
        # For a page's own buttons (e.g. 打印): whether each ruled action applies.
        shown["allows"] = self.allowed(item)
        return widgets

    def _get_list_widget(self, filters: Any, actions: Any = None, order_column: str = "",
                         order_direction: str = "", **kwargs: Any) -> Any:
        order_column, order_direction = self.offered_order(order_column, order_direction)
        widgets = super()._get_list_widget(filters, actions, order_column, order_direction,
                                           **kwargs)
        listed = widgets["list"].template_args
        if self.state_rules:
            listed["row_allows"] = self._row_allows(listed["pks"], listed["actions"])
        return widgets

    def _row_allows(self, pks: list[Any], actions: dict[str, Any]) -> dict[Any, dict[str, bool]]:
        """Per listed record: its 修改/删除 buttons, whether a list action applies (one query)."""
        model = self.datamodel.obj
        rows = self.datamodel.session.scalars(
            select(model).where(sa_inspect(model).primary_key[0].in_(pks)))
        allows: dict[Any, dict[str, bool]] = {}
        for item in rows:
            allows[item.id] = {
                "edit": self.applies("edit", item), "delete": self.applies("delete", item),
                "actions": any(chosen.multiple and self.applies(name, item)
                               for name, chosen in actions.items()),
            }
        return allows

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
        elif (refusal := self.refuse_edit(item)) is not None:
            abort(refusal)
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
