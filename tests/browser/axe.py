"""axe-core's WCAG 2 A/AA rules run inside a Chromium page: ``assert_accessible(page)``.

GB/T 37668-2019 (信息技术 互联网内容无障碍可访问性技术要求与测试方法) is aligned with WCAG 2.0
AA; the rules tagged wcag2a/wcag2aa/wcag21a/wcag21aa cover it. axe-core comes from the npm
registry (tests/browser/npm, installed by ``make browser-deps``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).parent / "npm" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """async (tags) => {
  const result = await window.axe.run(document, {runOnly: {type: "tag", values: tags},
                                                  resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                                summary: n.failureSummary}))}));
}"""


@cache
def axe_source() -> str:
    """axe.min.js; skips the test when ``make browser-deps`` has not installed it."""
    if not AXE.exists():
        pytest.skip("axe-core 未安装：请运行 make browser-deps")
    return AXE.read_text(encoding="utf-8")


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's WCAG 2 A/AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated by the browser's debugger, not a <script>: the page's CSP does not apply.
        page.evaluate(axe_source() + "\n;0")
    found: list[dict[str, Any]] = page.evaluate(RUN, WCAG_TAGS)
    return found


def describe(found: list[dict[str, Any]]) -> str:
    """One readable block per violated rule, naming each element it failed on."""
    lines = []
    for rule in found:
        lines.append(f"[{rule['impact']}] {rule['id']}: {rule['help']}")
        for node in rule["nodes"]:
            lines.append(f"    {node['target']}  {node['html']}")
            lines.extend(f"        {part}" for part in (node["summary"] or "").splitlines())
    return "\n".join(lines)


def assert_accessible(page: Any, where: str = "") -> None:
    """Fail with every WCAG 2 A/AA violation axe-core finds on the page as it is now."""
    found = violations(page)
    assert not found, f"无障碍检查未通过：{where or page.url}\n{describe(found)}"
