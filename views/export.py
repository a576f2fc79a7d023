"""导出Excel of a list page or a list API: the rows the list would show, every page of them.

The export runs the list's own query (base filters, the user's filters, the same sort) in
batches and writes an openpyxl write-only workbook to a temporary file, so that memory stays
flat whatever the number of rows; the file is then streamed to the caller.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from itertools import islice
from typing import IO, Any

from flask import Response, send_file
from flask_appbuilder import expose, has_access
from flask_appbuilder.api import get_list_schema, rison, safe
from flask_appbuilder.exceptions import FABException
from flask_appbuilder.security.decorators import permission_name, protect
from flask_appbuilder.urltools import get_filter_args, get_order_args
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from app.timezone import business_today, to_business
from views.labels import _page_classes

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows fetched and converted at a time: the memory of one batch, whatever the total.
BATCH = 500

Formatter = Callable[[Any], Any]
# openpyxl's stubs type WriteOnlyCell as a function taking no Decimal or date, both of which it
# writes as numbers.
new_cell: Callable[..., Any] = WriteOnlyCell


def cell(sheet: WriteOnlyWorksheet, value: Any, formatter: Formatter | None) -> Any:
    """One cell: money as a number with two decimals, dates as dates, the rest as the page
    shows it (its formatter), always as text (a leading ``=`` is not a formula)."""
    if isinstance(value, Decimal):
        found = new_cell(sheet, value=value)
        found.number_format = MONEY_FORMAT
        return found
    if isinstance(value, datetime):
        found = new_cell(sheet, value=to_business(value).replace(tzinfo=None))
        found.number_format = DATETIME_FORMAT
        return found
    if isinstance(value, date):
        found = new_cell(sheet, value=value)
        found.number_format = DATE_FORMAT
        return found
    if value is None or value == "":
        return new_cell(sheet, value=None)
    if isinstance(value, Enum):
        value = value.value
    shown = formatter(value) if formatter is not None else value
    if isinstance(value, int) and not isinstance(value, bool) and str(shown) == str(value):
        return new_cell(sheet, value=value)  # a count or a year: a number as shown
    if isinstance(value, bool) and formatter is None:
        shown = "是" if value else "否"
    text = Markup(shown).striptags() if isinstance(shown, Markup) else str(shown)
    found = new_cell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    found.data_type = "s"  # never a formula, whatever the text begins with
    return found


def batches(query: Any, size: int = BATCH) -> Iterator[list[Any]]:
    """The query's records, ``size`` at a time, fetched as they are read."""
    rows = iter(query.yield_per(size))
    while batch := list(islice(rows, size)):
        yield batch


def workbook(title: str, headers: list[str], rows: Iterable[list[Any]],
             formatters: list[Formatter | None]) -> IO[bytes]:
    """A write-only workbook of one sheet in a temporary file, positioned at its start."""
    book = Workbook(write_only=True)
    # A sheet's name has at most 31 characters and none of []:*?/\
    name = re.sub(r"[\[\]:*?/\\]", "", ILLEGAL_CHARACTERS_RE.sub("", title))[:31]
    sheet = book.create_sheet(title=name or "Sheet1")
    bold = Font(bold=True)
    titles = []
    for header in headers:
        head = new_cell(sheet, value=header)
        head.font = bold
        titles.append(head)
    sheet.append(titles)
    for row in rows:
        sheet.append([cell(sheet, value, shown) for value, shown in
                      zip(row, formatters, strict=True)])
    stream = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response that sends it
    book.save(stream)
    stream.seek(0)
    return stream


