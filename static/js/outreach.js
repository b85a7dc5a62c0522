/* First-loan outreach list: "select every enterprise on this page", and "all matching the filter", which makes
   the ticks of the page irrelevant (the server then acts on the filter, not on the ticked ids). */
(function () {
  "use strict";

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input.xyd-candidate"));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.getElementById("select-page");
    var all = document.getElementById("all-matching");
    if (page) {
      page.addEventListener("change", function () {
        boxes().forEach(function (box) { if (!box.disabled) { box.checked = page.checked; } });
      });
    }
    if (all) {
      all.addEventListener("change", function () {
        boxes().forEach(function (box) { box.disabled = all.checked; });
        if (page) { page.disabled = all.checked; }
      });
    }
  });
})();
