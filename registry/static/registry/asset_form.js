/* The asset form: offer only the sub-types of the chosen class (its drawing map is draw_map.js,
 * shared with the need and project forms). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("asset-form-data").textContent);
  var classSelect = document.getElementById("id_asset_class");
  var subtypeSelect = document.getElementById("id_subtype");
  var allSubtypes = Array.prototype.map.call(subtypeSelect.options, function (o) {
    return { value: o.value, label: o.textContent };
  });

  function filterSubtypes() {
    var allowed = data.subtypes[classSelect.value] || [];
    var current = subtypeSelect.value;
    subtypeSelect.innerHTML = "";
    allSubtypes.forEach(function (o) {
      if (o.value === "" || allowed.indexOf(o.value) !== -1) {
        var option = new Option(o.label, o.value, false, o.value === current);
        subtypeSelect.add(option);
      }
    });
  }
  classSelect.addEventListener("change", filterSubtypes);
  filterSubtypes();
})();
