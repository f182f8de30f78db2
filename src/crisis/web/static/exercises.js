// Exercises: plan editor on the map, debrief charts and timeline, tabletop polling.
(function () {
  "use strict";

  function text(id) { var t = document.getElementById(id); return t ? t.innerHTML.trim() : ""; }
  var pageLang = document.documentElement.lang || "en";
  var moneyFormat = new Intl.NumberFormat(
    {en: "en-GB", el: "el-GR", de: "de-DE", pt: "pt-PT"}[pageLang] || "en-GB",
    {style: "currency", currency: "EUR", maximumFractionDigits: 0});
  function money(v) { return moneyFormat.format(Math.round(v)); }
  function json(id) { var s = document.getElementById(id); return s ? JSON.parse(s.textContent) : null; }

  // --- play page -----------------------------------------------------------------------
  function initPlay() {
    var data = json("play-data");
    if (!data) { return; }
    var byId = {};
    data.measures.forEach(function (m) { byId[m.id] = m; m.allowed = new Set(m.assets); });
    var plan = (data.plan || []).filter(function (p) { return byId[p.measure]; });
    var select = document.getElementById("asset-select");
    var status = document.getElementById("play-status");
    var meter = document.getElementById("budget-meter");
    var budgetText = document.getElementById("budget-text");
    var field = document.getElementById("plan-field");
    var tbody = document.querySelector("#plan-table tbody");
    var exposure = {};
    var mapData = json("play-map-data");
    mapData.nodes.concat(mapData.links).forEach(function (a) { exposure[a.id] = a.exposure; });
    var cityMap = window.CrisisMap.create(document.getElementById("play-map"), mapData, json("play-map-words"),
      function (id) { select.value = id; add(id); });
    var name = cityMap.name;

    function chosen() {
      var r = document.querySelector("input[name=measure-choice]:checked");
      return r ? byId[r.value] : null;
    }
    function cost() { return plan.reduce(function (s, p) { return s + byId[p.measure].cost; }, 0); }
    function say(msg) { status.textContent = msg; }

    function render() {
      tbody.innerHTML = "";
      plan.forEach(function (p, i) {
        var tr = document.createElement("tr");
        var th = document.createElement("th"); th.scope = "row"; th.textContent = byId[p.measure].title;
        var a = document.createElement("td"); a.textContent = p.asset ? name(p.asset) : text("whole-city-label");
        var c = document.createElement("td"); c.textContent = money(byId[p.measure].cost);
        var b = document.createElement("td");
        var btn = document.createElement("button"); btn.type = "button"; btn.className = "secondary";
        btn.textContent = text("remove-label");
        btn.setAttribute("aria-label", text("remove-label") + ": " + th.textContent + " " + a.textContent);
        btn.addEventListener("click", function () { plan.splice(i, 1); render(); });
        b.appendChild(btn);
        tr.append(th, a, c, b);
        tbody.appendChild(tr);
      });
      var total = cost();
      meter.value = total;
      budgetText.textContent = money(total) + " / " + money(data.budget);
      field.value = JSON.stringify(plan);
      cityMap.setPlaced(plan.filter(function (p) { return p.asset; }).map(function (p) { return p.asset; }));
    }

    function fillAssets() {
      var m = chosen();
      select.innerHTML = "";
      if (!m || !m.per_asset) {
        var o = document.createElement("option"); o.value = ""; o.textContent = text("whole-city-label");
        select.appendChild(o); select.disabled = true; cityMap.setEligible([]); return;
      }
      select.disabled = false;
      var assets = m.assets.slice().sort(function (a, b) { return (exposure[b] || 0) - (exposure[a] || 0); });
      assets.forEach(function (id) {
        var o = document.createElement("option"); o.value = id;
        var e = exposure[id] || 0;
        o.textContent = name(id) + (e > 0 ? " · " + Math.round(e * 100) + " %" : "");
        select.appendChild(o);
      });
      cityMap.setEligible(m.assets);
    }

    function add(assetId) {
      var m = chosen();
      if (!m) { return; }
      var asset = m.per_asset ? assetId : null;
      if (m.per_asset && !m.allowed.has(asset)) { say(text("not-applicable-label") + " (" + name(asset) + ")"); return; }
      if (plan.some(function (p) { return p.measure === m.id && (p.asset || null) === asset; })) { say(text("already-label")); return; }
      if (cost() + m.cost > data.budget + 1e-6) { say(text("over-budget-label")); return; }
      var p = { measure: m.id }; if (asset) { p.asset = asset; }
      plan.push(p); render();
      say(text("added-label") + ": " + m.title + (asset ? " · " + name(asset) : ""));
    }

    document.querySelectorAll("input[name=measure-choice]").forEach(function (r) { r.addEventListener("change", fillAssets); });
    document.getElementById("add-measure").addEventListener("click", function () { add(select.value); });
    fillAssets(); render();
  }

  // --- debrief ---------------------------------------------------------------------------
  var COLOURS = { plan: "#1b6ac9", nothing: "#b3261e", optimiser: "#2e7d32" };

  // On a narrow screen the legend goes under the chart, leaving the plot the full width.
  function legend(el) {
    return el.clientWidth < 560 ? { orientation: "h", x: 0, y: -0.3, yanchor: "top" } : {};
  }

  function charts(d) {
    if (!window.Plotly) { return; }
    var cfg = { displaylogo: false, responsive: true };
    var q = document.getElementById("chart-q");
    if (q) {
      var hours = d.curves.plan.map(function (_, i) { return i; });
      var traces = ["plan", "nothing", "optimiser"].map(function (k) {
        return { x: hours, y: d.curves[k], name: q.getAttribute("data-" + k), mode: "lines", line: { color: COLOURS[k] } };
      });
      window.Plotly.newPlot(q, traces, { margin: { t: 10 }, legend: legend(q), xaxis: { title: { text: q.getAttribute("data-x-label") } }, yaxis: { title: { text: q.getAttribute("data-y-label") } } }, cfg);
    }
    var h = document.getElementById("chart-dist");
    if (h) {
      var e = d.distribution.edges;
      var mids = e.slice(0, -1).map(function (v, i) { return (v + e[i + 1]) / 2; });
      var bars = ["plan", "nothing", "optimiser"].map(function (k) {
        return { x: mids, y: d.distribution.counts[k], name: h.getAttribute("data-" + k), type: "bar", marker: { color: COLOURS[k] } };
      });
      window.Plotly.newPlot(h, bars, { barmode: "group", margin: { t: 10 }, legend: legend(h), xaxis: { title: { text: h.getAttribute("data-x-label") } }, yaxis: { title: { text: h.getAttribute("data-y-label") } } }, cfg);
    }
    var m = document.getElementById("chart-measures");
    if (m && d.measures.length) {
      window.Plotly.newPlot(m, [{
        type: "bar", orientation: "h", marker: { color: COLOURS.plan },
        y: d.measures.map(function (x) { return x.measure + (x.asset ? " @ " + x.asset : ""); }),
        x: d.measures.map(function (x) { return x.benefit; })
      }], { margin: { t: 10, l: 180 }, height: 80 + 40 * d.measures.length, xaxis: { title: { text: m.getAttribute("data-x-label") } } }, cfg);
    }
  }

  function timeline(d) {
    var slider = document.getElementById("hour-slider");
    var svg = document.getElementById("timeline-map");
    if (!slider || !svg) { return; }
    var els = {};
    svg.querySelectorAll("[data-i]").forEach(function (el) { els[el.getAttribute("data-i")] = el; });
    var districts = svg.querySelectorAll("[data-district]");
    var out = document.getElementById("hour-out");
    var counts = document.getElementById("hour-counts");
    function draw() {
      var run = document.querySelector("input[name=timeline-run]:checked").value;
      var t = parseInt(slider.value, 10);
      var story = d.timeline[run];
      svg.querySelectorAll(".down-damaged, .down-cut").forEach(function (el) { el.classList.remove("down-damaged", "down-cut"); });
      var n = 0;
      story.spans.forEach(function (s) {
        if (s[1] <= t && t < s[2] && els[s[0]]) { els[s[0]].classList.add(s[3] ? "down-damaged" : "down-cut"); n += 1; }
      });
      var share = story.district_share[t] || [];
      districts.forEach(function (p) {
        var v = share[parseInt(p.getAttribute("data-district"), 10)];
        p.style.fillOpacity = v === undefined ? "" : String(0.08 + 0.5 * (1 - v));
        p.classList.toggle("losing", v !== undefined && v < 0.999);
      });
      out.textContent = String(t);
      counts.textContent = text("counts-label").replace("{n}", n).replace("{f}", story.failures[t]).replace("{r}", story.repairs[t]);
    }
    slider.addEventListener("input", draw);
    document.querySelectorAll("input[name=timeline-run]").forEach(function (r) { r.addEventListener("change", draw); });
    draw();
  }

  function initDebrief() {
    var d = json("debrief-data");
    if (!d) { return; }
    timeline(d);
    if (window.Plotly) { charts(d); } else { window.addEventListener("load", function () { charts(d); }); }
  }

  // --- report ----------------------------------------------------------------------------
  function initReport() {
    var b = document.getElementById("print-button");
    if (b) { b.addEventListener("click", function () { window.print(); }); }
  }

  // --- tabletop ------------------------------------------------------------------------
  function initTabletop() {
    var box = document.getElementById("tabletop");
    if (!box) { return; }
    var url = box.getAttribute("data-state-url");
    function countdowns() {
      var now = Date.now();
      box.querySelectorAll("[data-deadline]").forEach(function (el) {
        var left = Math.max(0, Math.round((Date.parse(el.getAttribute("data-deadline")) - now) / 1000));
        el.textContent = left + " s";
        if (left === 0) { el.classList.add("expired"); }
      });
    }
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (state) {
          var sig = box.getAttribute("data-signature");
          if (sig !== null && state.signature !== sig) { window.location.reload(); return; }
          window.setTimeout(poll, 2000);
        })
        .catch(function () { window.setTimeout(poll, 4000); });
    }
    countdowns();
    window.setInterval(countdowns, 1000);
    window.setTimeout(poll, 2000);
  }

  initPlay();
  initDebrief();
  initReport();
  initTabletop();
})();
