/* How the infrastructure networks, village groups and relocation sites are drawn, shared by the
 * county map (map-network.js) and the gaps view (gaps.js): links coloured by network, roads
 * solid when hardened and dashed when not, county roads thickest; places coloured by what they
 * lack (no hardened road red, no piped water orange, neither dark red), those that lack nothing
 * faint. Exposed as window.AtlasNetwork. */
(function () {
  "use strict";

  var NETWORK_COLOURS = {
    road: "#37474f", water: "#0277bd", power: "#f9a825", telecom: "#8e24aa", logistics: "#2e7d32",
  };
  // Line widths by type: the county road is the thickest line of the road network.
  var WEIGHTS = {
    county_road: 5.5, township_road: 4, village_road: 3, group_road: 2.2, industry_road: 2.2,
    water_main: 3.2, water_branch: 2, power_line: 1.6, telecom_line: 1.4, logistics_route: 2.4,
  };
  var DASHES = { logistics_route: "2 5", telecom_line: "6 3 1 3" };
  var GAP_COLOURS = { both: "#8e0000", road: "#e53935", water: "#fb8c00", served: "#9e9e9e" };
  var SERVED_ON_MAP = "#7cb342";
  var SITE_COLOUR = "#00695c";

  function escapeHtml(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* A link (p.t type, p.n network, p.h hardened, p.d dimension); ``faint`` for context. */
  function linkStyle(p, zoom, faint) {
    var colour = NETWORK_COLOURS[p.n] || "#555";
    if (p.d === 0) {  // a water source
      return { radius: 5.5, fill: true, fillColor: colour, fillOpacity: 1, color: "#fff", weight: 2,
        className: "net-source" };
    }
    var weight = WEIGHTS[p.t] || 1.5;
    if (zoom !== undefined && zoom < 12) weight = Math.max(1, weight * 0.7);
    var style = { color: colour, weight: weight, opacity: faint ? 0.45 : 0.9, lineCap: "round",
      className: "net-link net-" + p.n + (p.n === "road" ? (p.h ? " net-hardened" : " net-unhardened") : "") };
    if (p.n === "road" && !p.h) {
      style.dashArray = weight >= 4 ? "9 6" : "6 5";
      style.lineCap = "butt";
    } else if (DASHES[p.t]) {
      style.dashArray = DASHES[p.t];
    }
    return style;
  }

  /* What a place lacks: "both", "road", "water" or "served". */
  function placeStatus(p) {
    var road = p.r !== "hardened";
    var water = !p.w;
    if (road && water) return "both";
    if (road) return "road";
    return water ? "water" : "served";
  }

  /* Is the place a gap of the kind asked (any, road, water, both; "all" as any)? */
  function isGap(status, mode) {
    if (status === "served") return false;
    if (mode === "road") return status === "road" || status === "both";
    if (mode === "water") return status === "water" || status === "both";
    if (mode === "both") return status === "both";
    return true;
  }

  /* A village group or site point of the places layer, for the gap ``mode``; on the county map
   * (``onMap``) served places are green, in the gaps view faint grey. */
  function placeStyle(mode, onMap) {
    return function (p) {
      var status = placeStatus(p);
      var site = p.k === "site";
      // Classes a test or a style sheet can find: what it lacks, how it is reached.
      var classes = " place-" + p.k + " road-" + p.r + " water-" + (p.w ? "yes" : "no");
      if (!isGap(status, mode)) {
        return onMap && status === "served"
          ? { radius: site ? 6 : 4, fill: true, fillColor: SERVED_ON_MAP, fillOpacity: 0.9, color: site ? SITE_COLOUR : "#fff",
            weight: site ? 2 : 1, className: "gap-place gap-served" + classes }
          : { radius: site ? 5 : 3.5, fill: true, fillColor: GAP_COLOURS.served, fillOpacity: 0.35, color: "#757575",
            weight: site ? 1.5 : 0.5, opacity: 0.5, className: "gap-place gap-faint" + classes };
      }
      var colour = mode === "road" ? GAP_COLOURS.road : mode === "water" ? GAP_COLOURS.water : GAP_COLOURS[status];
      return { radius: site ? 8 : 6, fill: true, fillColor: colour, fillOpacity: 0.95,
        color: site ? SITE_COLOUR : "#fff", weight: site ? 2.5 : 1.5, className: "gap-place gap-" + status + classes };
    };
  }

  /* A cluster of places (n, n_road, n_water): red when any lacks a hardened road, orange when
   * only water is missing, grey otherwise. */
  function placeClusterStyle(p) {
    var colour = p.n_road ? GAP_COLOURS.road : p.n_water ? GAP_COLOURS.water : GAP_COLOURS.served;
    return { radius: Math.min(4 + Math.sqrt(p.n) * 0.8, 16), fill: true, fillColor: colour, fillOpacity: 0.75,
      color: "#fff", weight: 1.5, className: "gap-cluster" };
  }

  /* A relocation site: its outline (a teal line, lightly filled) or, zoomed out, a ring. */
  function siteStyle(p) {
    if (p.d === 2) {
      return { color: SITE_COLOUR, weight: 2.5, fill: true, fillColor: SITE_COLOUR, fillOpacity: 0.15, className: "site-outline" };
    }
    return { radius: 7, fill: true, fillColor: "#fff", fillOpacity: 0.9, color: SITE_COLOUR, weight: 3.5, className: "site-point" };
  }

  function lineSwatch(colour, weight, dash) {
    return '<svg class="line-swatch" width="30" height="10" aria-hidden="true"><line x1="1" y1="5" x2="29" y2="5" stroke="' + colour +
      '" stroke-width="' + weight + '"' + (dash ? ' stroke-dasharray="' + dash + '"' : "") + "/></svg>";
  }
  function dotSwatch(colour, border, radius) {
    var r = radius || 5;
    return '<svg class="dot-swatch" width="16" height="14" aria-hidden="true"><circle cx="8" cy="7" r="' + r + '" fill="' + colour +
      '" stroke="' + (border || "#fff") + '" stroke-width="1.5"/></svg>';
  }

  /* The legend of the links: each network in its colour, roads hardened and not, the county
   * road's width. ``labels``: the page's words; ``networks``: [value, label] pairs. */
  function networkLegend(labels, networks) {
    return networks.map(function (n) {
      var key = n[0];
      if (key === "road") {
        return "<div>" + lineSwatch(NETWORK_COLOURS.road, 3) + escapeHtml(n[1]) + " · " + escapeHtml(labels.hardened) + "</div>" +
          "<div>" + lineSwatch(NETWORK_COLOURS.road, 3, "6 5") + escapeHtml(n[1]) + " · " + escapeHtml(labels.unhardened) + "</div>" +
          "<div>" + lineSwatch(NETWORK_COLOURS.road, 5.5) + escapeHtml(labels.countyRoad) + "</div>";
      }
      return "<div>" + lineSwatch(NETWORK_COLOURS[key], key === "water" ? 3 : 2, DASHES[key === "logistics" ? "logistics_route" : key === "telecom" ? "telecom_line" : ""]) + escapeHtml(n[1]) + "</div>";
    }).join("") + (networks.some(function (n) { return n[0] === "water"; })
      ? "<div>" + dotSwatch(NETWORK_COLOURS.water, "#fff", 5) + escapeHtml(labels.waterSource) + "</div>" : "");
  }

  /* The legend of the places for a gap ``mode``. */
  function placeLegend(labels, mode, onMap) {
    var rows = [];
    if (mode === "road") rows.push([GAP_COLOURS.road, labels.roadGap]);
    else if (mode === "water") rows.push([GAP_COLOURS.water, labels.waterGap]);
    else if (mode === "both") rows.push([GAP_COLOURS.both, labels.bothGaps]);
    else rows.push([GAP_COLOURS.both, labels.bothGaps], [GAP_COLOURS.road, labels.roadGap], [GAP_COLOURS.water, labels.waterGap]);
    var html = rows.map(function (r) { return "<div>" + dotSwatch(r[0]) + escapeHtml(r[1]) + "</div>"; }).join("");
    if (onMap) html += "<div>" + dotSwatch(SERVED_ON_MAP) + escapeHtml(labels.served) + "</div>";
    else html += "<div>" + dotSwatch(GAP_COLOURS.served, "#757575", 3.5) + escapeHtml(mode === "all" || mode === "any" ? labels.served : labels.notGap) + "</div>";
    if (!onMap) html += "<div>" + dotSwatch("#fff", SITE_COLOUR, 5) + escapeHtml(labels.site) + "</div>";
    return html;
  }

  function siteLegend(labels) {
    return '<div><svg class="dot-swatch" width="18" height="14" aria-hidden="true"><rect x="2" y="2" width="14" height="10" fill="' + SITE_COLOUR +
      '" fill-opacity=".15" stroke="' + SITE_COLOUR + '" stroke-width="2"/></svg>' + escapeHtml(labels.sites) + "</div>";
  }

  /* The popup of a link (gis:network_link_popup). */
  function linkPopup(a, labels) {
    var surface = a.surface ? a.surface + (a.hardened === null ? "" : " · " + (a.hardened ? labels.hardened : labels.unhardened)) : "";
    return '<div class="net-popup"><strong class="popup-name">' + escapeHtml(a.name) + "</strong>" +
      '<div class="popup-code">' + escapeHtml(a.code) + "</div>" +
      '<div class="popup-type">' + escapeHtml(labels.type) + ": " + escapeHtml(a.type_label) + (a.grade ? " · " + escapeHtml(a.grade) : "") + "</div>" +
      (surface ? '<div class="popup-surface">' + escapeHtml(labels.surface) + ": " + escapeHtml(surface) + "</div>" : "") +
      '<div class="popup-length">' + escapeHtml(labels.length) + ": " + escapeHtml(labels.kmUnit.replace("%(km)s", a.length_km)) + "</div>" +
      '<div class="popup-maintainer">' + escapeHtml(labels.maintainer) + ": " + escapeHtml(a.maintainer || labels.noMaintainer) + "</div>" +
      '<a class="popup-link" href="' + encodeURI(a.url) + '">' + escapeHtml(labels.openAsset) + " →</a></div>";
  }

  /* The popup of a village group or site of the places layer (gis:network_place_popup). */
  function placePopup(p, labels) {
    var status = placeStatus({ r: p.road, w: p.water });
    var road = escapeHtml(p.road_label) +
      (p.harden_km ? " · " + escapeHtml(labels.hardenKm) + " " + escapeHtml(labels.kmUnit.replace("%(km)s", p.harden_km)) : "") +
      (p.road_gap_km ? " · " + escapeHtml(labels.roadGapKm) + " " + escapeHtml(labels.kmUnit.replace("%(km)s", p.road_gap_km)) : "");
    var water = escapeHtml(p.water_label) +
      (p.water_gap_km ? " · " + escapeHtml(labels.waterGapKm) + " " + escapeHtml(labels.kmUnit.replace("%(km)s", p.water_gap_km)) : "");
    return '<div class="net-popup place-popup gap-' + status + '"><strong class="popup-name">' + escapeHtml(p.name) + "</strong> " +
      '<span class="badge">' + escapeHtml(p.kind_label) + "</span>" +
      '<div class="popup-code">' + escapeHtml(p.code) + (p.village ? " · " + escapeHtml(p.village) : "") + "</div>" +
      '<div class="popup-households">' + escapeHtml(labels.households) + ": " + escapeHtml(p.households == null ? "—" : p.households) +
      (p.persons != null ? " · " + escapeHtml(labels.persons) + ": " + escapeHtml(p.persons) : "") + "</div>" +
      '<div class="popup-road">' + escapeHtml(labels.road) + ": " + road + "</div>" +
      '<div class="popup-water">' + escapeHtml(labels.water) + ": " + water + "</div>" +
      '<div class="popup-computed muted">' + escapeHtml(labels.computedAt.replace("%(time)s", p.computed_at)) + "</div>" +
      (p.url ? '<a class="popup-link" href="' + encodeURI(p.url) + '">' + escapeHtml(labels.openSite) + " →</a>" : "") + "</div>";
  }

  /* The popup of a relocation site of the sites layer (gis:site_popup). */
  function sitePopup(s, labels) {
    var n = s.network;
    return '<div class="net-popup site-popup"><strong class="popup-name">' + escapeHtml(s.name) + "</strong>" +
      '<div class="popup-code">' + escapeHtml(s.code) + "</div>" +
      "<div>" + escapeHtml(s.type_label) + " · " + escapeHtml(s.scale_label) + "</div>" +
      '<div class="popup-persons">' + escapeHtml(labels.persons) + ": " + escapeHtml(s.persons) + " · " + escapeHtml(labels.households) + ": " + escapeHtml(s.households) + "</div>" +
      (n ? '<div class="popup-road">' + escapeHtml(labels.road) + ": " + escapeHtml(n.road_label) + "</div>" +
        '<div class="popup-water">' + escapeHtml(labels.water) + ": " + escapeHtml(n.water_label) + "</div>"
        : '<div class="muted">' + escapeHtml(labels.networkStatus) + "</div>") +
      (s.url ? '<a class="popup-link" href="' + encodeURI(s.url) + '">' + escapeHtml(labels.openSite) + " →</a>" : "") + "</div>";
  }

  window.AtlasNetwork = {
    NETWORK_COLOURS: NETWORK_COLOURS,
    GAP_COLOURS: GAP_COLOURS,
    escapeHtml: escapeHtml,
    linkStyle: linkStyle,
    placeStatus: placeStatus,
    isGap: isGap,
    placeStyle: placeStyle,
    placeClusterStyle: placeClusterStyle,
    siteStyle: siteStyle,
    networkLegend: networkLegend,
    placeLegend: placeLegend,
    siteLegend: siteLegend,
    linkPopup: linkPopup,
    placePopup: placePopup,
    sitePopup: sitePopup,
  };
})();
