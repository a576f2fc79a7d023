"""The page door of a generated add/edit form: plain input out, a refusal shown in place.

A form's values become the same plain input a REST body gives (ids, not objects); a file
chosen on a refused form is kept server-side and offered again by name, so the clerk never
chooses it twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import flash, request
from flask_appbuilder.fields import QuerySelectField
from flask_wtf.file import FileField
from markupsafe import Markup, escape
from wtforms import Form
from wtforms.fields import Field

from app.services import files
from app.services.errors import ServiceError

PENDING_SUFFIX = "__pending"


def file_input(name: str, element_id: str, kept: files.PendingFile | None,
               attributes: str = "") -> Markup:
    """A file input; after a refusal, the file already chosen by name with 重新选择."""
    html = f'<input type="file" name="{escape(name)}" id="{escape(element_id)}" {attributes}>'
    if kept is None:
        return Markup(html)
    return Markup(
        f'<div class="pending-file" data-for="{escape(element_id)}">'
        f'<input type="hidden" name="{escape(name)}{PENDING_SUFFIX}" value="{escape(kept.token)}">'
        f'已选择：<strong>{escape(kept.name)}</strong> '
        f'<button type="button" class="btn btn-default btn-xs pending-reselect">重新选择</button>'
        f'</div><div class="pending-file-input" style="display:none">{html}</div>')


class PendingFileInput:
    """The widget of :class:`PendingFileField`: :func:`file_input` for a WTForms field."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        kwargs.pop("id", None)
        attributes = " ".join(f'{k}="{escape(v)}"' for k, v in kwargs.items() if k != "value")
        return file_input(field.name, field.id, getattr(field, "pending", None), attributes)


class PendingFileField(FileField):
    """A file field whose refused form keeps the chosen file (see :func:`uploads`)."""

    widget = PendingFileInput()
    pending: files.PendingFile | None = None


def file_fields(form: Form) -> Iterator[Field]:
    """The form's file fields."""
    return (f for f in form if isinstance(f, FileField))


@dataclass
class Uploads:
    """The files of one submitted form: chosen now, or kept from a refused attempt."""

    by_field: dict[str, Any] = field(default_factory=dict)
    kept: dict[str, files.PendingFile] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        """The upload of field ``name`` or ``None``."""
        return self.by_field.get(name)

    @property
    def tokens(self) -> list[str]:
        """The kept files, to discard once the form is saved."""
        return [kept.token for kept in self.kept.values()]


def kept_uploads(names: Iterable[str], owner_id: int) -> Uploads:
    """Keep each chosen file server-side; reuse a kept one when none was chosen again."""
    found = Uploads()
    for name in names:
        chosen = request.files.get(name)
        kept = None
        if chosen is not None and chosen.filename:
            kept = files.keep_pending(chosen, owner_id)
        token = kept.token if kept is not None else request.form.get(name + PENDING_SUFFIX, "")
        loaded = files.pending_upload(token, owner_id) if token else None
        if loaded is not None:
            found.kept[name], found.by_field[name] = loaded
    return found


def uploads(form: Form, owner_id: int) -> Uploads:
    """:func:`kept_uploads` of a WTForms form; each file field's ``pending`` is set, so that a
    re-rendered form offers the file by name."""
    found = kept_uploads([item.name for item in file_fields(form)], owner_id)
    for item in file_fields(form):
        item.pending = found.kept.get(item.name)
    return found


def form_input(form: Form, columns: list[str]) -> dict[str, Any]:
    """The plain values of ``columns`` as a command takes them.

    A chosen record becomes ``<name>_id`` with its id, a list of records the list of their
    ids under the field's own name; files are left to :func:`uploads`.
    """
    data: dict[str, Any] = {}
    for name in columns:
        if name not in form or isinstance(form[name], FileField):
            continue
        value = form[name].data
        if isinstance(value, (list, tuple)):
            data[name] = [getattr(v, "id", v) for v in value]
        elif hasattr(value, "__table__"):
            data[f"{name}_id"] = value.id
        elif isinstance(form[name], QuerySelectField):
            data[f"{name}_id"] = None
        else:
            data[name] = value
    return data


def show_refusal(form: Form, error: ServiceError) -> None:
    """Put the message next to the field it concerns, or above the form."""
    name = error.field.removesuffix("_id") if error.field else None
    if name and name in form:
        form[name].errors = [*form[name].errors, error.message]
    flash(error.message, "danger")
