// DRF's browsable API: the dropdown button that picks a GET request's format shows
// only a caret; name it for screen readers (templates/rest_framework/api.html).
(function () {
  "use strict";
  var script = document.currentScript;
  var label = script && script.getAttribute("data-format-label");
  if (!label) return;
  document.querySelectorAll(".format-selection .dropdown-toggle").forEach(function (button) {
    button.setAttribute("aria-label", label);
  });
})();
