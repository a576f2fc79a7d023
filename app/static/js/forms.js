// 重新选择: drop the file kept from a refused attempt and show the file input again.
document.addEventListener("click", function (event) {
  var button = event.target.closest(".pending-reselect");
  if (!button) { return; }
  var kept = button.closest(".pending-file");
  var input = kept.nextElementSibling;
  kept.remove();
  if (input) {
    input.style.display = "";
    var file = input.querySelector("input[type=file]");
    if (file) { file.click(); }
  }
});
