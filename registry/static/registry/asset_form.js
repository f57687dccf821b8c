/* The asset form: offer only the sub-types of the chosen class, and give the drawing map our own
 * boundaries (it has no basemap offline) centred on the chosen location. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("asset-form-data").textContent);
  var classSelect = document.getElementById("id_asset_class");
  var subtypeSelect = document.getElementById("id_subtype");
  var areaSelect = document.getElementById("id_area");
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

  window.addEventListener("map:init", function (event) {
    var map = event.detail.map;
    var outlines = L.geoJSON(data.reference, {
      interactive: false,
      style: { color: "#8d6e63", weight: 1.2, fillColor: "#fff3e0", fillOpacity: 0.45 },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 4, color: "#1b5e20", weight: 1, fillColor: "#43a047", fillOpacity: 0.9, interactive: false })
          .bindTooltip(f.properties.name, { permanent: data.reference.features.length <= 30, direction: "top" });
      },
    }).addTo(map);
    outlines.bringToBack();
    function centre() {
      var point = data.points[areaSelect.value];
      if (point) map.setView([point[1], point[0]], 14);
      else if (outlines.getBounds().isValid()) map.fitBounds(outlines.getBounds());
    }
    areaSelect.addEventListener("change", centre);
    if (!data.hasGeometry) centre();
  });
})();
