/* Searchable pickers (registry/widgets.py): every <select data-picker> becomes a Tom Select that
 * finds a party or an area by part of its name, its village or township (the <optgroup> it sits
 * in) or its code. The <select> stays the form's field: without JavaScript it is the picker.
 * Also the ownership form's running total of shares. */
(function () {
  "use strict";

  function groupOf(ts, data) {  // Tom Select keys an option's <optgroup> by number
    var group = ts.optgroups[data.optgroup];
    return group ? group.label : "";
  }

  function picker(select) {
    var texts = select.dataset;
    var plugins = { dropdown_input: {} };
    if (!select.required) plugins.clear_button = { title: texts.clear };
    var ts = new TomSelect(select, {
      plugins: plugins,
      placeholder: texts.placeholder,
      searchField: ["text", "group", "code"],
      lockOptgroupOrder: true,
      // Matches in the list's own order (township, then its villages), not by Tom Select's score.
      sortField: [{ field: "$order" }, { field: "$score", direction: "desc" }],
      maxOptions: 150,
      render: {
        option: function (data, escape) {
          var code = data.code ? ' <span class="picker-code">' + escape(data.code) + "</span>" : "";
          return "<div>" + escape(data.text) + code + "</div>";
        },
        item: function (data, escape) {
          var group = groupOf(this, data);  // render runs on the Tom Select
          var where = group && data.text.indexOf(group) !== 0
            ? ' <span class="picker-where">' + escape(group) + "</span>" : "";
          return "<div>" + escape(data.text) + where + "</div>";
        },
        no_results: function (data, escape) {
          return '<div class="no-results">' + escape(texts.noResults) + "</div>";
        },
      },
    });
    // Search the group's name too: typing a village or township finds everything in it; and an
    // area's code, which a list filter's option has as its value (a form's has it as data-code).
    Object.keys(ts.options).forEach(function (key) {
      var option = ts.options[key];
      option.group = groupOf(ts, option);
      if (!option.code && texts.picker === "area" && /^[0-9]{12,15}$/.test(option.value)) {
        option.code = option.value;
      }
    });
    // A page script (or a test) may set the <select> itself: show what it chose. Tom Select's
    // change_listener plugin would re-read all 2,000 options on every change, its own included.
    select.addEventListener("change", function () {
      if (select.value !== ts.getValue()) ts.setValue(select.value, true);
    });
    return ts;
  }

  // Shares are typed with up to three decimals: add them as whole thousandths, exactly.
  function thousandths(text) {
    var value = parseFloat(String(text).replace(",", "."));
    return isFinite(value) ? Math.round(value * 1000) : 0;
  }

  function shareTotal(table) {
    var foot = table.tFoot;
    var row = foot.querySelector("[data-share-total]");
    var output = foot.querySelector("output");
    var inputs = table.tBodies[0].querySelectorAll("input");
    function update() {
      var total = 0;
      Array.prototype.forEach.call(inputs, function (input) { total += thousandths(input.value); });
      output.textContent = (total / 1000).toFixed(3);
      row.classList.toggle("off", total !== 100000);
    }
    table.addEventListener("input", update);
    table.addEventListener("change", update);
    foot.hidden = false;
    update();
  }

  document.querySelectorAll("select[data-picker]").forEach(picker);
  document.querySelectorAll("table[data-shares]").forEach(shareTotal);
})();
