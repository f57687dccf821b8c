/* The small maps of the asset and area pages: the place among its surroundings. Every element
 * with data-minimap becomes a map; it names JSON script elements in its data attributes:
 *   data-surroundings  a FeatureCollection from registry.selectors.area_surroundings, each
 *                      feature with a role: focus (the area), parent (its township or county),
 *                      neighbour (areas beside it), child (areas below it);
 *   data-geometry      (optional) the asset's own geometry, drawn on top and kept in view;
 *   data-pick          (optional) the map is for tapping a position: areas open no page.
 * Names are labels at each area's label point; labels that would overlap are hidden, the
 * area's own first. A click on a neighbouring or lower area opens its page. */
(function () {
  "use strict";

  var STYLE = {
    parent: { color: "#8d6e63", weight: 2, fillColor: "#fff3e0", fillOpacity: 0.45 },
    neighbour: { color: "#a1887f", weight: 1, fillColor: "#fffaf3", fillOpacity: 0.5 },
    child: { color: "#a1887f", weight: 1, fillColor: "#fffaf3", fillOpacity: 0.35 },
    focus: { color: "#b03a2e", weight: 2.5, fillColor: "#f5b7b1", fillOpacity: 0.3 },
  };
  // Drawn bottom to top; labels are kept in the opposite order (the focus's first).
  var ROLES = ["parent", "neighbour", "child", "focus"];
  var ASSET = { color: "#c0392b", weight: 4, fillColor: "#e74c3c", fillOpacity: 0.5 };

  function readJson(id) {
    var node = id && document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function roleLayer(map, features, role, picking) {
    // On a map for picking a position (data-pick) a tap places the point, never opens a page.
    var clickable = !picking && (role === "neighbour" || role === "child");
    return L.geoJSON({ type: "FeatureCollection", features: features }, {
      interactive: clickable,
      style: function () { return STYLE[role]; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {
          radius: role === "focus" ? 6 : 4, color: STYLE[role].color, weight: 1.5,
          fillColor: STYLE[role].color, fillOpacity: 0.8,
        });
      },
      onEachFeature: function (feature, layer) {
        layer.feature = feature;
        if (clickable && feature.properties.url) {
          layer.on("click", function () { window.location.href = feature.properties.url; });
        }
      },
    }).addTo(map);
  }

  function labelsFor(map, features, role) {
    return features.filter(function (f) { return f.properties.lat !== null && f.properties.name; })
      .map(function (f) {
        var tooltip = L.tooltip({
          permanent: true, direction: "center", interactive: false,
          className: "minimap-label minimap-label-" + role,
        }).setLatLng([f.properties.lat, f.properties.lon]).setContent(
          document.createTextNode(f.properties.name)
        );
        tooltip.role = role;
        tooltip.addTo(map);
        return tooltip;
      });
  }

  /* Hide labels that overlap one already shown or that stand outside the map. */
  function declutter(map, tooltips) {
    var shown = [];
    var frame = map.getContainer().getBoundingClientRect();
    tooltips.forEach(function (tooltip) {
      var el = tooltip.getElement();
      if (!el) return;
      el.style.visibility = "";
      var r = el.getBoundingClientRect();
      var outside = r.left < frame.left || r.right > frame.right || r.top < frame.top || r.bottom > frame.bottom;
      var clash = shown.some(function (s) {
        return r.left < s.right + 2 && r.right + 2 > s.left && r.top < s.bottom && r.bottom > s.top;
      });
      if (outside || clash) el.style.visibility = "hidden"; else shown.push(r);
    });
  }

  function draw(el) {
    var surroundings = readJson(el.dataset.surroundings) || { features: [] };
    var geometry = readJson(el.dataset.geometry);
    var map = L.map(el, { attributionControl: false, scrollWheelZoom: false, zoomSnap: 0.25 });
    var layers = {};
    var tooltips = [];
    ROLES.forEach(function (role) {
      var features = surroundings.features.filter(function (f) { return f.properties.role === role; });
      layers[role] = roleLayer(map, features, role, el.hasAttribute("data-pick"));
    });
    // Named: the areas around, and the area itself unless the areas below it are named. The
    // parent is not: its label point lies in one of the areas shown, which would read wrong.
    // (A village's groups are points: the village keeps its name among them.)
    var hasChildren = surroundings.features.some(function (f) {
      return f.properties.role === "child" && f.geometry && /Polygon/.test(f.geometry.type);
    });
    ["focus", "child", "neighbour"].forEach(function (role) {
      if (role === "focus" && hasChildren) return;
      var features = surroundings.features.filter(function (f) { return f.properties.role === role; });
      tooltips = tooltips.concat(labelsFor(map, features, role));
    });
    var asset = null;
    if (geometry) {
      // Above the names: an asset beside its village's label point must not hide under it.
      map.createPane("asset").style.zIndex = 660;
      asset = L.geoJSON(geometry, {
        interactive: false,
        pane: "asset",
        style: function () { return ASSET; },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, {
            pane: "asset", radius: 7, color: "#fff", weight: 2, fillColor: ASSET.color, fillOpacity: 1,
          });
        },
      }).addTo(map);
      el.dataset.assetDrawn = "1";
    }

    // Frame the area (and the asset) with room around it for the neighbours; a point alone
    // gets a fixed neighbourhood-sized view rather than the closest zoom.
    var bounds = L.latLngBounds([]);
    if (layers.focus.getLayers().length) bounds.extend(layers.focus.getBounds());
    if (asset) bounds.extend(asset.getBounds());
    if (!bounds.isValid() && layers.parent.getLayers().length) bounds = layers.parent.getBounds();
    if (!bounds.isValid()) {
      map.setView([30.8, 108.4], 9);
    } else if (bounds.getNorthEast().equals(bounds.getSouthWest())) {
      map.setView(bounds.getCenter(), 14);
    } else {
      // An area with areas below it fills the map; a village leaves room for its neighbours.
      map.fitBounds(bounds.pad(hasChildren ? 0.02 : 0.3), { maxZoom: 16 });
    }
    L.control.scale({ imperial: false }).addTo(map);
    declutter(map, tooltips);
    map.on("zoomend moveend", function () { declutter(map, tooltips); });
    el.dataset.ready = "1";
    el.atlasMap = map;
    el.atlasLayers = layers;
  }

  document.querySelectorAll("[data-minimap]").forEach(draw);
})();
