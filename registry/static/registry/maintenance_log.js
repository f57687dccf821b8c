/* The inspection form on a phone: take the phone's position, or, when the phone cannot tell it
 * (permission refused, no fix indoors, too slow), let the inspector tap the place on the small
 * map. Messages are the page's own, never the browser's (which speaks the browser's language). */
(function () {
  "use strict";
  var messages = JSON.parse(document.getElementById("gps-messages").textContent);
  var button = document.getElementById("use-gps");
  var status = document.getElementById("gps-status");
  var lat = document.getElementById("id_latitude");
  var lon = document.getElementById("id_longitude");
  var accuracy = document.getElementById("id_accuracy");
  var mapBox = document.getElementById("pick-map");
  var map = mapBox && mapBox.atlasMap;
  var marker = null;

  function say(text, kind) {
    status.textContent = text;
    status.className = kind || "muted";
  }
  function place(latlng) {
    if (!map) return;
    if (marker) marker.setLatLng(latlng);
    else marker = L.circleMarker(latlng, { radius: 8, color: "#fff", weight: 2, fillColor: "#1565c0", fillOpacity: 1 }).addTo(map);
  }
  function show(latlng) {
    if (!map) return;
    place(latlng);
    if (!map.getBounds().contains(latlng)) map.panTo(latlng);
  }

  if (map) {
    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(7);
      lon.value = e.latlng.lng.toFixed(7);
      accuracy.value = "";  // a tapped place has no GPS accuracy
      place(e.latlng);
      say(messages.picked.replace("%(lat)s", lat.value).replace("%(lon)s", lon.value), "ok");
    });
    if (lat.value && lon.value) place(L.latLng(+lat.value, +lon.value));
  }

  button.addEventListener("click", function () {
    if (!navigator.geolocation) { say(messages.unsupported, "error"); return; }
    say(messages.locating);
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(7);
      lon.value = pos.coords.longitude.toFixed(7);
      accuracy.value = Math.round(pos.coords.accuracy);
      say(messages.found.replace("%(m)s", Math.round(pos.coords.accuracy)), "ok");
      show(L.latLng(pos.coords.latitude, pos.coords.longitude));
    }, function (err) {
      var text = { 1: messages.denied, 2: messages.unavailable, 3: messages.timeout }[err.code];
      say(text || messages.unavailable, "error");
      if (mapBox) mapBox.scrollIntoView({ behavior: "smooth", block: "center" });
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  });
})();
