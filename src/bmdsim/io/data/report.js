/* bmdsim report: draws the map from the JSON in #map-data with Leaflet (inlined), no tiles. */
(function () {
  "use strict";
  var node = document.getElementById("map-data");
  var box = document.getElementById("map");
  if (!node || !box || typeof L === "undefined") { return; }
  var data = JSON.parse(node.textContent);

  var COLOUR = /^#[0-9a-fA-F]{3,8}$/;
  function colour(c, fallback) { return COLOUR.test(c || "") ? c : fallback; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }
  function tipNode(text) {
    var el = document.createElement("div");
    el.className = "tip";
    el.textContent = text;
    return el;
  }

  var SHAPES = {
    circle: function (r) { return '<circle cx="16" cy="16" r="' + r + '"/>'; },
    square: function (r) { return '<rect x="' + (16 - r) + '" y="' + (16 - r) + '" width="' + 2 * r + '" height="' + 2 * r + '" rx="1.5"/>'; },
    diamond: function (r) { var a = r * 1.3; return '<polygon points="16,' + (16 - a) + ' ' + (16 + a) + ',16 16,' + (16 + a) + ' ' + (16 - a) + ',16"/>'; },
    triangle: function (r) { var a = r * 1.35; return '<polygon points="16,' + (16 - a) + ' ' + (16 + a * 0.87) + ',' + (16 + a * 0.5) + ' ' + (16 - a * 0.87) + ',' + (16 + a * 0.5) + '"/>'; },
    star: function (r) {
      var pts = [];
      for (var k = 0; k < 10; k++) {
        var rr = k % 2 === 0 ? r * 1.35 : r * 0.58, a = Math.PI * k / 5;
        pts.push((16 + rr * Math.sin(a)).toFixed(1) + "," + (16 - rr * Math.cos(a)).toFixed(1));
      }
      return '<polygon points="' + pts.join(" ") + '"/>';
    }
  };
  function shapeG(shape, size, c) {
    var draw = SHAPES[shape] || SHAPES.circle;
    var r = Math.max(2, Math.min(14, Number(size) || 6));
    return '<g fill="' + colour(c, "#333333") + '" stroke="#ffffff" stroke-width="1.6">' + draw(r) + "</g>";
  }
  function symbolSvg(shape, size, c) {
    return '<svg width="32" height="32" viewBox="0 0 32 32" xmlns="http://www.w3.org/2000/svg">' +
      shapeG(shape, size, c) + "</svg>";
  }

  var map = L.map(box, {
    zoomSnap: 0.25, zoomDelta: 0.5, preferCanvas: false, worldCopyJump: false,
    attributionControl: true, maxBoundsViscosity: 0.8
  });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Borders: Natural Earth (public domain) \u00b7 Leaflet (BSD-2-Clause)");
  map.createPane("land").style.zIndex = 250;
  map.createPane("labels").style.zIndex = 640;
  map.createPane("labels").style.pointerEvents = "none";

  var landLayer = L.layerGroup();
  data.land.forEach(function (c) {
    L.polygon(c.rings, {
      pane: "land", color: "#a8a294", weight: 0.8, opacity: 1, fill: true,
      fillColor: c.member ? "#e6ecdf" : "#f5f2ea", fillOpacity: 1, smoothFactor: 0.5,
      interactive: true, bubblingMouseEvents: true
    }).bindTooltip(tipNode(c.name), { sticky: true, className: "country-tip", opacity: 0.9 })
      .addTo(landLayer);
  });
  landLayer.addTo(map);

  function item(it) {
    var tip = it.tip ? tipNode(it.tip) : null, layer = null;
    var c = colour(it.c, "#333333"), fc = colour(it.fc, c);
    var style = {
      color: c, weight: it.w === undefined ? 2 : it.w, opacity: it.op === undefined ? 1 : it.op,
      dashArray: it.dash || null, fillColor: fc, fillOpacity: it.fo === undefined ? 0.2 : it.fo,
      lineCap: "round", lineJoin: "round"
    };
    if (it.t === "line") {
      if (!it.ll || it.ll.length < 2) { return null; }
      style.fill = false;
      layer = L.polyline(it.ll, style);
    } else if (it.t === "poly") {
      if (!it.ll || it.ll.length < 3) { return null; }
      layer = L.polygon(it.ll, style);
    } else if (it.t === "circle") {
      style.radius = it.r_m;
      layer = L.circle(it.ll, style);
    } else if (it.t === "dot") {
      style.radius = it.r || 3;
      style.fillOpacity = it.fo === undefined ? 1 : it.fo;
      layer = L.circleMarker(it.ll, style);
    } else if (it.t === "sym") {
      layer = L.marker(it.ll, {
        icon: L.divIcon({ className: "sym", html: symbolSvg(it.shape, it.size, it.c), iconSize: [32, 32], iconAnchor: [16, 16] }),
        keyboard: false, riseOnHover: true
      });
      if (it.label) {
        layer.bindTooltip(esc(it.label), { permanent: true, direction: "right", offset: [10, 0], className: "sym-label", opacity: 1 });
        if (tip) { layer.on("click", function () { L.popup().setLatLng(it.ll).setContent(tipNode(it.tip)).openOn(map); }); }
        return layer;
      }
    } else if (it.t === "label") {
      return L.marker(it.ll, {
        pane: "labels", interactive: false, keyboard: false,
        icon: L.divIcon({ className: "lbl lbl-" + esc(it.cls || "place"), html: "<span>" + esc(it.text) + "</span>", iconSize: null })
      });
    }
    if (layer && tip) { layer.bindTooltip(tip, { sticky: it.t !== "sym", opacity: 0.95 }); }
    return layer;
  }

  var overlays = {};
  data.overlays.forEach(function (group) {
    var g = L.layerGroup();
    group.items.forEach(function (it) { var l = item(it); if (l) { l.addTo(g); } });
    if (group.show) { g.addTo(map); }
    overlays[esc(group.name)] = g;
  });

  var narrow = window.matchMedia && window.matchMedia("(max-width: 760px)").matches;
  L.control.layers(null, overlays, { collapsed: narrow, position: "topright" }).addTo(map);
  L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);

  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    var html = "<h4>Legend</h4>";
    data.legend.forEach(function (r) {
      var c = colour(r.c, "#333333"), sw;
      if (r.kind === "line") { sw = '<line x1="2" y1="8" x2="26" y2="8" stroke="' + c + '" stroke-width="4" stroke-linecap="round"/>'; }
      else if (r.kind === "dash") { sw = '<line x1="2" y1="8" x2="26" y2="8" stroke="' + c + '" stroke-width="2.5" stroke-dasharray="5 4"/>'; }
      else if (r.kind === "dot-line") { sw = '<line x1="2" y1="8" x2="26" y2="8" stroke="' + c + '" stroke-width="2" stroke-dasharray="2 5" stroke-linecap="round"/>'; }
      else if (r.kind === "ring") { sw = '<ellipse cx="14" cy="8" rx="11" ry="6" fill="' + c + '" fill-opacity="0.15" stroke="' + c + '" stroke-width="1.8"/>'; }
      else if (r.kind === "box") { sw = '<rect x="3" y="2" width="22" height="12" rx="2" fill="' + c + '" fill-opacity="0.6" stroke="' + c + '"/>'; }
      else { sw = '<g transform="translate(-2 -8)">' + shapeG(r.kind, 5, c) + "</g>"; }
      html += '<div class="row"><svg width="28" height="16" viewBox="0 0 28 16">' + sw + "</svg><span>" + esc(r.label) + "</span></div>";
    });
    div.innerHTML = html;
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo(map);

  // hide labels that overlap a label of higher rank (marker labels, assets, places, countries)
  function rank(el) {
    if (el.classList.contains("sym-label")) { return 0; }
    var cls = el.parentNode ? String(el.parentNode.className) : "";
    return cls.indexOf("lbl-asset") >= 0 ? 1 : cls.indexOf("lbl-place") >= 0 ? 2 : 3;
  }
  function declutter() {
    var els = [].slice.call(box.querySelectorAll(".leaflet-tooltip.sym-label, .lbl span"));
    els = els.map(function (el, k) { return { el: el, k: k, r: rank(el) }; });
    els.sort(function (a, b) { return a.r - b.r || a.k - b.k; });
    var kept = [];
    els.forEach(function (o) {
      o.el.style.visibility = "";
      var r = o.el.getBoundingClientRect();
      if (!r.width) { return; }
      var hit = kept.some(function (k) {
        return r.left < k.right + 3 && r.right > k.left - 3 && r.top < k.bottom + 1 && r.bottom > k.top - 1;
      });
      if (hit) { o.el.style.visibility = "hidden"; } else { kept.push(r); }
    });
  }
  map.on("zoomend moveend overlayadd overlayremove", declutter);

  var view = L.latLngBounds(data.view);
  map.fitBounds(view, { padding: [12, 12] });
  map.setMinZoom(Math.max(map.getZoom() - 1.5, 1));
  map.setMaxBounds(L.latLngBounds(data.limit));
  declutter();
  box.setAttribute("data-ready", "1");
})();
