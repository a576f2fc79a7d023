"""Checks of loaded chains that need no database: the names they use and the shape of each graph.

Start-up (the registry) and ``flask workflows check`` both call :func:`check_structure`, so a
rule lives here once; every problem names its exact YAML path.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from workflow.conditions import field_paths
from workflow.graph import lint
from workflow.schema import Workflow


def _known(names: Collection[str]) -> str:
    return "、".join(sorted(names)) or "无"


def _references(name: str, workflow: Workflow, hooks: Collection[str] | None,
                records: Mapping[str, Collection[str]] | None) -> list[str]:
    base = f"workflows.{name}"
    problems: list[str] = []
    if records is not None:
        fields = records.get(workflow.record)
        if fields is None:
            problems.append(f"{base}.record: 未注册的业务对象“{workflow.record}”"
                            f"（已注册：{_known(records)}）")
        else:
            for index, step in enumerate(workflow.steps):
                for path, field in field_paths(step.when, f"{base}.steps[{index}].when"):
                    if field not in fields:
                        problems.append(
                            f"{path}: 业务对象“{workflow.record}”没有字段“{field}”"
                        )
    if hooks is not None:
        for index, hook in enumerate(workflow.on_complete):
            if hook not in hooks:
                problems.append(f"{base}.on_complete[{index}]: 未注册的完成钩子“{hook}”"
                                f"（已注册：{_known(hooks)}）")
    return problems


def check_references(workflows: Mapping[str, Workflow], hooks: Collection[str] | None = None,
                     records: Mapping[str, Collection[str]] | None = None) -> list[str]:
    """What the chains name that Python must define: record types, their fields and hooks.

    Every condition is walked through ``all``/``any``/``not`` down to each ``field``.

    :param workflows: the chains by name, as in ``workflows.yaml``
    :param hooks: names of the registered completion hooks; ``None`` skips that check
    :param records: each registered record type's condition field names, by record type;
        ``None`` skips the record type and field checks
    :returns: ``path: what is wrong`` for each problem, in file order; empty when all is well
    """
    return [problem for name, workflow in workflows.items()
            for problem in _references(name, workflow, hooks, records)]


def check_structure(workflows: Mapping[str, Workflow], hooks: Collection[str],
                    records: Mapping[str, Collection[str]]) -> list[str]:
    """Every problem that needs no database: :func:`check_references` and the graph lint.

    The graph lint finds steps that cannot be reached and steps from which the chain cannot end.

    :param workflows: the chains by name, as in ``workflows.yaml``
    :param hooks: names of the registered completion hooks
    :param records: each registered record type's condition field names, by record type
    :returns: ``path: what is wrong`` for each problem, chain by chain; empty when all is well
    """
    return [problem for name, workflow in workflows.items()
            for problem in _references(name, workflow, hooks, records) + lint(name, workflow)]
