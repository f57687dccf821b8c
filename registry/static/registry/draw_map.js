/* The drawing map of the asset, need and project forms (django-leaflet's widget): its tools speak the
 * page's language, it shows our own outlines and village points to draw among (there is no
 * basemap offline), and it centres on the area chosen in the form's #id_area. Reads the JSON of
 * #draw-map-data (#asset-form-data on the asset form): {reference: FeatureCollection, points:
 * {area pk: [lon, lat]}, hasGeometry}. */
(function () {
  "use strict";
  // Leaflet.draw's own texts are English. This runs before django-leaflet builds the map (on
  // the window's load event), so the tools take them.
  if (window.L && L.drawLocal && /^zh/.test(document.documentElement.lang)) {
    var d = L.drawLocal.draw, e = L.drawLocal.edit;
    d.toolbar.actions = { title: "取消绘制", text: "取消" };
    d.toolbar.finish = { title: "完成绘制", text: "完成" };
    d.toolbar.undo = { title: "删除最后画的一个点", text: "删除最后一点" };
    d.toolbar.buttons = {
      polyline: "画线（道路、渠道、管线）", polygon: "画面（范围、地块）", rectangle: "画矩形",
      circle: "画圆", marker: "标点（位置）", circlemarker: "标点（位置）",
    };
    d.handlers.circle.tooltip.start = "按住并拖动画圆。";
    d.handlers.circle.radius = "半径";
    d.handlers.circlemarker.tooltip.start = "点击地图标出位置。";
    d.handlers.marker.tooltip.start = "点击地图标出位置。";
    d.handlers.polygon.tooltip = { start: "点击开始画面。", cont: "点击继续画面。", end: "点击第一个点闭合这个面。" };
    d.handlers.polyline.error = "<strong>错误：</strong>线不能自相交！";
    d.handlers.polyline.tooltip = { start: "点击开始画线。", cont: "点击继续画线。", end: "点击最后一个点结束画线。" };
    d.handlers.rectangle.tooltip.start = "按住并拖动画矩形。";
    d.handlers.simpleshape.tooltip.end = "松开鼠标完成。";
    e.toolbar.actions = {
      save: { title: "保存修改", text: "保存" },
      cancel: { title: "取消编辑，放弃所有修改", text: "取消" },
      clearAll: { title: "清除所有图形", text: "全部清除" },
    };
    e.toolbar.buttons = { edit: "编辑图形", editDisabled: "没有可编辑的图形", remove: "删除图形", removeDisabled: "没有可删除的图形" };
    e.handlers.edit.tooltip = { text: "拖动端点或标记修改图形。", subtext: "点“取消”放弃修改。" };
    e.handlers.remove.tooltip = { text: "点击要删除的图形。" };
  }
  var node = document.getElementById("draw-map-data") || document.getElementById("asset-form-data");
  if (!node) return;
  var data = JSON.parse(node.textContent);
  var areaSelect = document.getElementById("id_area");

  window.addEventListener("map:init", function (event) {
    var map = event.detail.map;
    var outlines = L.geoJSON(data.reference, {
      interactive: false,
      style: { color: "#8d6e63", weight: 1.2, fillColor: "#fff3e0", fillOpacity: 0.45 },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 4, color: "#1b5e20", weight: 1, fillColor: "#43a047", fillOpacity: 0.9, interactive: false })
          .bindTooltip(f.properties.name, { permanent: data.reference.features.length <= 30, direction: "top" });
      },
      // A township's or village's user sees their villages as outlines: named in the middle.
      onEachFeature: function (f, layer) {
        if (f.properties.level === "village" && f.geometry.type !== "Point") {
          layer.bindTooltip(f.properties.name, { permanent: data.reference.features.length <= 30, direction: "center", className: "draw-area-label" });
        }
      },
    }).addTo(map);
    outlines.bringToBack();
    function centre() {
      var point = areaSelect && data.points[areaSelect.value];
      if (point) map.setView([point[1], point[0]], 14);
      else if (outlines.getBounds().isValid()) map.fitBounds(outlines.getBounds());
    }
    if (areaSelect) areaSelect.addEventListener("change", centre);
    if (!data.hasGeometry) centre();
    document.documentElement.dataset.drawMapReady = "1";
  });
})();
