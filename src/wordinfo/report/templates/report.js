(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var valueSelect = document.getElementById("value");
  var table = document.getElementById("sentences");
  var tbody = table.tBodies[0];
  var hover = document.getElementById("hover");
  var current = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function fmt(v, digits) {
    return v === null || v === undefined ? "–" : Number(v).toFixed(digits);
  }

  // light to dark blue for 'kept' and 'bits'; blue (kept) - white - red (forgotten) for 'centered'
  function colour(v, lo, hi, diverging) {
    if (v === null || v === undefined) { return ["#eee", false]; }
    if (diverging) {
      var m = Math.max(Math.abs(lo), Math.abs(hi)) || 1, t = Math.max(-1, Math.min(1, v / m));
      var r = t > 0 ? 255 : Math.round(255 + t * 200), g = Math.round(255 - Math.abs(t) * 190),
          b = t < 0 ? 255 : Math.round(255 - t * 200);
      return ["rgb(" + r + "," + g + "," + b + ")", Math.abs(t) > 0.65];
    }
    var s = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    var c = [Math.round(240 - 210 * s), Math.round(244 - 170 * s), Math.round(255 - 90 * s)];
    return ["rgb(" + c.join(",") + ")", s > 0.6];
  }

  function heatmap(run, h, value) {
    var box = el("div", "heat");
    box.appendChild(el("h3", null, run.name + " — " + run.model));
    var values = h[value], lo = Infinity, hi = -Infinity;
    values.forEach(function (row) { row.forEach(function (v) {
      if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); });
    var spread = Math.max(Math.abs(lo), Math.abs(hi)), digits = spread < 1 ? 2 : (spread < 20 ? 1 : 0);
    var t = el("table", "heatmap"), head = el("tr");
    head.appendChild(el("th", null, "layer"));
    h.words.forEach(function (w, i) { head.appendChild(el("th", "word" + (h.special[i] ? " special" : ""), w)); });
    t.appendChild(head);
    h.layers.forEach(function (layer, li) {
      var tr = el("tr");
      tr.appendChild(el("th", null, layer));
      h.words.forEach(function (w, wi) {
        var v = values[li][wi], c = colour(v, lo, hi, value === "centered");
        var td = el("td", c[1] ? "dark" : null, fmt(v, digits));
        td.style.background = c[0];
        var se = h.kept_se ? h.kept_se[li][wi] : null;
        var info = w + " · layer " + layer + ": " + fmt(h.kept[li][wi], 1) +
          (se === null || se === undefined ? "" : " ± " + fmt(se, 1)) + " bits kept, H = " +
          fmt(h.bits[li][wi], 1) + " bits, log σ − sentence mean = " + fmt(h.centered[li][wi], 2);
        td.setAttribute("title", info);
        td.setAttribute("data-info", info);
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
    t.addEventListener("mouseover", function (ev) {
      var info = ev.target.getAttribute && ev.target.getAttribute("data-info");
      if (info) { hover.textContent = run.name + " · " + info; }
    });
    box.appendChild(t);
    return box;
  }

  function show(key) {
    var entry = data.sentences[key];
    var target = document.getElementById("heatmaps");
    target.textContent = "";
    if (!entry) { return; }
    current = key;
    Array.prototype.forEach.call(tbody.rows, function (r) {
      r.classList.toggle("selected", r.getAttribute("data-key") === key);
    });
    var row = tbody.querySelector('tr[data-key="' + key.replace(/[^0-9a-f:]/g, "") + '"]');
    document.getElementById("sentence-text").textContent = row ? "#" + row.cells[0].textContent + "  " +
      row.cells[1].textContent : "";
    data.runs.forEach(function (run, i) {
      var h = entry[String(i)];
      if (h) { target.appendChild(heatmap(run, h, valueSelect.value)); }
    });
  }

  tbody.addEventListener("click", function (ev) {
    var tr = ev.target.closest("tr");
    if (tr) { show(tr.getAttribute("data-key")); }
  });
  valueSelect.addEventListener("change", function () { if (current) { show(current); } });

  // search
  var search = document.getElementById("search"), count = document.getElementById("count");
  function filter() {
    var q = search.value.trim().toLowerCase(), shown = 0;
    Array.prototype.forEach.call(tbody.rows, function (r) {
      var hit = !q || r.cells[1].textContent.toLowerCase().indexOf(q) >= 0;
      r.style.display = hit ? "" : "none";
      if (hit) { shown += 1; }
    });
    count.textContent = shown + " of " + tbody.rows.length + " sentences";
  }
  search.addEventListener("input", filter);

  // sort
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.addEventListener("click", function () {
      var asc = !th.classList.contains("asc");
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.classList.remove("asc", "desc"); });
      th.classList.add(asc ? "asc" : "desc");
      var numeric = th.getAttribute("data-type") === "num";
      var rows = Array.prototype.slice.call(tbody.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col], d;
        if (numeric) {
          var p = x.getAttribute("data-v"), q = y.getAttribute("data-v");
          p = p === "" ? -Infinity : Number(p); q = q === "" ? -Infinity : Number(q);
          d = p - q;
        } else {
          d = x.textContent.localeCompare(y.textContent);
        }
        return asc ? d : -d;
      });
      rows.forEach(function (r) { tbody.appendChild(r); });
    });
  });

  filter();
  if (tbody.rows.length) { show(tbody.rows[0].getAttribute("data-key")); }
})();
