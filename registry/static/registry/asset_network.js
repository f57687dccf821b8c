/* The asset form's network section (网络属性): shown when the asset drawn is a line, when its
 * sub-type is one of the networks' (road, water supply, power, network facility), when the
 * asset already carries network attributes, and always while the section holds a value (what
 * is posted is never hidden). The road grade and surface are offered only for a road. Without
 * this script the section simply stays visible. */
(function () {
  "use strict";
  var section = document.getElementById("network-section");
  var dataNode = document.getElementById("asset-form-data");
  if (!section || !dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var subtype = document.getElementById("id_subtype");
  var geom = document.getElementById("id_geom");
  var type = document.getElementById("id_network_type");
  var roadOnly = ["id_grade", "id_surface"].map(function (id) {
    return document.getElementById(id);
  });
  var valueFields = ["id_network_type", "id_grade", "id_surface", "id_width_m", "id_built_year"]
    .map(function (id) { return document.getElementById(id); })
    .filter(Boolean);

  function drawnType() {
    if (!geom || !geom.value) return "";
    try {
      var parsed = JSON.parse(geom.value);
      return (parsed && parsed.type) || "";
    } catch (e) {
      return /^\s*(SRID=\d+;)?\s*(MULTI)?LINESTRING/i.test(geom.value) ? "LineString" : "";
    }
  }

  function holdsValue() {
    return valueFields.some(function (field) { return field.value !== ""; });
  }

  function update() {
    var line = /LineString$/.test(drawnType());
    var networkSubtype = subtype && data.networkSubtypes.indexOf(subtype.value) !== -1;
    var show = section.dataset.open === "1" || line || networkSubtype || holdsValue();
    section.hidden = !show;
    // Grade and surface belong to roads: dimmed (not hidden, their values still post) for others.
    var road = type && /_road$/.test(type.value);
    roadOnly.forEach(function (field) {
      if (!field) return;
      var wrapper = field.closest(".field");
      if (wrapper) wrapper.classList.toggle("not-applicable", !!type.value && !road && field.value === "");
    });
  }

  [subtype, type].concat(valueFields).forEach(function (field) {
    if (field) field.addEventListener("change", update);
  });
  if (geom) geom.addEventListener("change", update);
  window.addEventListener("map:init", function (event) {
    // django-leaflet writes the drawn shape into #id_geom in its own handler of these events:
    // read it once that handler has run.
    event.detail.map.on("draw:created draw:edited draw:deleted", function () {
      window.setTimeout(update, 0);
    });
  });
  update();
})();
