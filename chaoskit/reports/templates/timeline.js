/* chaoskit timeline: draws a run's availability, errors and latency as inline SVG.
 *
 * ChaoskitTimeline.mount(element, data) draws `data` (from
 * chaoskit.reports.chart_data()) and redraws on resize; ChaoskitTimeline.render(
 * element, data) redraws with fresh data, as a live game-day page does while the
 * run goes on. No dependencies, no network.
 */
(function (global) {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var COLORS = {
    rate: "#1f8a4c",
    ok: "#b7dfc5",
    unknown: "#f0a202",
    fail: "#d64545",
    p50: "#2f6fdb",
    p99: "#8e44ad",
    fault: "rgba(214, 69, 69, 0.10)",
    faultEdge: "rgba(214, 69, 69, 0.55)",
    note: "#5b6472",
    lag: ["#0e7c86", "#c2570c", "#6b4fbb", "#2f6fdb"],
    promotion: "#0e7c86",
    grid: "#e6e8ec",
    axis: "#9aa1ab",
    text: "#4a5260"
  };
  var MARGIN = { left: 68, right: 18, top: 50, bottom: 44 };
  var GAP = 22;
  var PANELS = [
    { key: "rate", label: "success rate", height: 150 },
    { key: "ops", label: "ops per window", height: 130 },
    { key: "latency", label: "latency (ms)", height: 150 }
  ];
  var LAG_PANEL = { key: "lag", label: "replication lag (s)", height: 130 };

  // The replication lag panel shows when the run measured any lag.
  function panelsFor(data) {
    var points = (data.replication && data.replication.points) || [];
    var any = points.some(function (p) { return p.seconds !== null && p.seconds !== undefined; });
    return any ? PANELS.concat([LAG_PANEL]) : PANELS;
  }

  function el(tag, attrs, parent, text) {
    var node = document.createElementNS(SVG_NS, tag);
    for (var k in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, k)) node.setAttribute(k, attrs[k]);
    }
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function niceStep(range, count) {
    var raw = range / Math.max(count, 1);
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * power >= raw) return steps[i] * power;
    }
    return 10 * power;
  }

  function ticks(max, count) {
    if (!(max > 0)) max = 1;
    var step = niceStep(max, count);
    var out = [];
    for (var v = 0; v <= max + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    if (out[out.length - 1] < max) out.push(+(out[out.length - 1] + step).toPrecision(12));
    return out;
  }

  function fmtSeconds(v, step) {
    var decimals = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step) - 1e-9));
    return v.toFixed(decimals);
  }

  function fmtMs(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    var ms = seconds * 1000;
    return (ms < 10 ? ms.toFixed(1) : ms.toFixed(0)) + " ms";
  }

  function render(container, data) {
    while (container.firstChild) container.removeChild(container.firstChild);
    container.style.position = "relative";
    var width = Math.max(container.clientWidth || 960, 480);
    var plotW = width - MARGIN.left - MARGIN.right;
    var height = MARGIN.top + MARGIN.bottom;
    var specs = panelsFor(data);
    specs.forEach(function (p, i) { height += p.height + (i ? GAP : 0); });

    var series = data.series || [];
    var win = data.window || 1;
    var t0 = data.start || 0;
    var t1 = Math.max(data.end || 0, series.length ? series[series.length - 1].t + win : 0, t0 + win);
    function x(t) { return MARGIN.left + ((t - t0) / (t1 - t0)) * plotW; }

    var svg = el("svg", {
      width: width, height: height, viewBox: "0 0 " + width + " " + height,
      role: "img", "aria-label": "Timeline of the run", "font-family": "inherit", "font-size": 12
    }, container);

    var xStep = niceStep(t1 - t0, Math.max(4, Math.floor(plotW / 90)));
    var top = MARGIN.top;
    var panels = [];
    specs.forEach(function (panel, i) {
      if (i) top += GAP;
      panels.push({ spec: panel, top: top, bottom: top + panel.height });
      top += panel.height;
    });
    var plotTop = panels[0].top;
    var plotBottom = panels[panels.length - 1].bottom;

    // Fault bands go first so the grid and the data draw over them.
    var bands = el("g", { class: "fault-bands" }, svg);
    panels.forEach(function (p) { drawPanel(svg, p, series, win, x, t0, t1, xStep, plotW, data); });
    (data.faults || []).forEach(function (f) {
      var open = f.end === null || f.end === undefined;
      var x0 = x(Math.max(f.start, t0)), x1 = x(Math.min(open ? t1 : f.end, t1));
      panels.forEach(function (p) {
        el("rect", { x: x0, y: p.top, width: Math.max(x1 - x0, 1), height: p.spec.height, fill: COLORS.fault }, bands);
      });
      el("line", { x1: x0, x2: x0, y1: plotTop - 28, y2: plotBottom, stroke: COLORS.faultEdge, "stroke-width": 1 }, svg);
      if (!open) {
        el("line", { x1: x1, x2: x1, y1: plotTop, y2: plotBottom, stroke: COLORS.faultEdge, "stroke-width": 1, "stroke-dasharray": "3 3" }, svg);
      }
      var label = el("text", { x: x0 + 4, y: plotTop - 32, fill: "#a12f2f", "font-weight": 600 }, svg,
        (f.name ? f.name + " · " : "") + f.id + (open ? " (in force)" : ""));
      el("title", {}, label, f.id + ": " + f.start + " s → " + (open ? "not reverted" : f.end + " s"));
    });

    // Where each recovery curve says the service was back after its fault's revert.
    (data.recoveries || []).forEach(function (r) {
      if (r.recovered_at === null || r.recovered_at === undefined || r.recovered_at > t1) return;
      var xr = x(r.recovered_at);
      el("line", { x1: xr, x2: xr, y1: plotTop, y2: plotBottom, stroke: "#1f8a4c", "stroke-width": 2 }, svg);
      var tag = el("text", { x: xr + 4, y: plotTop + 12, fill: "#1f8a4c", "font-weight": 600 }, svg,
        "recovered " + (r.recovered_at - r.since).toFixed(1) + " s after revert");
      el("title", {}, tag, r.fault + ": reverted at " + r.since.toFixed(2) + " s, sustained success from " + r.recovered_at.toFixed(2) + " s");
    });

    // x axis under the last panel.
    var axisY = plotBottom;
    for (var t = Math.ceil(t0 / xStep) * xStep; t <= t1 + xStep * 1e-9; t += xStep) {
      var xt = x(t);
      el("line", { x1: xt, x2: xt, y1: axisY, y2: axisY + 5, stroke: COLORS.axis }, svg);
      el("text", { x: xt, y: axisY + 18, "text-anchor": "middle", fill: COLORS.text }, svg, fmtSeconds(t, xStep));
    }
    el("text", { x: MARGIN.left + plotW / 2, y: axisY + 36, "text-anchor": "middle", fill: COLORS.text, "font-weight": 600 },
      svg, "time since run start (s)");

    // Notes: a dashed line through every panel, numbered at the top.
    (data.notes || []).forEach(function (n, i) {
      var xn = x(n.time);
      el("line", { x1: xn, x2: xn, y1: plotTop - 6, y2: plotBottom, stroke: COLORS.note, "stroke-width": 1, "stroke-dasharray": "2 3" }, svg);
      var g = el("g", { class: "note-marker" }, svg);
      el("circle", { cx: xn, cy: plotTop - 13, r: 8, fill: COLORS.note }, g);
      el("text", { x: xn, y: plotTop - 9.5, "text-anchor": "middle", fill: "#fff", "font-size": 10, "font-weight": 700 }, g, String(i + 1));
      el("title", {}, g, n.time.toFixed(2) + " s — " + n.text);
    });

    attachHover(container, svg, series, win, x, t0, t1, plotTop, plotBottom);
  }

  function drawPanel(svg, p, series, win, x, t0, t1, xStep, plotW, data) {
    var spec = p.spec, h = spec.height, g = el("g", { class: "panel panel-" + spec.key }, svg);
    var max, yTicks;
    if (spec.key === "rate") {
      yTicks = [0, 25, 50, 75, 100];
      max = 100;
    } else if (spec.key === "ops") {
      max = 0;
      series.forEach(function (w) { max = Math.max(max, w.ok + w.fail + w.unknown); });
      yTicks = ticks(max, 3);
      max = yTicks[yTicks.length - 1];
    } else if (spec.key === "lag") {
      max = 0;
      data.replication.points.forEach(function (q) { if (q.seconds !== null) max = Math.max(max, q.seconds); });
      yTicks = ticks(max, 3);
      max = yTicks[yTicks.length - 1];
    } else {
      max = 0;
      series.forEach(function (w) { if (w.p99 !== null) max = Math.max(max, w.p99 * 1000); });
      yTicks = ticks(max, 3);
      max = yTicks[yTicks.length - 1];
    }
    function y(v) { return p.bottom - (v / max) * h; }

    // Grid, y ticks and titles.
    yTicks.forEach(function (v) {
      el("line", { x1: x(t0), x2: x(t0) + plotW, y1: y(v), y2: y(v), stroke: COLORS.grid }, g);
      el("text", { x: x(t0) - 8, y: y(v) + 4, "text-anchor": "end", fill: COLORS.text }, g, spec.key === "rate" ? v + "%" : String(v));
    });
    for (var t = Math.ceil(t0 / xStep) * xStep; t <= t1 + xStep * 1e-9; t += xStep) {
      el("line", { x1: x(t), x2: x(t), y1: p.top, y2: p.bottom, stroke: COLORS.grid }, g);
    }
    el("text", {
      transform: "translate(16," + (p.top + h / 2) + ") rotate(-90)", "text-anchor": "middle", fill: "#1d2330", "font-weight": 600
    }, g, spec.label);
    el("line", { x1: x(t0), x2: x(t0) + plotW, y1: p.bottom, y2: p.bottom, stroke: COLORS.axis }, g);
    el("line", { x1: x(t0), x2: x(t0), y1: p.top, y2: p.bottom, stroke: COLORS.axis }, g);

    if (spec.key === "rate") {
      stepPath(g, series, win, x, function (w) { return w.success_rate === null ? null : y(w.success_rate * 100); });
    } else if (spec.key === "ops") {
      series.forEach(function (w) {
        var x0 = x(w.t), bw = Math.max(x(w.t + win) - x0 - (x(w.t + win) - x0 > 4 ? 1 : 0), 0.8);
        var base = 0;
        [["ok", COLORS.ok], ["unknown", COLORS.unknown], ["fail", COLORS.fail]].forEach(function (part) {
          var n = w[part[0]];
          if (!n) return;
          el("rect", { x: x0, y: y(base + n), width: bw, height: y(base) - y(base + n), fill: part[1] }, g);
          base += n;
        });
      });
    } else if (spec.key === "lag") {
      drawLag(g, data.replication, x, y, p);
    } else {
      linePath(g, series, win, x, function (w) { return w.p50 === null ? null : y(w.p50 * 1000); }, COLORS.p50, "");
      linePath(g, series, win, x, function (w) { return w.p99 === null ? null : y(w.p99 * 1000); }, COLORS.p99, "");
    }
  }

  // One line per replica (a gap where it was not measured), and each promotion
  // marked with the lag it inherited.
  function drawLag(g, replication, x, y, p) {
    var regions = [];
    replication.points.forEach(function (q) { if (regions.indexOf(q.region) < 0) regions.push(q.region); });
    regions.forEach(function (region, k) {
      var color = COLORS.lag[k % COLORS.lag.length], d = "", open = false;
      replication.points.forEach(function (q) {
        if (q.region !== region) return;
        if (q.seconds === null) { open = false; return; }
        d += (open ? "L" : "M") + x(q.t) + "," + y(q.seconds);
        open = true;
      });
      if (d) {
        var path = el("path", { d: d, fill: "none", stroke: color, "stroke-width": 2, "stroke-linejoin": "round", class: "lag-line" }, g);
        el("title", {}, path, "replica in " + region);
      }
      el("text", { x: MARGIN.left + 8, y: p.top + 14 + 14 * k, fill: color, "font-weight": 600 }, g, "replica " + region);
    });
    (replication.promotions || []).forEach(function (m) {
      var xm = x(m.time);
      el("line", { x1: xm, x2: xm, y1: p.top, y2: p.bottom, stroke: COLORS.promotion, "stroke-width": 2, "stroke-dasharray": "5 3" }, g);
      var lag = m.seconds === null ? "lag not measured" : "lag " + m.seconds.toFixed(2) + " s";
      var lost = m.lost_writes === null ? "lost writes: cannot judge" : m.lost_writes + " writes lost";
      var label = el("text", { x: xm + 4, y: p.bottom - 6, fill: COLORS.promotion, "font-weight": 600, class: "promotion" }, g,
        "promote " + (m.promoted || "?") + ": " + lag + " · " + lost);
      el("title", {}, label, "promotion at " + m.time + " s; lag measured at " + m.measured_at + " s: " +
        (m.seconds === null ? "—" : m.seconds + " s") + ", " + (m.bytes === null ? "—" : m.bytes + " bytes") +
        "; RPO " + (m.rpo === null ? "cannot judge" : m.rpo + " s"));
    });
  }

  // Each window's rate as a flat step, so a 1-window outage shows its true width.
  // Windows with no ops break the line rather than pretending to a rate.
  function stepPath(g, series, win, x, yOf) {
    var d = "", open = false;
    series.forEach(function (w) {
      var yv = yOf(w);
      if (yv === null) { open = false; return; }
      d += (open ? "L" : "M") + x(w.t) + "," + yv + "L" + x(w.t + win) + "," + yv;
      open = true;
    });
    if (d) el("path", { d: d, fill: "none", stroke: COLORS.rate, "stroke-width": 2, "stroke-linejoin": "round" }, g);
  }

  function linePath(g, series, win, x, yOf, color, dash) {
    var d = "", open = false;
    series.forEach(function (w) {
      var yv = yOf(w), xc = x(w.t + win / 2);
      if (yv === null) { open = false; return; }
      d += (open ? "L" : "M") + xc + "," + yv;
      open = true;
    });
    if (d) el("path", { d: d, fill: "none", stroke: color, "stroke-width": 2, "stroke-dasharray": dash, "stroke-linejoin": "round" }, g);
    // Lone points (a window between two empty ones) would not show as a line.
    series.forEach(function (w, i) {
      var yv = yOf(w);
      var prev = i > 0 ? yOf(series[i - 1]) : null, next = i + 1 < series.length ? yOf(series[i + 1]) : null;
      if (yv !== null && prev === null && next === null) el("circle", { cx: x(w.t + win / 2), cy: yv, r: 2.5, fill: color }, g);
    });
  }

  function attachHover(container, svg, series, win, x, t0, t1, plotTop, plotBottom) {
    var cursor = el("line", { x1: 0, x2: 0, y1: plotTop, y2: plotBottom, stroke: "#1d2330", "stroke-width": 1, visibility: "hidden", "pointer-events": "none" }, svg);
    var tip = document.createElement("div");
    tip.className = "timeline-tip";
    tip.style.cssText = "position:absolute;pointer-events:none;display:none;background:#1d2330;color:#fff;" +
      "font-size:12px;line-height:1.45;padding:6px 9px;border-radius:6px;white-space:nowrap;box-shadow:0 2px 8px rgba(0,0,0,.2)";
    container.appendChild(tip);
    svg.addEventListener("mousemove", function (ev) {
      var box = svg.getBoundingClientRect();
      var px = ev.clientX - box.left;
      var t = t0 + ((px - MARGIN.left) / (x(t1) - MARGIN.left)) * (t1 - t0);
      var i = Math.floor((t - t0) / win + 1e-9);
      if (t < t0 || t > t1 || i < 0 || i >= series.length) { cursor.setAttribute("visibility", "hidden"); tip.style.display = "none"; return; }
      var w = series[i];
      cursor.setAttribute("x1", x(w.t + win / 2));
      cursor.setAttribute("x2", x(w.t + win / 2));
      cursor.setAttribute("visibility", "visible");
      var rate = w.success_rate === null ? "—" : (w.success_rate * 100).toFixed(1) + "%";
      tip.innerHTML = "";
      [
        w.t.toFixed(2) + "–" + (w.t + win).toFixed(2) + " s",
        "success " + rate,
        "ok " + w.ok + " · fail " + w.fail + " · unknown " + w.unknown,
        "p50 " + fmtMs(w.p50) + " · p99 " + fmtMs(w.p99)
      ].forEach(function (line, k) {
        var div = document.createElement("div");
        div.textContent = line;
        if (!k) div.style.fontWeight = "600";
        tip.appendChild(div);
      });
      tip.style.display = "block";
      var left = px + 14;
      if (left + tip.offsetWidth > box.width) left = px - tip.offsetWidth - 14;
      tip.style.left = left + "px";
      tip.style.top = (ev.clientY - box.top + 12) + "px";
    });
    svg.addEventListener("mouseleave", function () {
      cursor.setAttribute("visibility", "hidden");
      tip.style.display = "none";
    });
  }

  // Draw once and redraw on resize; later `render` calls with fresh data are
  // what the resize redraws from.
  function mount(container, data) {
    container.__chaoskitData = data;
    render(container, data);
    var pending = null;
    global.addEventListener("resize", function () {
      if (pending) clearTimeout(pending);
      pending = setTimeout(function () { render(container, container.__chaoskitData); }, 120);
    });
  }

  global.ChaoskitTimeline = {
    render: function (container, data) {
      container.__chaoskitData = data;
      render(container, data);
    },
    mount: mount
  };
})(window);
