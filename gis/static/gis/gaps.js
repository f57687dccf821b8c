/* The gaps view's map: the township outlines, the networks (faint, for orientation) and the
 * village groups and relocation sites of the table's township and kind, coloured by the gap the
 * table asks about (network-styles.js); places without that gap are drawn faint. A click on a
 * place opens its popup; a click on a row of the table flies to its place and opens the same
 * popup. django-leaflet creates the map and calls window.atlasGapsInit(map). All data is
 * scoped on the server. */
(function () {
  "use strict";

  if (!L.DomEvent.fakeStop) L.DomEvent.fakeStop = function () { return true; };
  var circleLatLng = L.CircleMarker.prototype.getLatLng;
  L.CircleMarker.prototype.getLatLng = function () {
    if (!this._latlng && this.properties) return L.latLng(0, 0);
    return circleLatLng.call(this);
  };
  var createLayer = L.VectorGrid.prototype._createLayer;
  L.VectorGrid.prototype._createLayer = function (feat) {
    var layer = createLayer.apply(this, arguments);
    layer.featureId = feat.id;
    return layer;
  };

  var N = window.AtlasNetwork;
  var config = JSON.parse(document.getElementById("gap-map-config").textContent);
  var net = config.network;
  var labels = net.labels;
  var FLY_ZOOM = 15;

  function fetchJson(url, params) {
    var query = new URLSearchParams(params || {}).toString();
    return fetch(url + (query ? "?" + query : ""), { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(url + " " + r.status);
      return r.json();
    });
  }

  function tileUrl(name, filters) {
    var query = new URLSearchParams(filters || {}).toString();
    return config.tiles[name] + (query ? "?" + query : "");
  }

  function vectorLayer(map, name, styles, pane) {
    return L.vectorGrid.protobuf(tileUrl(name, name === "places" ? config.placeFilters : config.networkFilters), {
      vectorTileLayerStyles: styles, interactive: true, maxNativeZoom: 18, rendererFactory: L.svg.tile, pane: pane,
    });
  }

  function openPlace(map, id, latlng, options) {
    return fetchJson(net.placePopup.replace("{id}", id)).then(function (p) {
      L.popup(L.extend({ maxWidth: 320 }, options || {})).setLatLng(latlng || L.latLng(p.lat, p.lon))
        .setContent(N.placePopup(p, labels)).openOn(map);
      return p;
    });
  }

  function addLegend(map) {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("details", "legend gap-legend");
      div.open = !window.matchMedia("(max-width: 700px)").matches;
      div.setAttribute("data-testid", "gap-legend");
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      div.innerHTML = "<summary><strong>" + N.escapeHtml(labels.legend) + "</strong></summary>" +
        N.placeLegend(labels, config.gap, false) +
        '<div class="legend-part"><strong>' + N.escapeHtml(labels.network) + "</strong>" +
        N.networkLegend(labels, net.networks.filter(function (n) {
          return config.networkFilters.network.split(",").indexOf(n[0]) >= 0;
        })) + "</div>";
      return div;
    };
    legend.addTo(map);
  }

  function bindRows(map) {
    document.querySelectorAll("#gap-table tr.gap-row").forEach(function (row) {
      function fly() {
        var latlng = L.latLng(parseFloat(row.dataset.lat), parseFloat(row.dataset.lon));
        document.querySelectorAll("#gap-table tr.current").forEach(function (r) { r.classList.remove("current"); });
        row.classList.add("current");
        map.flyTo(latlng, Math.max(FLY_ZOOM, map.getZoom()), { duration: 0.6 });
        map.once("moveend", function () { openPlace(map, row.dataset.place, latlng, { autoPan: false }); });
        if (window.matchMedia("(max-width: 1000px)").matches) {
          map.getContainer().scrollIntoView({ behavior: "smooth", block: "center" });
        }
      }
      row.querySelector(".fly-to").addEventListener("click", function (e) { e.stopPropagation(); fly(); });
      row.addEventListener("click", function (e) {
        if (e.target.closest("a, button")) return;
        fly();
      });
    });
  }

  window.atlasGapsInit = function (map) {
    var status = document.getElementById("gap-map-status");
    map.createPane("network").style.zIndex = 440;
    map.createPane("places").style.zIndex = 460;
    if (config.focus) {
      map.fitBounds([[config.focus[1], config.focus[0]], [config.focus[3], config.focus[2]]], { padding: [8, 8], animate: false });
    }
    var network = vectorLayer(map, "network", {
      network: function (p, zoom) {
        var style = N.linkStyle(p, zoom, true);
        if (p.d === 1) style.weight = Math.max(1, style.weight * 0.75);
        return style;
      },
    }, "network");
    network.on("click", function (e) {
      var id = e.layer.featureId;
      if (id === null || id === undefined) return;
      var latlng = e.originalEvent ? map.mouseEventToLatLng(e.originalEvent) : e.latlng;
      fetchJson(net.linkPopup.replace("{id}", id)).then(function (a) {
        L.popup().setLatLng(latlng).setContent(N.linkPopup(a, labels)).openOn(map);
      });
    });
    var places = vectorLayer(map, "places", {
      places: N.placeStyle(config.gap, false),
      clusters: N.placeClusterStyle,
    }, "places");
    places.on("click", function (e) {
      var latlng = e.originalEvent ? map.mouseEventToLatLng(e.originalEvent) : e.latlng;
      var props = e.layer.properties || {};
      if (props.n !== undefined) {
        map.setView(latlng, Math.min(map.getZoom() + 2, 12));
        return;
      }
      var id = e.layer.featureId;
      if (id !== null && id !== undefined) openPlace(map, id, latlng);
    });
    places.on("load", function () { document.body.dataset.gapPlacesLoaded = "1"; });
    document.body.dataset.placeTileUrl = tileUrl("places", config.placeFilters);
    fetchJson(config.areas, { level: config.outlineLevel, shape: "outline" }).then(function (data) {
      var outlines = L.geoJSON({
        type: "FeatureCollection",
        features: data.features.filter(function (f) { return f.geometry.type !== "Point"; }),
      }, {
        interactive: false,
        style: function () { return { color: "#8d6e63", weight: 1.2, fill: true, fillColor: "#fff3e0", fillOpacity: 0.35 }; },
      }).addTo(map);
      outlines.bringToBack();
      if (!config.focus && outlines.getBounds().isValid()) map.fitBounds(outlines.getBounds(), { animate: false });
      var control = L.control.layers(null, null, { collapsed: true }).addTo(map);
      control.addOverlay(outlines, labels.townships);
      control.addOverlay(network, labels.network);
      control.addOverlay(places, labels.groups + " / " + labels.sites);
      network.addTo(map);
      places.addTo(map);
      addLegend(map);
      bindRows(map);
      status.classList.add("done");
      document.body.dataset.gapMapReady = "1";
    }).catch(function (err) {
      status.textContent = labels.failed || "!";
      status.classList.add("error");
      if (window.console) console.error(err);
    });
  };
})();
