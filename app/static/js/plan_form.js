// 采购计划备案: "增加采购内容" adds an empty row, numbered after the last one.
document.getElementById("add-item").addEventListener("click", function () {
  var body = document.querySelector("#items tbody");
  var rows = body.querySelectorAll("tr.item-row");
  var copy = rows[rows.length - 1].cloneNode(true);
  var next = rows.length;
  copy.querySelectorAll("input, select").forEach(function (el) {
    el.name = el.name.replace(/^item-\d+-/, "item-" + next + "-");
    el.setAttribute("aria-label", el.getAttribute("aria-label").replace(/第\d+行/, "第" + (next + 1) + "行"));
    if (el.tagName === "INPUT") { el.value = ""; } else { el.selectedIndex = 0; }
  });
  body.appendChild(copy);
});
