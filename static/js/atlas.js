/* What every page shares: the top bar's menu on narrow screens. */
(function () {
  "use strict";
  var bar = document.getElementById("topbar");
  var toggle = bar && bar.querySelector(".menu-toggle");
  if (!toggle) return;
  function set(open) {
    bar.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  toggle.addEventListener("click", function () { set(!bar.classList.contains("open")); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") set(false); });
  document.addEventListener("click", function (e) { if (!bar.contains(e.target)) set(false); });
})();

/* Filter boxes fold away on a phone unless a filter is set: the list comes first. */
(function () {
  "use strict";
  if (window.innerWidth >= 700) return;
  document.querySelectorAll("details[data-collapse-narrow]").forEach(function (box) {
    if (!box.querySelector(".badge")) box.removeAttribute("open");
  });
})();
