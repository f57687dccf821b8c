/* The county map. Base: our own boundaries (works offline); an XYZ basemap if configured.
 * Assets and projects come as vector tiles (clusters below zoom 14, features from 14), drawn by
 * Leaflet.VectorGrid; filters rewrite the tile URL. The villages' construction needs come as
 * GeoJSON. Projects and needs are off until switched on (or asked for by ``?layers=``); their
 * filters and legend show while they are. All data is scoped on the server.
 * django-leaflet creates the map and calls window.atlasMapInit(map).
 * Popups close when the map zooms out, and whenever what they describe is no longer drawn (a
 * cluster after any zoom, assets after a filter change, the township indicator when it is
 * switched off). While a township indicator is shown, the assets are dimmed and let clicks
 * through, so that a click anywhere in a township tells its value (the legend says so). On a
 * narrow screen the search box, the indicator and the (collapsed) filters share one panel and
 * the legend is collapsed. */
(function () {
  "use strict";

  // Leaflet.VectorGrid 1.3 still calls L.DomEvent.fakeStop, which Leaflet 1.8 removed; without
  // it every click on a tile feature throws.
  if (!L.DomEvent.fakeStop) L.DomEvent.fakeStop = function () { return true; };
  // Its point symbols are circle markers without a LatLng, which Leaflet 1.9 asks for on every
  // click; give them a harmless one (the click handler takes the position from the mouse).
  var circleLatLng = L.CircleMarker.prototype.getLatLng;
  L.CircleMarker.prototype.getLatLng = function () {
    if (!this._latlng && this.properties) return L.latLng(0, 0);
    return circleLatLng.call(this);
  };

  // Keep each tile feature's MVT id (the asset id) on its symbol, for clicks.
  var createLayer = L.VectorGrid.prototype._createLayer;
  L.VectorGrid.prototype._createLayer = function (feat) {
    var layer = createLayer.apply(this, arguments);
    layer.featureId = feat.id;
    return layer;
  };

  var config = JSON.parse(document.getElementById("map-config").textContent);
  var labels = config.labels;
  var CLASS_COLOURS = { operating: "#1e88e5", public: "#2e7d32", household: "#8e24aa" };
  // Project stage groups (gis/tiles/projects.py STAGE_GROUPS), in the order of a project's life.
  var STAGE_COLOURS = {
    proposed: "#f9a825", library: "#00838f", building: "#e65100",
    completed: "#c2185b", handed_over: "#3949ab", closed: "#9e9e9e",
  };
  var NEED_COLOURS = {
    rural_road: "#bf360c", village_road: "#ff7043", water: "#0277bd", power: "#f9a825",
    gas: "#827717", logistics: "#6a1b9a", telecom: "#283593", sanitation: "#2e7d32",
    village_look: "#66bb6a", care: "#d81b60", industry: "#00897b", other: "#757575",
  };
  var LEVEL_STYLE = {
    county: { color: "#5d4037", weight: 3, fill: false, dashArray: "6 4" },
    township: { color: "#8d6e63", weight: 1.2, fillColor: "#fff3e0", fillOpacity: 0.45 },
  };
  var HIGHLIGHT = { weight: 3, color: "#b03a2e", fillOpacity: 0.65 };
  var VILLAGE_LABEL_ZOOM = 12;
  var VILLAGE_OUTLINE_ZOOM = 12;
  var VILLAGE_OUTLINE = { color: "#8d6e63", weight: 0.8, opacity: 0.8, dashArray: "3 3", fill: false };
  // Phones and narrow windows: one panel on the left, collapsed filters and legend.
  var NARROW = window.matchMedia("(max-width: 700px)");
  var CHOROPLETH = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"];

  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function el(tag, attrs, html) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (html != null) node.innerHTML = html;
    return node;
  }
  function shortName(name) { return String(name).replace(/(村民委员会|居民委员会)$/, ""); }

  function areaPopup(p) {
    return '<div class="area-popup"><strong class="popup-name">' + escapeHtml(p.name) + "</strong>" +
      "<div>" + labels.code + ': <span class="popup-code">' + escapeHtml(p.code) + "</span></div>" +
      "<div>" + labels.kind + ": " + escapeHtml(p.kind) + "</div>" +
      '<a href="' + encodeURI(p.url) + '">' + labels.details + " →</a></div>";
  }

  function fetchJson(url, params) {
    var query = new URLSearchParams(params || {}).toString();
    return fetch(url + (query ? "?" + query : ""), { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(url + " " + r.status);
      return r.json();
    });
  }

  /* Popups know what they describe (kind: area, township, cluster, asset), so that they can be
   * closed when it is no longer drawn. */
  function PopupKeeper(map) {
    var keeper = this;
    this.map = map;
    this.current = null;
    var zoomFrom = map.getZoom();
    map.on("popupopen", function (e) { keeper.current = e.popup; });
    map.on("popupclose", function (e) { if (keeper.current === e.popup) keeper.current = null; });
    map.on("zoomstart", function () { zoomFrom = map.getZoom(); });
    map.on("zoomend", function () {
      var popup = keeper.current;
      if (!popup) return;
      // Zooming out leaves the place the popup described; a cluster is redrawn at every zoom.
      var kind = popup.options.atlasKind;
      if (map.getZoom() < zoomFrom || kind === "cluster" || kind === "project-cluster") map.closePopup(popup);
    });
  }
  PopupKeeper.prototype.open = function (kind, latlng, html, options) {
    var popup = L.popup(L.extend({ atlasKind: kind }, options || {})).setLatLng(latlng).setContent(html);
    popup.openOn(this.map);
    return popup;
  };
  PopupKeeper.prototype.close = function (kinds) {
    var popup = this.current;
    if (popup && kinds.indexOf(popup.options.atlasKind) >= 0) this.map.closePopup(popup);
  };

  // --- boundaries, villages, rivers -------------------------------------------------------------
  /* County or townships; a click on a township (or its name) asks ``townshipPopup`` first,
   * which tells the township's indicator value while one is shown. */
  function polygonLayer(data, level, popups, townshipPopup) {
    return L.geoJSON(data, {
      style: function () { return LEVEL_STYLE[level]; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 6, color: "#8d6e63" }); },
      onEachFeature: function (feature, layer) {
        if (level !== "township") layer.bindPopup(areaPopup(feature.properties), { atlasKind: "area" });
        if (level === "township") {
          layer.on("click", function (e) {
            var html = (townshipPopup && townshipPopup(feature.properties.code)) || areaPopup(feature.properties);
            popups.open("township", e.latlng, html);
          });
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
        var community = feature.properties.code.charAt(9) < "2";
        return L.circleMarker(latlng, {
          radius: 3.5, weight: 1, color: "#5d4037", fillOpacity: 0.9,
          fillColor: community ? "#fbc02d" : "#a1887f",
        });
      },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(areaPopup(feature.properties), { atlasKind: "area" });
        layer.bindTooltip(escapeHtml(shortName(feature.properties.name)), {
          direction: "top", offset: [0, -4], className: "area-label village-label",
        });
      },
    });
  }

  /* Hide labels that would overlap one already shown: townships before villages, bigger first. */
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

  // --- assets as vector tiles -----------------------------------------------------------------
  function dominantClass(p) {
    var best = "public";
    ["operating", "public", "household"].forEach(function (c) {
      if ((p["n_" + c] || 0) > (p["n_" + best] || 0)) best = c;
    });
    return best;
  }

  function assetStyles() {
    return {
      clusters: function (p) {
        var colour = CLASS_COLOURS[dominantClass(p)];
        return {
          radius: Math.min(5 + Math.sqrt(p.n) * 1.6, 26), fill: true, fillColor: colour,
          fillOpacity: 0.7, color: "#fff", weight: 1.5,
        };
      },
      assets: function (p) {
        var dimension = p.d;  // 0 point, 1 line, 2 polygon (VectorGrid does not say)
        var colour = CLASS_COLOURS[p.c] || "#555";
        var dashed = p.s === "disposed" ? "4 4" : null;
        if (dimension === 1) return { color: colour, weight: 4, opacity: 0.9, dashArray: dashed };
        if (dimension === 2) return { color: colour, weight: 2, fill: true, fillColor: colour, fillOpacity: 0.35, dashArray: dashed };
        return { radius: 6, fill: true, fillColor: colour, fillOpacity: 0.9, color: "#fff", weight: 2, dashArray: dashed };
      },
    };
  }

  /* One declared tile layer (config.tileLayers[spec.name]) in the layer switcher: a layer group
   * registered once (so that its place in the switcher stays put), whose vector grid is
   * replaced whenever the filters change. ``spec``: name, label, pane, styles, on (shown when
   * the page opens), popupKinds (closed when what they describe changes), onCluster(props,
   * latlng), onFeature(id, latlng), onCreate(layer, url). */
  function TileLayerManager(map, layersControl, popups, spec) {
    this.map = map;
    this.popups = popups;
    this.spec = spec;
    this.filters = {};
    this.layer = null;
    this.group = L.layerGroup();
    layersControl.addOverlay(this.group, spec.label);
    this.group.on("remove", function () { popups.close(spec.popupKinds); });
    if (spec.on) this.group.addTo(map);
  }
  TileLayerManager.prototype.url = function () {
    var query = new URLSearchParams();
    var filters = this.filters;
    Object.keys(filters).forEach(function (k) { if (filters[k]) query.set(k, filters[k]); });
    var qs = query.toString();
    return config.tileLayers[this.spec.name].url + (qs ? "?" + qs : "");
  };
  TileLayerManager.prototype.isOn = function () { return this.map.hasLayer(this.group); };
  TileLayerManager.prototype.refresh = function () {
    var map = this.map;
    var spec = this.spec;
    // What an open popup says about the features may not hold for the new filters.
    this.popups.close(spec.popupKinds);
    if (this.layer) this.group.removeLayer(this.layer);
    var layer = L.vectorGrid.protobuf(this.url(), {
      vectorTileLayerStyles: spec.styles,
      interactive: true,
      maxNativeZoom: 18,
      // SVG: each symbol takes its own clicks, and clicks beside them reach the layers below.
      rendererFactory: L.svg.tile,
      pane: spec.pane,
    });
    layer.on("click", function (e) {
      // Tile symbols know no position of their own: take it from the mouse.
      if (e.originalEvent) e.latlng = map.mouseEventToLatLng(e.originalEvent);
      var props = e.layer.properties || {};
      if (props.n !== undefined) {
        spec.onCluster(props, e.latlng);
        return;
      }
      var id = e.layer.featureId;
      if (id === null || id === undefined) return;
      spec.onFeature(id, e.latlng);
    });
    this.layer = layer;
    if (spec.onCreate) spec.onCreate(layer, this.url());
    this.group.addLayer(layer);
  };

  function assetLayer(map, layersControl, popups) {
    return new TileLayerManager(map, layersControl, popups, {
      name: "assets",
      label: labels.assets,
      pane: "assets",
      styles: assetStyles(),
      on: true,
      popupKinds: ["cluster", "asset"],
      onCluster: function (props, latlng) { showClusterPopup(map, popups, props, latlng); },
      onFeature: function (id, latlng) { showAssetPopup(popups, id, latlng); },
      onCreate: function (layer, url) {
        layer.once("tileload", function () {
          // Milliseconds from navigation to the first asset tile drawn (read by bench/tiles.py).
          if (!document.body.dataset.firstTilesAt) {
            document.body.dataset.firstTilesAt = String(Math.round(performance.now()));
          }
        });
        document.body.dataset.assetTileUrl = url;
      },
    });
  }

  /* What a cluster holds, by class, and a button that zooms in on it (the popup closes with the
   * zoom: the cluster is not drawn at the next zoom). */
  function showClusterPopup(map, popups, props, latlng) {
    var byClass = ["operating", "public", "household"].filter(function (c) { return props["n_" + c]; })
      .map(function (c) {
        return '<div><i class="dot" style="background:' + CLASS_COLOURS[c] + '"></i>' + labels[c] + " " + props["n_" + c] + "</div>";
      }).join("");
    var node = el("div", { "class": "cluster-popup" },
      '<strong class="popup-cluster-count">' + escapeHtml(labels.cluster.replace("%(n)s", props.n)) + "</strong>" +
      byClass + '<button type="button" class="zoom-in">' + escapeHtml(labels.zoomIn) + "</button>");
    node.querySelector(".zoom-in").addEventListener("click", function () {
      map.setView(latlng, Math.min(map.getZoom() + 2, config.tileLayers.assets.featureMinZoom));
    });
    popups.open("cluster", latlng, node);
  }

  function showAssetPopup(popups, id, latlng, options) {
    fetchJson(config.layers.assetPopup.replace("{id}", id)).then(function (a) {
      var html = '<div class="asset-popup"><strong class="popup-name">' + escapeHtml(a.name) + "</strong>" +
        '<div class="popup-code">' + escapeHtml(a.code) + "</div>" +
        "<div>" + escapeHtml(a["class"]) + " · " + escapeHtml(a.subtype) + "</div>" +
        "<div>" + labels.status + ": " + escapeHtml(a.status) + "</div>" +
        (a.owner ? "<div>" + labels.owner + ": " + escapeHtml(a.owner) + "</div>" : "") +
        (a.maintainer ? "<div>" + labels.maintainer + ": " + escapeHtml(a.maintainer) + "</div>" : "") +
        '<a class="popup-link" href="' + encodeURI(a.url) + '">' + labels.details + " →</a></div>";
      popups.open("asset", latlng, html, options);
    });
  }

  // --- projects (vector tiles) and villages' needs (GeoJSON) ---------------------------------
  /* Projects are hollow rings and outlines in their stage's colour, drawn above the assets: the
   * ring's stroke takes the click, its inside lets clicks reach the asset beneath (a handed-over
   * project and the assets it formed often share a place). */
  function dominantStage(p) {
    var best = null;
    config.projectStages.forEach(function (s) {
      if ((p["n_" + s.key] || 0) > (best ? p["n_" + best] || 0 : 0)) best = s.key;
    });
    return best;
  }

  function projectStyles() {
    return {
      clusters: function (p) {
        return {
          radius: Math.min(6 + Math.sqrt(p.n) * 1.6, 26), fill: false,
          color: STAGE_COLOURS[dominantStage(p)] || "#555", weight: 4, opacity: 0.95,
        };
      },
      projects: function (p) {
        var colour = STAGE_COLOURS[p.g] || "#555";
        var dashed = p.g === "closed" ? "4 4" : null;
        if (p.d === 1) return { color: colour, weight: 7, opacity: 0.55, dashArray: dashed, lineCap: "butt" };
        if (p.d === 2) {
          return { color: colour, weight: 3, fill: true, fillColor: colour, fillOpacity: 0.12,
            dashArray: dashed || "8 4", className: "project-area" };
        }
        return { radius: 9, fill: false, color: colour, weight: 4, opacity: 0.95, dashArray: dashed };
      },
    };
  }

  function ring(colour) { return '<i class="ring" style="border-color:' + colour + '"></i>'; }

  function projectLayer(map, layersControl, popups) {
    return new TileLayerManager(map, layersControl, popups, {
      name: "projects",
      label: labels.projects,
      pane: "projects",
      styles: projectStyles(),
      on: config.initialLayers.indexOf("projects") >= 0,
      popupKinds: ["project-cluster", "project"],
      onCluster: function (props, latlng) { showProjectClusterPopup(map, popups, props, latlng); },
      onFeature: function (id, latlng) { showProjectPopup(popups, id, latlng); },
      onCreate: function (layer, url) { document.body.dataset.projectTileUrl = url; },
    });
  }

  /* A cluster of projects: how many, by stage group, and a button that zooms in on them. */
  function showProjectClusterPopup(map, popups, props, latlng) {
    var byStage = config.projectStages.filter(function (s) { return props["n_" + s.key]; }).map(function (s) {
      return "<div>" + ring(STAGE_COLOURS[s.key]) + escapeHtml(s.label) + " " + props["n_" + s.key] + "</div>";
    }).join("");
    var node = el("div", { "class": "cluster-popup project-cluster-popup" },
      '<strong class="popup-cluster-count">' + escapeHtml(labels.projectCluster.replace("%(n)s", props.n)) + "</strong>" +
      byStage + '<button type="button" class="zoom-in">' + escapeHtml(labels.zoomIn) + "</button>");
    node.querySelector(".zoom-in").addEventListener("click", function () {
      map.setView(latlng, Math.min(map.getZoom() + 2, config.tileLayers.projects.featureMinZoom));
    });
    popups.open("project-cluster", latlng, node);
  }

  function showProjectPopup(popups, id, latlng) {
    fetchJson(config.layers.projectPopup.replace("{id}", id)).then(function (p) {
      var html = '<div class="project-popup"><strong class="popup-name">' + escapeHtml(p.name) + "</strong>" +
        '<div class="popup-code">' + escapeHtml(p.code) + "</div>" +
        '<div class="popup-stage">' + ring(STAGE_COLOURS[p.stage]) + labels.stage + ": " + escapeHtml(p.status) + "</div>" +
        "<div>" + labels.libraryYear + ": " + escapeHtml(p.year) + " · " + escapeHtml(p.category) + "</div>" +
        "<div>" + labels.leadArea + ": " + escapeHtml(p.area) + "</div>" +
        '<div class="popup-planned">' + labels.planned + ": " + escapeHtml(labels.tenThousandYuan.replace("%(amount)s", p.planned)) + "</div>" +
        (p.url ? '<a class="popup-link" href="' + encodeURI(p.url) + '">' + labels.openProject + " →</a>" : "") +
        "</div>";
      popups.open("project", latlng, html);
    });
  }

  /* The villages' construction needs: diamonds (points) and dashed lines in their category's
   * colour, fetched when the layer is first shown. The legend lists the categories present. */
  function NeedLayer(map, layersControl, popups, legend) {
    var group = L.featureGroup();
    var loaded = false;
    var legendBox = legend.getContainer().querySelector(".need-legend");
    this.group = group;
    layersControl.addOverlay(group, labels.needs);
    group.on("add", function () {
      legendBox.hidden = false;
      if (loaded) return;
      loaded = true;
      fetchJson(config.layers.needs).then(function (data) {
        var present = {};
        L.geoJSON(data, {
          pane: "needs",
          style: function (f) {
            var colour = NEED_COLOURS[f.properties.category] || "#555";
            return { color: colour, weight: 4, opacity: 0.9, dashArray: "6 4", fillColor: colour, fillOpacity: 0.1 };
          },
          pointToLayer: function (f, latlng) {
            return L.marker(latlng, {
              pane: "needs",
              title: f.properties.title,  // a hover names the need; overlapping ones stay apart
              icon: L.divIcon({
                className: "need-marker", iconSize: [14, 14],
                html: '<span style="background:' + (NEED_COLOURS[f.properties.category] || "#555") + '"></span>',
              }),
            });
          },
          onEachFeature: function (f, layer) {
            present[f.properties.category] = f.properties.category_label;
            layer.on("click", function (e) { popups.open("need", e.latlng, needPopup(f.properties)); });
          },
        }).addTo(group);
        legendBox.innerHTML = "<strong>" + escapeHtml(labels.needs) + "</strong>" +
          config.choices.need_category.filter(function (c) { return present[c[0]]; }).map(function (c) {
            return '<div><i class="diamond" style="background:' + NEED_COLOURS[c[0]] + '"></i>' + escapeHtml(c[1]) + "</div>";
          }).join("");
        document.body.dataset.needs = String(data.features.length);
      });
    });
    group.on("remove", function () { legendBox.hidden = true; popups.close(["need"]); });
    if (config.initialLayers.indexOf("needs") >= 0) group.addTo(map);
  }

  function needPopup(p) {
    return '<div class="need-popup"><strong class="popup-name">' + escapeHtml(p.title) + "</strong>" +
      "<div>" + labels.village + ": " + escapeHtml(p.village) + "</div>" +
      "<div>" + escapeHtml(p.category_label) + "</div>" +
      "<div>" + labels.status + ": " + escapeHtml(p.status) + "</div>" +
      "<div>" + labels.years + ": " + escapeHtml(p.years) + "</div>" +
      (p.project ? "<div>" + labels.mergedInto + ": " + (p.project_url
        ? '<a class="popup-link" href="' + encodeURI(p.project_url) + '">' + escapeHtml(p.project) + "</a>"
        : escapeHtml(p.project)) + "</div>" : "") +
      "</div>";
  }

  // --- controls ---------------------------------------------------------------------------------
  function selectHtml(name, allLabel, choices) {
    return '<select name="' + name + '" aria-label="' + escapeHtml(allLabel) + '"><option value="">' + escapeHtml(allLabel) + "</option>" +
      choices.map(function (c) { return '<option value="' + escapeHtml(c[0]) + '">' + escapeHtml(c[1]) + "</option>"; }).join("") +
      "</select>";
  }

  /* The stage select offers the legend's stage groups (each a list of stages, which the
   * library's filter takes comma-separated) and then every single stage. */
  function stageSelectHtml() {
    var groups = config.projectStages.map(function (s) {
      return '<option value="' + escapeHtml(s.statuses.join(",")) + '">' + escapeHtml(s.label) + "</option>";
    }).join("");
    var stages = config.choices.project_status.map(function (c) {
      return '<option value="' + escapeHtml(c[0]) + '">' + escapeHtml(c[1]) + "</option>";
    }).join("");
    return '<select name="status" aria-label="' + escapeHtml(labels.allStages) + '"><option value="">' + escapeHtml(labels.allStages) + "</option>" +
      '<optgroup label="' + escapeHtml(labels.stageGroups) + '">' + groups + "</optgroup>" +
      '<optgroup label="' + escapeHtml(labels.stages) + '">' + stages + "</optgroup></select>";
  }

  function addFilterPanel(map, assets, projects, popups) {
    var panel = L.control({ position: "topleft" });
    panel.onAdd = function () {
      var div = L.DomUtil.create("div", "map-panel main-panel");
      div.innerHTML =
        '<form class="map-search" role="search"><input type="search" name="q" placeholder="' + escapeHtml(labels.search) + '" aria-label="' + escapeHtml(labels.search) + '"></form>' +
        '<ul class="search-results" hidden></ul>' +
        '<div class="indicator-slot"></div>' +
        '<details class="map-filters"' + (NARROW.matches ? "" : " open") + "><summary>" + labels.filters + "</summary>" +
        selectHtml("asset_class", labels.allClasses, config.choices.asset_class) +
        selectHtml("subtype", labels.allSubtypes, config.choices.subtype) +
        selectHtml("status", labels.allStatuses, config.choices.status) +
        '<label class="check"><input type="checkbox" name="overdue" value="true"> ' + labels.overdue + "</label>" +
        "</details>" +
        // The projects' own filters (the library's), shown while the project layer is.
        '<details class="project-filters"' + (NARROW.matches ? "" : " open") + " hidden><summary>" + labels.projectFilters + "</summary>" +
        stageSelectHtml() +
        selectHtml("year", labels.allYears, config.choices.project_year) +
        selectHtml("category", labels.allCategories, config.choices.project_category) +
        "</details>";
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      [[".map-filters", assets], [".project-filters", projects]].forEach(function (pair) {
        var layer = pair[1];
        div.querySelectorAll(pair[0] + " select, " + pair[0] + " input[type=checkbox]").forEach(function (input) {
          input.addEventListener("change", function () {
            layer.filters[input.name] = input.type === "checkbox" ? (input.checked ? "true" : "") : input.value;
            layer.refresh();
          });
        });
      });
      var projectFilters = div.querySelector(".project-filters");
      function showProjectFilters() { projectFilters.hidden = !projects.isOn(); }
      projects.group.on("add remove", showProjectFilters);
      showProjectFilters();
      var form = div.querySelector(".map-search");
      var results = div.querySelector(".search-results");
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var q = form.q.value.trim();
        if (!q) return;
        fetchJson(config.layers.assetSearch, { q: q }).then(function (data) {
          results.innerHTML = "";
          results.hidden = false;
          if (!data.results.length) { results.appendChild(el("li", { "class": "muted" }, escapeHtml(labels.noResults))); return; }
          data.results.forEach(function (r) {
            var li = el("li", {}, '<button type="button" class="link"><span class="code">' + escapeHtml(r.code) + "</span> " + escapeHtml(r.name) + "</button>");
            li.querySelector("button").addEventListener("click", function () {
              var latlng = L.latLng(r.lat, r.lon);
              map.flyTo(latlng, Math.max(config.tileLayers.assets.featureMinZoom + 2, map.getZoom()), { duration: 0.8 });
              showAssetPopup(popups, r.id, latlng, { autoPan: false });
              results.hidden = true;
            });
            results.appendChild(li);
          });
          if (data.results.length === 1) results.querySelector("button").click();
        });
      });
      return div;
    };
    panel.addTo(map);
    return panel;
  }

  function addTools(map) {
    var tools = L.control({ position: "topleft" });
    tools.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-bar map-tools");
      div.innerHTML =
        '<a href="#" role="button" class="locate" title="' + escapeHtml(labels.locate) + '" aria-label="' + escapeHtml(labels.locate) + '">◎</a>' +
        '<a href="#" role="button" class="export" title="' + escapeHtml(labels.exportPng) + '" aria-label="' + escapeHtml(labels.exportPng) + '">⤓</a>';
      L.DomEvent.disableClickPropagation(div);
      div.querySelector(".locate").addEventListener("click", function (e) {
        e.preventDefault();
        map.locate({ setView: true, maxZoom: 16, enableHighAccuracy: true });
      });
      div.querySelector(".export").addEventListener("click", function (e) {
        e.preventDefault();
        var container = map.getContainer();
        window.htmlToImage.toPng(container, {
          filter: function (node) { return !(node.classList && node.classList.contains("leaflet-control-container")); },
        }).then(function (dataUrl) {
          var a = el("a", { href: dataUrl, download: "atlas-map.png" });
          document.body.appendChild(a);
          a.click();
          a.remove();
        });
      });
      return div;
    };
    tools.addTo(map);
    var me = null;
    map.on("locationfound", function (e) {
      if (me) map.removeLayer(me);
      me = L.circle(e.latlng, { radius: e.accuracy, color: "#1565c0", weight: 1, fillOpacity: 0.15 }).addTo(map);
    });

    var coords = L.control({ position: "bottomleft" });
    coords.onAdd = function () { return L.DomUtil.create("div", "coords"); };
    coords.addTo(map);
    map.on("mousemove", function (e) {
      coords.getContainer().textContent = e.latlng.lat.toFixed(5) + ", " + e.latlng.lng.toFixed(5);
    });
  }

  function addLegend(map, anySynthetic) {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("details", "legend");
      if (!NARROW.matches) div.open = true;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      div.innerHTML =
        "<summary><strong>" + labels.legend + "</strong></summary>" +
        ["operating", "public", "household"].map(function (c) {
          return '<div><i class="dot" style="background:' + CLASS_COLOURS[c] + '"></i>' + labels[c] + "</div>";
        }).join("") +
        '<div><i class="swatch county"></i>' + labels.county + "</div>" +
        '<div><i class="swatch township"></i>' + labels.townships + "</div>" +
        '<div><i class="dot village"></i>' + labels.villagers + "</div>" +
        '<div><i class="dot community"></i>' + labels.residents + "</div>" +
        '<div><i class="swatch village-outline"></i>' + labels.villageOutlines + "</div>" +
        '<div><i class="swatch river"></i>' + labels.waterways + "</div>" +
        '<div class="project-legend" hidden><strong>' + labels.projects + "</strong>" +
        config.projectStages.map(function (s) {
          return "<div>" + ring(STAGE_COLOURS[s.key]) + escapeHtml(s.label) + "</div>";
        }).join("") + "</div>" +
        '<div class="need-legend" hidden></div>' +
        '<div class="choropleth-legend" hidden></div>' +
        (anySynthetic ? '<div class="synthetic-note">' + labels.synthetic + "</div>" : "");
      return div;
    };
    legend.addTo(map);
    return legend;
  }

  // --- township choropleth ----------------------------------------------------------------------
  /* The indicator box (its own box at the top right; inside the main panel on a narrow screen),
   * the choropleth layer and its legend. Returns ``popupFor(code)``: the township's value popup
   * while an indicator is shown, else null. */
  function addChoropleth(map, layersControl, legend, mainPanel, popups) {
    var group = L.featureGroup();
    layersControl.addOverlay(group, labels.choropleth);
    var byCode = {};
    var title = "";
    var indicatorBox = L.DomUtil.create("div", "indicator-panel");
    indicatorBox.innerHTML = selectHtml("indicator", labels.noIndicator, config.choices.indicator);
    var select = indicatorBox.querySelector("select");
    select.addEventListener("change", function (e) { show(e.target.value); });
    var box = L.control({ position: "topright" });
    box.onAdd = function () {
      var div = L.DomUtil.create("div", "map-panel indicator-box");
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    box.addTo(map);
    // One box on a wide screen, a row of the main panel on a narrow one (no overlap on phones).
    function place() {
      var slot = NARROW.matches ? mainPanel.getContainer().querySelector(".indicator-slot") : box.getContainer();
      slot.appendChild(indicatorBox);
      box.getContainer().hidden = NARROW.matches;
    }
    place();
    if (NARROW.addEventListener) NARROW.addEventListener("change", place);
    var legendBox = legend.getContainer().querySelector(".choropleth-legend");

    function popupFor(code) {
      var p = byCode[code];
      if (!p || !map.hasLayer(group)) return null;
      return '<div class="area-popup indicator-popup"><strong class="popup-name">' + escapeHtml(p.name) + "</strong>" +
        '<div>' + escapeHtml(title) + ': <strong class="popup-indicator-value">' +
        escapeHtml(p.value === null ? "—" : p.value) + "</strong></div>" +
        '<div class="popup-assets">' + escapeHtml(p.note || labels.assetsInAll.replace("%(n)s", p.assets)) + "</div>" +
        '<a href="' + encodeURI(p.url) + '">' + labels.details + " →</a></div>";
    }

    function setOn(on) {
      // Assets are dimmed and let clicks through to the townships while an indicator is shown.
      L.DomUtil[on ? "addClass" : "removeClass"](map.getContainer(), "atlas-indicator-on");
      legendBox.hidden = !on;
      document.body.dataset.choropleth = on ? select.value : "";
    }
    group.on("add", function () { if (select.value) setOn(true); });
    group.on("remove", function () { setOn(false); popups.close(["township"]); });
    // Villages joining the map at a closer zoom must not cover the colours.
    map.on("zoomend", function () { if (map.hasLayer(group)) group.bringToFront(); });

    function show(indicator) {
      group.clearLayers();
      byCode = {};
      popups.close(["township"]);
      if (!indicator) { map.removeLayer(group); setOn(false); return; }
      fetchJson(config.layers.townships, { indicator: indicator }).then(function (data) {
        if (select.value !== indicator) return;  // the user chose again meanwhile
        var values = data.features.map(function (f) { return f.properties.value; }).filter(function (v) { return v !== null; }).sort(function (a, b) { return a - b; });
        var breaks = [0.2, 0.4, 0.6, 0.8].map(function (q) { return values.length ? values[Math.floor(q * (values.length - 1))] : 0; });
        function colour(v) {
          if (v === null) return "#eeeeee";
          var i = 0;
          while (i < breaks.length && v > breaks[i]) i++;
          return CHOROPLETH[i];
        }
        title = config.choices.indicator.filter(function (c) { return c[0] === indicator; })[0][1];
        data.features.forEach(function (f) { byCode[f.properties.code] = f.properties; });
        L.geoJSON(data, {
          style: function (f) { return { color: "#6d4c41", weight: 1, fillColor: colour(f.properties.value), fillOpacity: 0.75, className: "choropleth-area" }; },
          onEachFeature: function (f, layer) {
            layer.on("click", function (e) { popups.open("township", e.latlng, popupFor(f.properties.code)); });
          },
        }).addTo(group);
        legendBox.innerHTML = "<strong>" + escapeHtml(title) + "</strong>" + CHOROPLETH.map(function (c, i) {
          var lo = i === 0 ? (values[0] || 0) : breaks[i - 1];
          var hi = i < breaks.length ? breaks[i] : values[values.length - 1] || 0;
          return '<div><i class="swatch" style="background:' + c + '"></i>' + lo + " – " + hi + "</div>";
        }).join("") + '<p class="indicator-hint">' + escapeHtml(labels.indicatorHint) + "</p>";
        group.addTo(map);
        group.bringToFront();
        setOn(true);
      });
    }
    return popupFor;
  }

  /* Village outlines (light dashed lines, no clicks) join the village layer from a close zoom
   * on; fetched once, when first needed. */
  function VillageOutlines(map, group) {
    var outlines = null;
    var loading = false;
    this.update = function () {
      var wanted = map.getZoom() >= VILLAGE_OUTLINE_ZOOM;
      if (outlines) {
        if (wanted && !group.hasLayer(outlines)) { group.addLayer(outlines); outlines.bringToBack(); }
        if (!wanted && group.hasLayer(outlines)) group.removeLayer(outlines);
        return;
      }
      if (!wanted || loading) return;
      loading = true;
      fetchJson(config.layers.areas, { level: "village", shape: "outline" }).then(function (data) {
        outlines = L.geoJSON({
          type: "FeatureCollection",
          features: data.features.filter(function (f) { return f.geometry.type !== "Point"; }),
        }, { interactive: false, style: function () { return VILLAGE_OUTLINE; } });
        document.body.dataset.villageOutlines = String(outlines.getLayers().length);
        if (map.getZoom() >= VILLAGE_OUTLINE_ZOOM) { group.addLayer(outlines); outlines.bringToBack(); }
      });
    };
  }

  window.atlasMapInit = function (map) {
    var status = document.getElementById("map-status");
    var layersControl = L.control.layers(null, null, { collapsed: NARROW.matches }).addTo(map);
    // Assets draw above the boundary fills, below popups and labels; projects (hollow rings and
    // outlines) and needs (small diamonds) above the assets.
    map.createPane("assets").style.zIndex = 450;
    map.createPane("projects").style.zIndex = 455;
    map.createPane("needs").style.zIndex = 460;
    var popups = new PopupKeeper(map);
    var choroplethPopup = null;
    Promise.all([
      fetchJson(config.layers.areas, { level: "county" }),
      fetchJson(config.layers.areas, { level: "township" }),
      fetchJson(config.layers.areas, { level: "village" }),
      fetchJson(config.layers.waterways),
    ]).then(function (results) {
      var county = polygonLayer(results[0], "county", popups);
      var townships = polygonLayer(results[1], "township", popups, function (code) {
        return choroplethPopup && choroplethPopup(code);
      });
      var villages = villageLayer(results[2]);
      var villageGroup = L.featureGroup([villages]);
      var outlines = new VillageOutlines(map, villageGroup);
      var rivers = L.geoJSON(results[3], { style: { color: "#1e88e5", weight: 3, opacity: 0.6 }, interactive: false });
      [townships, rivers, county].forEach(function (layer) { layer.addTo(map); });
      layersControl.addOverlay(county, labels.county);
      layersControl.addOverlay(townships, labels.townships);
      layersControl.addOverlay(villageGroup, labels.villages);
      layersControl.addOverlay(rivers, labels.waterways);
      var assets = assetLayer(map, layersControl, popups);
      assets.refresh();
      var projects = projectLayer(map, layersControl, popups);
      projects.refresh();
      // Layers that other scripts declare (map-network.js: the networks, sites and groups).
      var extensions = (window.atlasMapExtensions || []).map(function (extend) {
        return extend({
          map: map, config: config, layersControl: layersControl, popups: popups,
          TileLayerManager: TileLayerManager, fetchJson: fetchJson,
        });
      }).filter(Boolean);

      var all = L.featureGroup([county, townships, villages]);
      // A phone's screen is narrower than the county at any whole zoom: let it fill the width.
      if (NARROW.matches) map.options.zoomSnap = 0.25;
      if (all.getLayers().length && all.getBounds().isValid()) {
        // Not animated: the first view is set, not flown to (a view set while the zoom
        // animation ran was taken back by its end: the map's tests met that under load).
        map.fitBounds(all.getBounds(), { padding: [10, 10], maxZoom: 14, animate: false });
      }
      // Villages join the map once it is close enough to read them.
      function villagesByZoom() {
        if (map.getZoom() >= 11) villageGroup.addTo(map); else map.removeLayer(villageGroup);
        outlines.update();
      }
      map.on("zoomend", villagesByZoom);
      villagesByZoom();
      var anySynthetic = results.slice(0, 3).some(function (fc) {
        return fc.features.some(function (f) { return f.properties.synthetic; });
      });
      var legend = addLegend(map, anySynthetic);
      extensions.forEach(function (ext) { if (ext.legend) ext.legend(legend.getContainer()); });
      var projectLegend = legend.getContainer().querySelector(".project-legend");
      function showProjectLegend() { projectLegend.hidden = !projects.isOn(); }
      projects.group.on("add remove", showProjectLegend);
      showProjectLegend();
      new NeedLayer(map, layersControl, popups, legend);
      if (anySynthetic) map.attributionControl.addAttribution(labels.synthetic);
      var mainPanel = addFilterPanel(map, assets, projects, popups);
      addTools(map);
      choroplethPopup = addChoropleth(map, layersControl, legend, mainPanel, popups);

      function toggleVillageLabels() {
        var show = map.getZoom() >= VILLAGE_LABEL_ZOOM;
        villages.eachLayer(function (layer) {
          var tooltip = layer.getTooltip();
          if (!tooltip || tooltip.options.permanent === show) return;
          layer.unbindTooltip().bindTooltip(tooltip.getContent(), {
            permanent: show, direction: "top", offset: [0, -4], className: "area-label village-label",
          });
        });
      }
      map.on("zoomend", toggleVillageLabels);
      toggleVillageLabels();
      // After the frame: at zoomend an animated zoom's labels may not stand where they end up.
      function declutter() {
        window.requestAnimationFrame(function () { declutterLabels([townships, villages]); });
      }
      map.on("zoomend", declutter);
      declutter();
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
