"""Repairs of FAB 5.3 form fields, applied to every generated add, edit and search form.

Each repair answers a defect measured with the pinned versions (FAB 5.3, WTForms 3.3):
a wrong input must give a Chinese form error, never a 500 or a silent change.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask_appbuilder.fields import EnumField, QuerySelectField, QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_wtf.file import FileField
from wtforms import BooleanField, DecimalField, Form, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from views.forms import PendingFileField

INVALID_CHOICE = "无效的选项"


class StrictQuerySelectMultipleField(QuerySelectMultipleField):
    """FAB checks for unknown ids before it parses them, so they were dropped silently."""

    def pre_validate(self, form: Form) -> None:
        _ = self.data  # parsing the submitted ids marks unknown ones
        super().pre_validate(form)


class SafeEnumField(EnumField):
    """FAB's enum field raises ValueError/KeyError on a missing or unknown value (a 500); this
    one starts at a blank choice labelled ``blank_label`` (the empty value is ``None``)."""

    choices: list[Any]

    def __init__(self, *args: Any, blank_label: str = "请选择", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = [("", blank_label), *self.choices]
        strict = self.coerce

        def coerce(value: Any) -> Any:
            if value == "":
                return None
            try:
                return strict(value)
            except KeyError as exc:
                raise ValueError(INVALID_CHOICE) from exc

        self.coerce = coerce

    def pre_validate(self, form: Form) -> None:
        try:
            super().pre_validate(form)
        except ValueError as exc:
            raise ValidationError(INVALID_CHOICE) from exc


class ChoiceRequired(DataRequired):
    """A required picker left at 请选择: “请选择<label>。” (FAB's message names no field)."""

    def __call__(self, form: Form, field: Any) -> None:
        if field.data:
            return
        field.errors[:] = []
        raise StopValidation(f"请选择{field.label.text}。")


def _without_required(validators: list[Any]) -> list[Any]:
    return [v for v in validators if not isinstance(v, (DataRequired, InputRequired))]


def _is_required(validators: list[Any]) -> bool:
    return any(isinstance(v, (DataRequired, InputRequired)) for v in validators)


def _start_blank(field: UnboundField, blank: str, required: bool) -> None:
    """A single-choice picker starts at 请选择 (a required one) or （无） (an optional one): FAB
    preselected the first record of a required relationship or enum; a blank choice submitted
    for a required picker gives :class:`ChoiceRequired`'s message."""
    validators = field.kwargs.get("validators") or []
    required = required or _is_required(validators)
    field.kwargs[blank] = "请选择" if required else "（无）"
    if required:
        field.kwargs["validators"] = [ChoiceRequired(), *(
            v for v in _without_required(validators) if not isinstance(v, Optional))]


def repair_form(form: type | None, optional: Collection[str] = (),
                required: Collection[str] = ()) -> None:
    """Apply the repairs to the unbound fields of a generated form class.

    :param optional: names of fields that must not be required although their column is NOT
        NULL, because a default or the service fills them in
    :param required: names of pickers the service requires although their column is nullable
    """
    if form is None:
        return
    for name in dir(form):
        field = getattr(form, name, None)
        if not isinstance(field, UnboundField):
            continue
        if field.field_class is QuerySelectField:
            # FAB passes allow_blank=False for a NOT NULL relationship (the first record chosen).
            field.kwargs["allow_blank"] = True
            _start_blank(field, "blank_text", name in required)
        elif field.field_class is QuerySelectMultipleField:
            field.field_class = StrictQuerySelectMultipleField
        elif field.field_class is EnumField:
            field.field_class = SafeEnumField
            _start_blank(field, "blank_label", name in required)
        elif field.field_class is DecimalField:
            # The amount goes to the services as typed, so that one parser (app.services.money)
            # judges it on every path; WTForms would accept 1e5 and round silently.
            field.field_class = StringField
            field.kwargs["widget"] = BS3TextFieldWidget()
            field.kwargs.pop("places", None)
            field.kwargs["validators"] = [v for v in field.kwargs.get("validators", [])
                                          if not isinstance(v, NumberRange)]
        elif field.field_class is FileField:
            # A refused form keeps the file chosen (views.forms).
            field.field_class = PendingFileField
        if issubclass(field.field_class, BooleanField) or name in optional:
            # A NOT NULL boolean became a required checkbox (unticking it was impossible), and a
            # NOT NULL column with a default or a service-generated value is not the user's to fill.
            field.kwargs["validators"] = _without_required(field.kwargs.get("validators", []))
