// The exercise map: Leaflet on the city's own coordinates (no tiles), the flood drawn from
// the hazard, assets as touch-sized pins that never hide each other (pins that would overlap
// at the current zoom become one group, whose chooser lists them by name), keyboard focus
// and selection of every pin and group.
(function () {
  "use strict";

  var PIN = 26; // px: the pin's touch target; pins closer than this are grouped

  function el(tag, cls, textContent) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (textContent !== undefined) { e.textContent = textContent; }
    return e;
  }

  // SVG coordinates (y down) to Leaflet's simple CRS (y up).
  function ll(x, y) { return [-y, x]; }

  function create(container, data, words, onSelect) {
    var L = window.L;
    var map = L.map(container, {
      crs: L.CRS.Simple, minZoom: -2, maxZoom: 5, zoomSnap: 0.25, attributionControl: false,
      keyboard: true, tap: true
    });
    var bounds = L.latLngBounds(ll(0, data.height), ll(data.width, 0));
    map.fitBounds(bounds);
    map.setMinZoom(map.getZoom() - 1);

    var districts = L.layerGroup().addTo(map);
    data.districts.forEach(function (d) {
      var ring = d.ring.map(function (p) { return ll(p[0], p[1]); });
      L.polygon(ring, { className: "ex-district", interactive: false }).addTo(districts);
      L.marker(ll(d.x, d.y), {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "ex-district-label", html: "<span translate=\"no\"></span>", iconSize: null })
      }).on("add", function (ev) { ev.target.getElement().firstChild.textContent = d.name; }).addTo(districts);
    });
    if (data.flood) {
      L.imageOverlay(data.flood.image, bounds, { className: "ex-flood", interactive: false, alt: words.flood }).addTo(map);
      districts.eachLayer(function (layer) { if (layer.bringToFront) { layer.bringToFront(); } });
    }
    var lines = L.layerGroup().addTo(map);
    data.links.forEach(function (l) {
      L.polyline([ll(l.x1, l.y1), ll(l.x2, l.y2)], { className: "ex-line sector-" + l.sector, interactive: false }).addTo(lines);
    });

    // Every asset with a pin: nodes, and links worth a measure at their middle.
    var assets = [];
    data.nodes.forEach(function (n) { if (n.marker) { assets.push({ a: n, x: n.x, y: n.y }); } });
    data.links.forEach(function (l) {
      if (l.marker) { assets.push({ a: l, x: (l.x1 + l.x2) / 2, y: (l.y1 + l.y2) / 2 }); }
    });
    var byId = {};
    assets.forEach(function (p) {
      p.id = p.a.id;
      p.name = words.pattern.replace("{place}", p.a.place || "").replace("{kind}", words.classes[p.a.cls] || p.a.cls)
        .replace("{id}", p.a.id).replace(/\s+/g, " ").trim();
      byId[p.id] = p;
    });

    var state = { eligible: {}, placed: {} };
    var pins = L.layerGroup().addTo(map);

    function pinClass(p) {
      return "ex-pin sector-" + p.a.sector + (p.a.exposure >= 0.2 ? " exposed" : "") +
        (state.eligible[p.id] ? " eligible" : "") + (state.placed[p.id] ? " placed" : "");
    }
    function label(p) {
      var bits = [p.name];
      if (p.a.exposure > 0) { bits.push(words.hit + ": " + Math.round(p.a.exposure * 100) + " %"); }
      if (state.placed[p.id]) { bits.push(words.placed); }
      return bits.join(" · ");
    }

    // The chooser of a group: a panel over the top of the map listing its assets by name.
    var sheet = null;
    function closeChooser(back) {
      if (sheet) { sheet.remove(); sheet = null; }
      if (back) { back.focus(); }
    }
    function choose(group, marker) {
      closeChooser();
      var origin = marker.getElement();
      sheet = el("div", "ex-chooser");
      sheet.setAttribute("role", "dialog");
      var title = el("p", "ex-chooser-title", words.group.replace("{n}", group.length));
      title.id = container.id + "-chooser-title";
      sheet.setAttribute("aria-labelledby", title.id);
      sheet.appendChild(title);
      var list = el("ul");
      group.forEach(function (p) {
        var li = el("li");
        var b = el("button", "secondary" + (state.placed[p.id] ? " placed" : ""), p.name);
        b.type = "button";
        b.setAttribute("data-asset", p.id);
        b.addEventListener("click", function () { closeChooser(); onSelect(p.id); refocus(p.id); });
        li.appendChild(b);
        list.appendChild(li);
      });
      sheet.appendChild(list);
      var row = el("p", "ex-chooser-actions");
      if (map.getZoom() < map.getMaxZoom()) {
        var zoom = el("button", "secondary ex-zoom", words.zoom);
        zoom.type = "button";
        zoom.addEventListener("click", function () {
          var at = marker.getLatLng();
          closeChooser();
          map.setView(at, Math.min(map.getZoom() + 2, map.getMaxZoom()));
        });
        row.appendChild(zoom);
      }
      var close = el("button", "secondary", words.close);
      close.type = "button";
      close.addEventListener("click", function () { closeChooser(origin); });
      row.appendChild(close);
      sheet.appendChild(row);
      sheet.addEventListener("keydown", function (ev) {
        if (ev.key === "Escape") { ev.stopPropagation(); closeChooser(origin); }
      });
      L.DomEvent.disableClickPropagation(sheet);
      L.DomEvent.disableScrollPropagation(sheet);
      container.parentNode.insertBefore(sheet, container);
      sheet.querySelector("button").focus({ preventScroll: true });
    }
    // After a choice from a group, focus goes back to the group's pin on the map.
    function refocus(id) {
      var e = container.querySelector('[data-assets~="' + id + '"]');
      if (e) { e.focus({ preventScroll: true }); }
    }
    map.on("zoomstart", function () { closeChooser(); });

    // Group pins that would overlap at this zoom: most exposed first, each joins the nearest
    // group centre closer than one pin, else starts one.
    function layout() {
      var focused = document.activeElement && document.activeElement.getAttribute("data-assets");
      pins.clearLayers();
      var order = assets.slice().sort(function (a, b) {
        return (state.eligible[b.id] ? 1 : 0) - (state.eligible[a.id] ? 1 : 0) ||
          b.a.exposure - a.a.exposure || (a.id < b.id ? -1 : 1);
      });
      var cell = {};
      var groups = [];
      order.forEach(function (p) {
        var pt = map.latLngToLayerPoint(ll(p.x, p.y));
        var cx = Math.floor(pt.x / PIN), cy = Math.floor(pt.y / PIN);
        var best = null, bestD = PIN;
        for (var i = -1; i <= 1; i++) {
          for (var j = -1; j <= 1; j++) {
            (cell[(cx + i) + ":" + (cy + j)] || []).forEach(function (g) {
              var d = Math.hypot(g.pt.x - pt.x, g.pt.y - pt.y);
              if (d < bestD) { best = g; bestD = d; }
            });
          }
        }
        if (best) { best.members.push(p); return; }
        var g = { pt: pt, members: [p] };
        groups.push(g);
        var key = cx + ":" + cy;
        (cell[key] = cell[key] || []).push(g);
      });
      groups.forEach(function (g) {
        var first = g.members[0];
        var ids = g.members.map(function (p) { return p.id; });
        var single = g.members.length === 1;
        var cls = single ? pinClass(first) : "ex-group" +
          (g.members.some(function (p) { return state.eligible[p.id]; }) ? " eligible" : "") +
          (g.members.some(function (p) { return state.placed[p.id]; }) ? " placed" : "");
        var marker = L.marker(map.layerPointToLatLng(g.pt), {
          keyboard: true, riseOnHover: true,
          icon: L.divIcon({ className: cls, iconSize: [PIN, PIN], html: single ? "" : "<span>" + g.members.length + "</span>" })
        });
        marker.on("add", function () {
          var e = marker.getElement();
          e.setAttribute("data-assets", ids.join(" "));
          e.setAttribute("aria-label", single ? label(first) :
            words.group.replace("{n}", g.members.length) + ": " + g.members.map(function (p) { return p.name; }).join(", "));
          e.setAttribute("title", single ? label(first) : words.group.replace("{n}", g.members.length));
          if (!single) { e.setAttribute("aria-haspopup", "dialog"); }
          e.setAttribute("role", "button");
          e.addEventListener("keydown", function (ev) {
            if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); activate(); }
          });
          if (focused && focused === ids.join(" ")) { e.focus({ preventScroll: true }); }
        });
        function activate() { if (single) { onSelect(first.id); } else { choose(g.members, marker); } }
        marker.on("click", activate);
        marker.addTo(pins);
      });
    }
    map.on("zoomend", layout);
    layout();

    return {
      map: map,
      name: function (id) { return byId[id] ? byId[id].name : id; },
      setEligible: function (ids) { state.eligible = {}; ids.forEach(function (i) { state.eligible[i] = true; }); layout(); },
      setPlaced: function (ids) { state.placed = {}; ids.forEach(function (i) { state.placed[i] = true; }); layout(); }
    };
  }

  window.CrisisMap = { create: create };
})();
