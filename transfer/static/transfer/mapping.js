// The mapping step: say at once what new assets still lack as columns are chosen and values for
// the whole file are given (the server says the same when the page comes back).
(function () {
  "use strict";
  var form = document.querySelector("[data-testid=mapping-form]");
  var box = document.querySelector("[data-testid=mapping-summary]");
  if (!form || !box) return;
  var required = JSON.parse(document.getElementById("mapping-required").textContent);
  function update() {
    var present = {};
    form.querySelectorAll("select[name^=col_]").forEach(function (s) { if (s.value) present[s.value] = true; });
    form.querySelectorAll("[name^=fixed_]").forEach(function (input) {
      if (input.value) present[input.name.slice(6)] = true;
    });
    if (present.township || present.village) present.area_code = true;  // names give the area too
    var missing = Object.keys(required).filter(function (key) { return !present[key]; })
      .map(function (key) { return required[key]; });
    box.textContent = missing.length ? box.dataset.missingText.replace("%(missing)s", missing.join("、")) : box.dataset.completeText;
    box.classList.toggle("warn", missing.length > 0);
    box.classList.toggle("ok", missing.length === 0);
    // Each particular once: a second column choosing it is flagged before the server says so.
    var seen = {};
    form.querySelectorAll("select[name^=col_]").forEach(function (s) {
      var clash = s.value && seen[s.value];
      s.classList.toggle("clash", !!clash);
      if (s.value) seen[s.value] = true;
    });
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
