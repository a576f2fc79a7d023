"""Chinese search filters for every list page: Chinese labels and operation names, statuses as
choice lists, and no "In"/"Not In" (FAB's list-of-values operations) on text.

FAB builds one filter per column and operation and a text search field per column; a status
typed as text had to be the stored code (``draft``), prefilled from the column's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterIn, FilterNotIn
from sqlalchemy import false
from wtforms import SelectField
from wtforms.validators import Optional

from views.labels import chinese_labels
from workflow.engine import STATUS_LABELS

# FAB's operations by their ``arg_name``, as a Chinese list page names them.
OPERATIONS = {
    "sw": "开头是", "nsw": "开头不是", "ew": "结尾是", "new": "结尾不是",
    "ct": "包含", "nct": "不包含", "eq": "等于", "neq": "不等于", "gt": "大于", "lt": "小于",
    "rel_o_m": "等于", "nrel_o_m": "不等于", "rel_m_m": "包含", "in": "属于", "not_in": "不属于",
}
# On a date, 大于/小于 read as later/earlier.
DATE_OPERATIONS = {"gt": "晚于", "lt": "早于"}
# Operations on a list of values: an API passes a list, nobody filling a form can.
LISTS = (FilterIn, FilterNotIn)

# The workflow's statuses, the default choices of a searched ``status`` column.
WORKFLOW_STATUSES = {status.value: label for status, label in STATUS_LABELS.items()}
BLANK_CHOICE = "请选择"


class FilterChoiceEqual(BaseFilter):
    """A choice column equal to the chosen code (or its Chinese label, typed in a link)."""

    name = "等于"
    # Set on a subclass per column (see :func:`choice_filters`): FAB creates filters again
    # from their class with only the column and the interface.
    choices: Mapping[str, str] = {}

    def codes(self, value: Any) -> list[str] | None:
        """The stored codes ``value`` names; ``None`` when nothing was chosen."""
        text = str(value or "").strip()
        if not text:
            return None
        return [code for code, label in self.choices.items() if text in (code, label)]

    def apply(self, query: Any, value: Any) -> Any:
        codes = self.codes(value)
        if codes is None:
            return query
        column = getattr(self.model, self.column_name)
        return query.filter(column.in_(codes)) if codes else query.filter(false())


class FilterChoiceNotEqual(FilterChoiceEqual):
    """A choice column other than the chosen code."""

    name = "不等于"

    def apply(self, query: Any, value: Any) -> Any:
        codes = self.codes(value)
        if not codes:
            return query
        return query.filter(getattr(self.model, self.column_name).not_in(codes))


class ChineseSearch:
    """Mixin of a list page: its search speaks Chinese (see the module's docstring).

    ``choice_columns`` maps a searched column to its stored codes and Chinese labels; a searched
    ``status`` column has the workflow's statuses unless the page declares others.
    """

    choice_columns: Mapping[str, Mapping[str, str]] = {}
    # FAB's attributes this mixin reads and writes.
    datamodel: Any
    label_columns: dict[str, Any]
    search_columns: list[str]
    search_form: Any
    _filters: Any

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for column in self.search_columns:
            chinese_operations(self._filters, self.datamodel, column, lists=False)
        for column, choices in self.searched_choices().items():
            self._choice_filter(column, choices)

    def _gen_labels_columns(self, list_columns: list[str]) -> None:
        # FAB labels an undeclared column in English ("Unit"); the model's pages say it.
        super()._gen_labels_columns(list_columns)  # type: ignore[misc]
        self.label_columns = chinese_labels(self.datamodel.obj, self.label_columns)

    def searched_choices(self) -> dict[str, Mapping[str, str]]:
        """The searched columns offered as choice lists, with their choices."""
        found = {column: choices for column, choices in self.choice_columns.items()
                 if column in self.search_columns}
        if "status" in self.search_columns and "status" not in found:
            found["status"] = WORKFLOW_STATUSES
        return found

    def _choice_filter(self, column: str, choices: Mapping[str, str]) -> None:
        filters = [kind(column, self.datamodel) for kind in choice_filters(choices)]
        self._filters._search_filters[column] = self._filters._all_filters[column] = filters
        # The search field: a choice list starting blank, not a text box with the default code.
        field = SelectField(self.label_columns.get(column, column),
                            choices=[("", BLANK_CHOICE), *choices.items()],
                            validators=[Optional()], default="")
        setattr(self.search_form, column, field)


def choice_filters(choices: Mapping[str, str]) -> list[type[FilterChoiceEqual]]:
    """等于 and 不等于 on a column with these choices."""
    return [type(base.__name__, (base,), {"choices": choices})
            for base in (FilterChoiceEqual, FilterChoiceNotEqual)]


def chinese_operations(filters: Any, datamodel: Any, column: str, lists: bool) -> None:
    """Name FAB's operations on ``column`` in Chinese; without ``lists``, drop In/Not In."""
    dated = datamodel.is_date(column) or datamodel.is_datetime(column)
    for found in (filters._search_filters, filters._all_filters):
        # FAB finds a filter by its index in this list: the list operations are the last.
        kept = [f for f in found.get(column, []) if lists or not isinstance(f, LISTS)]
        for operation in kept:
            if type(operation).__module__.startswith("flask_appbuilder"):
                arg = operation.arg_name or ""
                operation.name = (DATE_OPERATIONS.get(arg) if dated else None) or \
                    OPERATIONS.get(arg, operation.name)
        if column in found:
            found[column] = kept
