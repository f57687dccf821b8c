/* The handover form (项目资产移交): each part's value computed from its share of the project's
 * actual investment as it is typed, the way the register splits it: each fund source on its own,
 * rounded to the fen (the fen left over go to the parts that lost the most), a part worth the
 * sum of its lines; and each row's sub-types limited to its class. */
(function () {
  "use strict";
  var table = document.querySelector("[data-handover]");
  if (!table) return;
  var totalCents = Math.round(parseFloat(table.dataset.total || "0") * 100);
  var sourceCents = (table.dataset.sources || "").split(/\s+/).filter(Boolean)
    .map(function (v) { return Math.round(parseFloat(v) * 100); });
  if (!sourceCents.length) sourceCents = [totalCents];

  function splitCents(total, shares) {
    var exact = shares.map(function (s) { return total * s / 100; });
    var parts = exact.map(Math.floor);
    var left = total - parts.reduce(function (a, b) { return a + b; }, 0);
    var order = exact.map(function (e, i) { return i; })
      .sort(function (a, b) { return (exact[b] - parts[b]) - (exact[a] - parts[a]); });
    for (var k = 0; k < left && k < order.length; k++) parts[order[k]] += 1;
    return parts;
  }
  var subtypes = JSON.parse(document.getElementById("handover-subtypes").textContent);
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var foot = table.tFoot;
  var money = new Intl.NumberFormat("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function shareOf(row) {
    var input = row.querySelector(".part-share input");
    var value = parseFloat(String(input.value).replace(",", "."));
    return isFinite(value) && value > 0 ? value : 0;
  }

  function update() {
    var shares = rows.map(shareOf);
    var sumShares = shares.reduce(function (a, b) { return a + b; }, 0);
    var parts = shares.map(function () { return 0; });
    sourceCents.forEach(function (cents) {
      var lines = Math.abs(sumShares - 100) < 1e-9
        ? splitCents(cents, shares)
        : shares.map(function (s) { return Math.floor(cents * s / 100); });
      lines.forEach(function (v, i) { parts[i] += v; });
    });
    rows.forEach(function (row, i) {
      row.querySelector("[data-part-value]").textContent = shares[i] ? money.format(parts[i] / 100) : "—";
    });
    foot.hidden = false;
    foot.querySelector("[data-testid=share-sum]").textContent = String(Math.round(sumShares * 10000) / 10000);
    foot.querySelector("[data-testid=value-sum]").textContent = money.format(parts.reduce(function (a, b) { return a + b; }, 0) / 100);
    foot.querySelector("[data-share-sum]").classList.toggle("off", Math.abs(sumShares - 100) >= 1e-9);
  }

  function limitSubtypes(row) {
    var cls = row.querySelector(".part-class select");
    var sub = row.querySelector(".part-subtype select");
    if (!cls || !sub) return;
    if (!sub.allOptions) {
      sub.allOptions = Array.prototype.map.call(sub.options, function (o) { return { value: o.value, label: o.textContent }; });
    }
    var allowed = subtypes[cls.value] || null;
    var current = sub.value;
    sub.innerHTML = "";
    sub.allOptions.forEach(function (o) {
      if (o.value === "" || !allowed || allowed.indexOf(o.value) !== -1) {
        sub.add(new Option(o.label, o.value, false, o.value === current));
      }
    });
  }

  rows.forEach(function (row) {
    var cls = row.querySelector(".part-class select");
    if (cls) cls.addEventListener("change", function () { limitSubtypes(row); });
    limitSubtypes(row);
  });
  table.addEventListener("input", update);
  table.addEventListener("change", update);
  update();
})();
