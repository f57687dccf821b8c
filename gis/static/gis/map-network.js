/* The county map's network layers (an extension of map.js, which calls it with its map, layer
 * switcher, popups and tile-layer manager): the infrastructure networks (roads and pipes by
 * network, hardened roads solid and unhardened dashed, county roads thickest; power, telecom and
 * delivery lines), the relocation sites (outlines close in, rings further out) and the village
 * groups (points coloured by what they lack: no hardened road, no piped water). Each is off
 * until switched on in the layer switcher or asked for by ``?layers=network,sites,groups``; its
 * part of the legend shows while it is on. Styles and popups: network-styles.js. */
(function () {
  "use strict";

  window.atlasMapExtensions = window.atlasMapExtensions || [];
  window.atlasMapExtensions.push(function (ctx) {
    var N = window.AtlasNetwork;
    var map = ctx.map;
    var net = ctx.config.network;
    if (!net || !N) return null;
    var labels = net.labels;
    var initial = ctx.config.initialLayers || [];
    map.createPane("network").style.zIndex = 452;
    map.createPane("sites").style.zIndex = 454;
    map.createPane("groups").style.zIndex = 458;

    var network = new ctx.TileLayerManager(map, ctx.layersControl, ctx.popups, {
      name: "network",
      label: labels.network,
      pane: "network",
      styles: { network: function (p, zoom) { return N.linkStyle(p, zoom, false); } },
      on: initial.indexOf("network") >= 0,
      popupKinds: ["link"],
      onCluster: function () {},
      onFeature: function (id, latlng) {
        ctx.fetchJson(net.linkPopup.replace("{id}", id)).then(function (a) {
          ctx.popups.open("link", latlng, N.linkPopup(a, labels));
        });
      },
      onCreate: function (layer, url) { document.body.dataset.networkTileUrl = url; },
    });
    var sites = new ctx.TileLayerManager(map, ctx.layersControl, ctx.popups, {
      name: "sites",
      label: labels.sites,
      pane: "sites",
      styles: { sites: N.siteStyle },
      on: initial.indexOf("sites") >= 0,
      popupKinds: ["site"],
      onCluster: function () {},
      onFeature: function (id, latlng) {
        ctx.fetchJson(net.sitePopup.replace("{id}", id)).then(function (s) {
          ctx.popups.open("site", latlng, N.sitePopup(s, labels));
        });
      },
      onCreate: function (layer, url) { document.body.dataset.siteTileUrl = url; },
    });
    var groups = new ctx.TileLayerManager(map, ctx.layersControl, ctx.popups, {
      name: "places",
      label: labels.groups,
      pane: "groups",
      styles: { places: N.placeStyle("any", true), clusters: N.placeClusterStyle },
      on: initial.indexOf("groups") >= 0,
      popupKinds: ["place", "place-cluster"],
      onCluster: function (p, latlng) {
        var node = document.createElement("div");
        node.className = "cluster-popup place-cluster-popup";
        node.innerHTML = '<strong class="popup-cluster-count">' + N.escapeHtml(labels.placeCluster.replace("%(n)s", p.n)) + "</strong>" +
          "<div>" + N.escapeHtml(labels.clusterRoad.replace("%(n)s", p.n_road || 0)) + "</div>" +
          "<div>" + N.escapeHtml(labels.clusterWater.replace("%(n)s", p.n_water || 0)) + "</div>" +
          '<button type="button" class="zoom-in">' + N.escapeHtml(labels.zoomIn) + "</button>";
        node.querySelector(".zoom-in").addEventListener("click", function () {
          map.setView(latlng, Math.min(map.getZoom() + 2, ctx.config.tileLayers.places.featureMinZoom));
        });
        ctx.popups.open("place-cluster", latlng, node);
      },
      onFeature: function (id, latlng) {
        ctx.fetchJson(net.placePopup.replace("{id}", id)).then(function (p) {
          ctx.popups.open("place", latlng, N.placePopup(p, labels) +
            '<a class="popup-gaps" href="' + encodeURI(net.gapsUrl + "?township=" + p.township + "&gap=all") + '">' + N.escapeHtml(labels.gapsLink) + " →</a>");
        });
      },
      onCreate: function (layer, url) { document.body.dataset.groupTileUrl = url; },
    });
    groups.filters.kind = "group";
    [network, sites, groups].forEach(function (layer) { layer.refresh(); });

    return {
      /* The legend's network part, shown while its layer is. */
      legend: function (container) {
        var parts = [
          [network, "network-legend", "<strong>" + N.escapeHtml(labels.network) + "</strong>" + N.networkLegend(labels, net.networks)],
          [groups, "groups-legend", "<strong>" + N.escapeHtml(labels.groups) + "</strong>" + N.placeLegend(labels, "any", true)],
          [sites, "sites-legend", N.siteLegend(labels)],
        ];
        // After the indicator's part (which matters most while it is shown), before the note
        // on illustrative data.
        var anchor = container.querySelector(".synthetic-note");
        parts.forEach(function (part) {
          var box = document.createElement("div");
          box.className = "legend-part " + part[1];
          box.innerHTML = part[2];
          container.insertBefore(box, anchor);
          function show() { box.hidden = !part[0].isOn(); }
          part[0].group.on("add remove", show);
          show();
        });
      },
    };
  });
})();
