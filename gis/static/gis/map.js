/* The county map: our own boundaries as the base (works offline), villages and rivers on top.
 * django-leaflet creates the map and calls window.atlasMapInit(map). Layers are GeoJSON from
 * gis/views.py, already restricted to the user's area on the server. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("map-config").textContent);
  var labels = config.labels;
  var LEVEL_STYLE = {
    county: { color: "#5d4037", weight: 3, fill: false, dashArray: "6 4" },
    township: { color: "#8d6e63", weight: 1.2, fillColor: "#fff3e0", fillOpacity: 0.55 },
  };
  var HIGHLIGHT = { weight: 3, color: "#b03a2e", fillOpacity: 0.75 };
  var VILLAGE_LABEL_ZOOM = 12;

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function popupHtml(p) {
    return (
      '<div class="area-popup"><strong class="popup-name">' + escapeHtml(p.name) + "</strong>" +
      '<div>' + labels.code + ': <span class="popup-code">' + escapeHtml(p.code) + "</span></div>" +
      "<div>" + labels.kind + ": " + escapeHtml(p.kind || "") + "</div>" +
      '<a href="' + encodeURI(p.url) + '">' + labels.details + " →</a></div>"
    );
  }

  function fetchLayer(url, params) {
    var query = new URLSearchParams(params || {}).toString();
    return fetch(url + (query ? "?" + query : ""), { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(url + " " + r.status);
      return r.json();
    });
  }

  function polygonLayer(data, level) {
    return L.geoJSON(data, {
      style: function () { return LEVEL_STYLE[level]; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 6, color: "#8d6e63" }); },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(popupHtml(feature.properties));
        if (level === "township") {
          layer.bindTooltip(escapeHtml(feature.properties.name), {
            permanent: true, direction: "center", interactive: true, className: "area-label township-label",
          });
          layer.on("mouseover", function () { layer.setStyle(HIGHLIGHT); });
          layer.on("mouseout", function () { layer.setStyle(LEVEL_STYLE.township); });
        }
      },
    });
  }

  function villageLayer(data) {
    return L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        // Village digits 001-199 are residents' committees (社区), 200-399 villagers' (村).
        var committee = feature.properties.code.charAt(9) < "2";
        return L.circleMarker(latlng, {
          radius: 4, weight: 1, color: "#1b5e20", fillOpacity: 0.9,
          fillColor: committee ? "#fbc02d" : "#43a047",
        });
      },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(popupHtml(feature.properties));
        layer.bindTooltip(escapeHtml(shortName(feature.properties.name)), {
          direction: "top", offset: [0, -4], className: "area-label village-label",
        });
      },
    });
  }

  /* Hide labels that would overlap a label already shown: townships before villages, bigger
   * townships first, so the dense subdistricts round the county seat stay readable; zooming in
   * reveals the rest. */
  function declutterLabels(layers) {
    var shown = [];
    var items = [];
    layers.forEach(function (layer, rank) {
      layer.eachLayer(function (l) {
        var tooltip = l.getTooltip && l.getTooltip();
        if (!tooltip || !tooltip.options.permanent || !tooltip.getElement()) return;
        var size = 0;
        if (l.getBounds) {
          var b = l.getBounds();
          size = (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth());
        }
        items.push({ el: tooltip.getElement(), rank: rank, size: size });
      });
    });
    items.sort(function (a, b) { return a.rank - b.rank || b.size - a.size; });
    items.forEach(function (item) {
      item.el.style.visibility = "";
      var r = item.el.getBoundingClientRect();
      var clash = shown.some(function (s) {
        return r.left < s.right + 2 && r.right + 2 > s.left && r.top < s.bottom && r.bottom > s.top;
      });
      if (clash) item.el.style.visibility = "hidden"; else shown.push(r);
    });
  }

  // Map labels drop the committee suffix: 向东村村民委员会 -> 向东村, 龙驹社区居民委员会 -> 龙驹社区.
  function shortName(name) {
    return String(name).replace(/(村民委员会|居民委员会)$/, "");
  }

  function addLegend(map, anySynthetic) {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "legend");
      div.innerHTML =
        "<strong>" + labels.legend + "</strong>" +
        '<div><i class="swatch county"></i>' + labels.county + "</div>" +
        '<div><i class="swatch township"></i>' + labels.townships + "</div>" +
        '<div><i class="dot village"></i>' + labels.villagers + "</div>" +
        '<div><i class="dot community"></i>' + labels.residents + "</div>" +
        '<div><i class="swatch river"></i>' + labels.waterways + "</div>" +
        (anySynthetic ? '<div class="synthetic-note">' + labels.synthetic + "</div>" : "");
      return div;
    };
    legend.addTo(map);
  }

  window.atlasMapInit = function (map) {
    var status = document.getElementById("map-status");
    var layersControl = L.control.layers(null, null, { collapsed: window.innerWidth < 700 }).addTo(map);
    Promise.all([
      fetchLayer(config.layers.areas, { level: "county" }),
      fetchLayer(config.layers.areas, { level: "township" }),
      fetchLayer(config.layers.areas, { level: "village" }),
      fetchLayer(config.layers.waterways),
    ]).then(function (results) {
      var county = polygonLayer(results[0], "county");
      var townships = polygonLayer(results[1], "township");
      var villages = villageLayer(results[2]);
      var rivers = L.geoJSON(results[3], { style: { color: "#1e88e5", weight: 3, opacity: 0.8 }, interactive: false });
      [townships, rivers, county, villages].forEach(function (layer) { layer.addTo(map); });
      layersControl.addOverlay(county, labels.county);
      layersControl.addOverlay(townships, labels.townships);
      layersControl.addOverlay(villages, labels.villages);
      layersControl.addOverlay(rivers, labels.waterways);

      var all = L.featureGroup([county, townships, villages]);
      if (all.getLayers().length && all.getBounds().isValid()) {
        map.fitBounds(all.getBounds(), { padding: [10, 10], maxZoom: 14 });
      }
      var anySynthetic = results.slice(0, 3).some(function (fc) {
        return fc.features.some(function (f) { return f.properties.synthetic; });
      });
      addLegend(map, anySynthetic);
      if (anySynthetic) map.attributionControl.addAttribution(labels.synthetic);

      function toggleVillageLabels() {
        var show = map.getZoom() >= VILLAGE_LABEL_ZOOM;
        villages.eachLayer(function (layer) {
          var tooltip = layer.getTooltip();
          if (!tooltip) return;
          if (show && !tooltip.options.permanent) {
            layer.unbindTooltip().bindTooltip(tooltip.getContent(), { permanent: true, direction: "top", offset: [0, -4], className: "area-label village-label" });
          } else if (!show && tooltip.options.permanent) {
            layer.unbindTooltip().bindTooltip(tooltip.getContent(), { direction: "top", offset: [0, -4], className: "area-label village-label" });
          }
        });
      }
      map.on("zoomend", toggleVillageLabels);
      toggleVillageLabels();
      map.on("zoomend", function () { declutterLabels([townships, villages]); });
      declutterLabels([townships, villages]);
      status.textContent = labels.loaded;
      status.classList.add("done");
      document.body.dataset.mapReady = "1";
    }).catch(function (err) {
      status.textContent = labels.failed;
      status.classList.add("error");
      if (window.console) console.error(err);
    });
  };
})();
