"""Chinese labels for REST resources, from the page of the same model.

FAB names a column without a label in English ("Announced On", "Plan Plan Number"); the API
of a record says what its page says, so the labels are written once, on the page.
"""

from __future__ import annotations

from typing import Any

from flask_appbuilder import ModelView
from sqlalchemy import inspect

# Columns every record has, labelled alike everywhere.
COMMON = {"id": "编号", "status": "状态", "created_on": "创建时间", "changed_on": "修改时间",
          "completed_on": "办结时间"}


def page_labels(model: type) -> dict[str, str]:
    """The Chinese labels the pages of ``model`` declare."""
    found: dict[str, str] = {}
    for view in _page_classes(ModelView):
        datamodel = view.__dict__.get("datamodel")
        if datamodel is not None and getattr(datamodel, "obj", None) is model:
            declared: dict[str, Any] = getattr(view, "label_columns", {})
            found.update({key: str(label) for key, label in declared.items()
                          if not str(label).isascii()})
    return found


def chinese_labels(model: type, labels: dict[str, Any]) -> dict[str, Any]:
    """``labels`` with every English one replaced by its page's (dotted columns by parts)."""
    known = {**COMMON, **page_labels(model)}
    result = dict(labels)
    for key, label in labels.items():
        if str(label).isascii():
            result[key] = known.get(key) or _dotted(model, key, known) or label
    return result


def _dotted(model: type, key: str, known: dict[str, str]) -> str | None:
    """``project.name`` → 项目 + the label of ``name`` on the project's page (项目名称)."""
    head, _, rest = key.partition(".")
    relationships: Any = inspect(model).relationships
    if not rest or head not in relationships:
        return None
    inner = chinese_labels(relationships[head].mapper.class_, {rest: ""})[rest]
    outer = known.get(head, "")
    if not inner:
        return None
    return inner if not outer or inner.startswith(outer) else f"{outer}{inner}"


def _page_classes(base: type) -> list[type]:
    classes: list[type] = []
    child: type
    for child in base.__subclasses__():
        classes.append(child)
        classes.extend(_page_classes(child))
    return classes
