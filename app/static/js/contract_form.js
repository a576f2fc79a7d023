// 合同备案: choosing the 采购项目 reloads the form for that project (only its 备案明细, the
// 用款计划 it uses and, for an engineering project, its 农民工工资专用账户). What was typed in
// the other fields is carried over in sessionStorage; the lines and amounts belong to the plan.
(function () {
  var plan = document.getElementById("plan");
  if (!plan || !plan.form || !window.jQuery) { return; }
  var key = "contract-form:" + location.pathname;
  var kept = ["code", "name", "supplier", "amount", "signed_on", "total_contracts",
              "total_amount"];
  var saved = sessionStorage.getItem(key);
  if (saved) {
    sessionStorage.removeItem(key);
    var values = JSON.parse(saved);
    kept.forEach(function (id) {
      var input = document.getElementById(id);
      if (input && values[id]) { input.value = values[id]; }
    });
  }
  var shown = plan.value;
  // select2 reports a choice with jQuery's change event, not a native one.
  window.jQuery(plan).on("change", function () {
    if (plan.value === shown) { return; }
    var typed = {};
    kept.forEach(function (id) {
      var input = document.getElementById(id);
      if (input) { typed[id] = input.value; }
    });
    sessionStorage.setItem(key, JSON.stringify(typed));
    var url = new URL(location.href);
    url.searchParams.set("plan", plan.value);
    location.assign(url.toString());
  });
}());
