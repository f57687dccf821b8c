/* The distribution-plan form: as amounts are typed, say whether the lines add up to the amount
 * to distribute, and warn when more than the county's share of the money goes straight to
 * households as cash (the server repeats the warning once the plan is saved). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("cash-check").textContent);
  var total = document.getElementById("id_total");
  var lines = Array.prototype.slice.call(document.querySelectorAll("input[data-use]"));
  var sum = document.getElementById("plan-sum");
  var warning = document.getElementById("cash-warning");

  function amount(input) {
    var value = parseFloat(String(input.value).replace(/[,，\s]/g, ""));
    return isFinite(value) && value > 0 ? value : 0;
  }

  // Our messages are Python %-format strings: %(name)s and %% for a per cent sign.
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, name) { return values[name]; })
      .replace(/%%/g, "%");
  }

  function update() {
    var allocated = 0;
    var cash = 0;
    lines.forEach(function (input) {
      var value = amount(input);
      allocated += value;
      if (input.dataset.use === config.households) {
        cash += value;
      }
    });
    // The same share as the server's: of the money the lines hand out, one decimal.
    var share = allocated > 0 ? Math.round(cash * 1000 / allocated) / 10 : 0;
    if (share > config.limit) {
      warning.textContent = fill(config.warning, { share: share, limit: config.limit });
      warning.hidden = false;
    } else {
      warning.hidden = true;
    }
    var wanted = amount(total);
    sum.textContent = Math.abs(allocated - wanted) < 0.005
      ? config.balanced
      : fill(config.sum, { allocated: allocated.toFixed(2), total: wanted.toFixed(2) });
  }

  [total].concat(lines).forEach(function (input) {
    input.addEventListener("input", update);
  });
  update();
})();
