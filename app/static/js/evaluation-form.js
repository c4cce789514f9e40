// The stepped evaluation form. Loaded as a file (no inline script): the CSP forbids inline code.
(function () {
  "use strict";
  // 无 in a multi-choice question: choosing it clears the others, choosing another clears 无.
  document.addEventListener("change", function (evt) {
    var box = evt.target;
    if (!box.matches || !box.matches(".question input[type=checkbox]") || !box.checked) { return; }
    var group = document.querySelectorAll('.question input[type=checkbox][name="' + box.name + '"]');
    Array.prototype.forEach.call(group, function (other) {
      if (other !== box && (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive"))) { other.checked = false; }
    });
  });
})();
