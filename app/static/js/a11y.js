// 无障碍 (GB/T 37668 / WCAG 2 AA): accessible names for the controls FAB's scripts and Select2
// build without one. Runs on load and on every change of the page (filters are added later).
(function () {
  "use strict";

  function text(el) { return (el ? el.textContent : "").replace(/[×\s]+/g, " ").trim(); }

  // The label a person sees for a control: <label for>, else its row's header cell.
  function visibleLabel(control) {
    if (control.id) {
      var label = document.querySelector('label[for="' + CSS.escape(control.id) + '"]');
      if (label) { return text(label); }
    }
    var row = control.closest("tr");
    var header = row && row.querySelector("th");
    return header ? text(header).replace(/\s*\*$/, "") : control.getAttribute("aria-label") || "";
  }

  function name(el, label) {
    if (label && !el.hasAttribute("aria-label") && !el.hasAttribute("aria-labelledby")) {
      el.setAttribute("aria-label", label);
    }
  }

  function label(root) {
    // 搜索: each filter row is 列名 / 条件 / 值.
    root.querySelectorAll("table.filters tr").forEach(function (row) {
      var column = text(row.querySelector(".remove-filter"));
      name(row.querySelector(".remove-filter"), "删除筛选条件：" + column);
      name(row.querySelector("select.filter-op"), column + " 筛选方式");
      row.querySelectorAll(".filter_val").forEach(function (el) { name(el, column); });
    });
    // List rows' checkboxes for the actions.
    root.querySelectorAll("input#check_all").forEach(function (el) { name(el, "全选"); });
    root.querySelectorAll("input.action_check").forEach(function (el) {
      var row = el.closest("tr");
      var cells = row ? Array.prototype.slice.call(row.querySelectorAll("td")) : [];
      var first = cells.map(text).filter(function (t) { return t; })[0] || el.value;
      name(el, "选择：" + first);
    });
    // Select2 replaces a <select> by a box of its own: it takes the select's name.
    root.querySelectorAll(".select2-container").forEach(function (box) {
      var select = box.previousElementSibling;
      if (!select || select.tagName !== "SELECT") { return; }
      var label = select.getAttribute("aria-label") || visibleLabel(select);
      box.querySelectorAll('[role="combobox"], [role="textbox"]').forEach(function (el) {
        name(el, label);
      });
    });
  }

  function run() { label(document); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      // Bootstrap's collapse marks the folding panel itself aria-expanded, which a <div> may
      // not carry; its toggle (a link or button) keeps the state, as ARIA wants.
      var el = change.target;
      if (change.type === "attributes" && el.hasAttribute("aria-expanded")
          && el.matches(".collapse, .collapsing, .panel-collapse, .navbar-collapse")) {
        el.removeAttribute("aria-expanded");
      }
    });
    run();
  }).observe(document.documentElement, {childList: true, subtree: true, attributes: true,
                                         attributeFilter: ["aria-expanded"]});
})();
