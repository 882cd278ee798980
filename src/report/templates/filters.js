// Filters of the requirements table: each <select data-filter="NAME"> keeps the
// rows whose data-NAME (space-separated words) holds the chosen value.
//
// Self-test: `page.html?selftest=status:fail,level:MUST` applies those filters
// and writes {rows, visible_before, visible_after, applied, errors} as JSON
// into <pre id="selftest">, for a headless browser's --dump-dom to read.
(function () {
  "use strict";
  var table = document.querySelector("table[data-filterable]");
  if (!table) return;
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var shown = document.getElementById("shown");
  function visible() {
    return rows.filter(function (r) { return !r.hidden; }).length;
  }
  function apply() {
    rows.forEach(function (row) {
      row.hidden = !selects.every(function (s) {
        if (!s.value) return true;
        var words = (row.getAttribute("data-" + s.getAttribute("data-filter")) || "").split(" ");
        return words.indexOf(s.value) >= 0;
      });
    });
    if (shown) shown.textContent = visible() + " of " + rows.length + " shown";
  }
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  apply();

  var test = new URLSearchParams(window.location.search).get("selftest");
  if (test === null) return;
  var out = document.getElementById("selftest");
  var result = { rows: rows.length, visible_before: visible(), applied: [], visible_after: null, errors: window.conformErrors || [] };
  test.split(",").forEach(function (pair) {
    var at = pair.indexOf(":");
    var name = pair.slice(0, at), value = pair.slice(at + 1);
    var select = selects.filter(function (s) { return s.getAttribute("data-filter") === name; })[0];
    if (!select) { result.errors.push("selftest: no filter " + name); return; }
    select.value = value;
    if (select.value !== value) { result.errors.push("selftest: filter " + name + " has no option " + value); return; }
    select.dispatchEvent(new Event("change"));
    result.applied.push(name + ":" + value);
  });
  result.visible_after = visible();
  function write() { out.hidden = false; out.textContent = JSON.stringify(result); }
  write();
  window.addEventListener("load", write);
})();
