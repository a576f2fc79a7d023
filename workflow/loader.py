"""Read ``workflows.yaml``, validate it, and explain every error by its exact path."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from workflow.checks import check_references
from workflow.schema import Action, ActionKind, Workflow, WorkflowFile

PYDANTIC_MESSAGES = {
    "extra_forbidden": "不允许的键",
    "missing": "缺少必填项",
    "string_pattern_mismatch": "只能由小写字母、数字和下划线组成，以字母开头",
    "too_short": "至少需要{min_length}项",
    "string_too_short": "不能为空",
    "enum": "取值只能是 {expected}",
    "literal_error": "取值只能是 {expected}",
    "bool_type": "必须是 true 或 false",
    "int_type": "必须是整数",
    "int_parsing": "必须是整数",
    "greater_than_equal": "必须大于或等于 {ge}",
    "string_type": "必须是文字",
    "dict_type": "必须是映射（键: 值）",
    "model_type": "必须是映射（键: 值）",
    "list_type": "必须是列表",
    "union_tag_invalid": "条件格式不正确",
}


class WorkflowConfigError(ValueError):
    """``workflows.yaml`` is invalid; every problem is listed with its path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def format_path(loc: Iterable[Any]) -> str:
    """``('workflows', 'x', 'steps', 2, 'to')`` → ``workflows.x.steps[2].to``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.startswith("@"):
            continue  # a union tag, not a key of the file
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe(error: ErrorDetails) -> str:
    template = PYDANTIC_MESSAGES.get(error["type"])
    if template is None:
        return str(error["msg"])
    context = {k: str(v).replace(" or ", "、") for k, v in error.get("ctx", {}).items()}
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return template


def definition_hash(workflow: Workflow) -> str:
    """The version of a definition: a hash of its canonical content."""
    canonical = json.dumps(
        workflow.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class WorkflowSet:
    """The validated workflows with their versions."""

    workflows: Mapping[str, Workflow]
    hashes: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Workflow:
        """The workflow called ``name``; raises KeyError if there is none."""
        return self.workflows[name]

    def for_record(self, record: str) -> tuple[str, Workflow]:
        """The workflow that governs a business object, by its record name."""
        for name, workflow in self.workflows.items():
            if workflow.record == record:
                return name, workflow
        raise KeyError(record)


def _check_semantics(name: str, workflow: Workflow) -> list[str]:
    base = f"workflows.{name}"
    problems: list[str] = []
    ids = [step.id for step in workflow.steps]
    for index, step in enumerate(workflow.steps):
        where = f"{base}.steps[{index}]"
        if ids.count(step.id) > 1:
            problems.append(f"{where}.id: 步骤“{step.id}”重复")
        action_ids = [a.id for a in step.actions]
        for a_index, action in enumerate(step.actions):
            at = f"{where}.actions[{a_index}]"
            if action_ids.count(action.id) > 1:
                problems.append(f"{at}.id: 动作“{action.id}”在本步骤中重复")
            problems += _check_action(action, at, ids, index)
    return problems


def _check_action(action: Action, at: str, ids: list[str], index: int) -> list[str]:
    problems: list[str] = []
    if action.kind is ActionKind.return_to_step:
        if action.to is None:
            problems.append(f"{at}.to: 退回到指定步骤时必须填写 to")
        elif action.to not in ids[:index]:
            problems.append(f"{at}.to: “{action.to}”不是本步骤之前的步骤")
    elif action.to is not None:
        problems.append(f"{at}.to: 只有 return_to_step 动作可以填写 to")
    if action.kind is not ActionKind.approve and (action.next or action.choices):
        problems.append(f"{at}: 只有 approve 动作可以填写 next 或 choices")
    if action.kind is not ActionKind.approve and action.opinion_required is False:
        problems.append(f"{at}.opinion_required: 退回必须填写审批意见，不能设为 false")
    if action.choices and action.next is not None:
        problems.append(f"{at}.next: 有 choices 时由选项的 next 决定下一步，不能再填写 next")
    targets = [(f"{at}.next", action.next)] + [
        (f"{at}.choices[{c}].options[{o}].next", option.next)
        for c, choice in enumerate(action.choices)
        for o, option in enumerate(choice.options)
    ]
    for path, target in targets:
        if target not in (None, "end") and target not in ids[index + 1:]:
            problems.append(f"{path}: “{target}”不是本步骤之后的步骤（只能向后跳转或填 end）")
    return problems


def parse_workflows(text: str, hooks: Collection[str] | None = None,
                    records: Mapping[str, Collection[str]] | None = None) -> WorkflowSet:
    """Validate the YAML ``text`` of a workflows file.

    :param text: the file's content
    :param hooks: names of the registered completion hooks; ``None`` skips that check
    :param records: each registered record type's condition field names, by record type;
        ``None`` skips the record type and field checks (see
        :func:`workflow.checks.check_references`)
    :raises WorkflowConfigError: listing each problem as ``path: what is wrong``
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行第{mark.column + 1}列" if mark else "文件"
        problem = getattr(exc, "problem", exc)
        raise WorkflowConfigError([f"{where}: YAML 格式错误：{problem}"]) from None
    try:
        parsed = WorkflowFile.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise WorkflowConfigError(
            [f"{format_path(e['loc']) or '(根)'}: {_describe(e)}" for e in exc.errors()]
        ) from None
    problems = [p for n, wf in parsed.workflows.items() for p in _check_semantics(n, wf)]
    problems += check_references(parsed.workflows, hooks, records)
    governed = [wf.record for wf in parsed.workflows.values()]
    for name, workflow in parsed.workflows.items():
        if governed.count(workflow.record) > 1:
            problems.append(f"workflows.{name}.record: 业务对象“{workflow.record}”有多个流程")
    if problems:
        raise WorkflowConfigError(problems)
    workflows = dict(parsed.workflows)
    return WorkflowSet(workflows, {n: definition_hash(wf) for n, wf in workflows.items()})


def load_workflows(path: str | Path, hooks: Collection[str] | None = None,
                   records: Mapping[str, Collection[str]] | None = None) -> WorkflowSet:
    """Read and validate a workflows file; see :func:`parse_workflows`."""
    return parse_workflows(Path(path).read_text(encoding="utf-8"), hooks, records)
