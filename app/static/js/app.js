// Site-wide behaviour. Loaded as a file (no inline script) so the CSP can forbid inline code.
(function () {
  "use strict";

  function flash(message) {
    var box = document.getElementById("flashes");
    if (!box) { return; }
    var div = document.createElement("div");
    div.className = "flash flash-error";
    div.setAttribute("role", "alert");
    div.textContent = message;
    box.appendChild(div);
  }

  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    if (status === 403) { flash("无权执行该操作。"); }
    else if (status === 404) { flash("内容不存在或不在您的管辖范围内。"); }
    else if (status >= 500) { flash("服务器处理出错，请稍后重试。"); }
    else { flash("请求未能完成（状态码 " + status + "）。"); }
  });

  // Enter in a live search box (the industry picker) searches; it must not submit the surrounding form.
  document.addEventListener("keydown", function (evt) {
    var el = evt.target;
    if (evt.key === "Enter" && el.matches && el.matches("input[type=search][hx-get]")) {
      evt.preventDefault();
      htmx.trigger(el, "search");
    }
  });

  // A 打印 button (data-print) on the printable pages.
  document.addEventListener("click", function (evt) {
    if (evt.target.closest && evt.target.closest("[data-print]")) { window.print(); }
  });

  document.addEventListener("htmx:sendError", function () {
    flash("无法连接服务器，请检查网络后重试。");
  });
})();
