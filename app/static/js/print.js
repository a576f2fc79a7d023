// 打印 button of a printable page: a listener here, since the CSP runs no inline onclick.
document.querySelectorAll(".print-page").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