def download(title: str, stream: IO[bytes]) -> Response:
    """The workbook as an attachment named in Chinese (RFC 5987 ``filename*``)."""
    name = f"{title}_{business_today():%Y%m%d}.xlsx"
    answer = send_file(stream, mimetype=XLSX, as_attachment=True, download_name=name,
                       max_age=0)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def export_rows(datamodel: Any, query: Any, columns: list[str]) -> Iterator[list[Any]]:
    """The raw values of ``columns`` for every record of ``query``, batch by batch (through
    the view's interface, which may add derived values per batch)."""
    for batch in batches(query):
        for values in datamodel.get_values(batch, columns):
            yield [values[column] for column in columns]


def export_workbook(view: Any, joined_filters: Any, order_column: str, order_direction: str,
                    columns: list[str], formatters: dict[str, Formatter]) -> Response:
    """Answer the export of ``view``'s records matching ``joined_filters``, in that order."""
    datamodel = view.datamodel
    query = datamodel.apply_all(datamodel.session.query(datamodel.obj), joined_filters,
                                order_column, order_direction)
    title = str(view.list_title or "")
    headers = [str(view.label_columns.get(column, column)) for column in columns]
    stream = workbook(title, headers, export_rows(datamodel, query, columns),
                      [formatters.get(column) for column in columns])
    return download(title, stream)


class ExportList:
    """Mixin of a list page: 导出Excel of its filtered rows, for whoever may see the list."""

    list_template = "export/list.html"
    # The list's columns by default; a page leaves out what is no data (a column of buttons).
    export_columns: list[str] | None = None
    # FAB's attributes this mixin reads.
    _base_filters: Any
    _filters: Any
    base_order: Any
    formatters_columns: dict[str, Formatter]
    list_columns: list[str]
    order_columns: list[str]

    def offered_order(self, column: str, direction: str) -> tuple[str, str]:
        """The sort a request asks for when the page offers it, else the page's own order
        (FAB would put any name in ORDER BY, a property's too: a 500)."""
        if column in self.order_columns and direction in ("asc", "desc"):
            return column, direction
        return tuple(self.base_order or ("", ""))

    @expose("/export/")
    @has_access
    @permission_name("list")
    def export(self) -> Response:
        """The list's rows (base filters, the user's filters and sort), every page of them."""
        get_filter_args(self._filters)
        order_column, order_direction = self.offered_order(
            *get_order_args().get(type(self).__name__, ("", "")))
        joined = self._filters.get_joined_filters(self._base_filters)
        return export_workbook(self, joined, order_column, order_direction,
                               list(self.export_columns or self.list_columns),
                               self.formatters_columns)


def page_formatters(model: type) -> dict[str, Formatter]:
    """How the pages of ``model`` show its columns (status labels, …), for its API's export."""
    found: dict[str, Formatter] = {}
    for page in _page_classes(ExportList):
        datamodel = page.__dict__.get("datamodel")
        if datamodel is not None and getattr(datamodel, "obj", None) is model:
            found.update(page.__dict__.get("formatters_columns", {}))
    return found


class ExportApi:
    """Mixin of a list API: ``GET …/export?q=`` answers the list's rows as 导出Excel."""

    # FAB's attributes and handlers this mixin uses.
    datamodel: Any
    list_columns: list[str]
    _handle_filters_args: Callable[[dict[str, Any]], Any]
    _handle_order_args: Callable[[dict[str, Any]], tuple[str, str]]
    response_400: Callable[..., Response]

    @expose("/export", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @rison(get_list_schema)
    def export(self, **kwargs: Any) -> Response:
        """导出Excel of the list, with the list's filters and order.
        ---
        get:
          description: 与列表相同范围、筛选和排序的全部记录，Excel 文件（xlsx）。
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_list_schema'
          responses:
            200:
              description: Excel 文件
              content:
                application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: {}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        args = kwargs.get("rison", {})
        try:
            joined = self._handle_filters_args(args)
            order_column, order_direction = self._handle_order_args(args)
        except FABException as exc:
            return self.response_400(message=str(exc))
        return export_workbook(self, joined, order_column, order_direction,
                               list(self.list_columns), page_formatters(self.datamodel.obj))
