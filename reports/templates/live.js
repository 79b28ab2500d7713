/* live page: polls /events and draws with textContent and createElement only. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var SERIES = [["create", "s-create"], ["update", "s-update"], ["disable", "s-disable"], ["delete", "s-delete"], ["failure", "s-failure"]];
  var MAX_ROWS = 200;
  var after = 0, cycles = [], counts = { req: 0, ok: 0, c4: 0, c5: 0, exp: 0, pass: 0, fail: 0 };
  var open = {};  // "METHOD path status" -> error rows no passing check has claimed yet (newest last)
  var $ = function (id) { return document.getElementById(id); };

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value === null || value === undefined ? "" : String(value);
    if (cls) { el.className = cls; }
    return el;
  }
  function num(id, n) { $(id).textContent = String(n); }

  function onExchange(e) {
    counts.req += 1;
    var s = typeof e.status === "number" ? e.status : 0;
    if (s && s < 400) { counts.ok += 1; } else if (s >= 400 && s < 500) { counts.c4 += 1; } else { counts.c5 += 1; }
    var row = document.createElement("tr");
    row.appendChild(text("td", String(e.at || "").slice(11, 19), "nw"));
    row.appendChild(text("td", e.source, "nw"));
    row.appendChild(text("td", e.method, "nw"));
    row.appendChild(text("td", e.path));
    row.appendChild(text("td", s ? s : (e.error || "no answer"), (s ? "st" + String(s).charAt(0) : "st5") + " nw"));
    if (s >= 400) {
      var key = e.method + " " + e.path + " " + s;
      (open[key] = open[key] || []).push(row);
    }
    var body = $("traffic");
    body.insertBefore(row, body.firstChild);
    while (body.childNodes.length > MAX_ROWS) { body.removeChild(body.lastChild); }
  }

  // A check that passed (or skipped: not applicable) on an error answer (e.g. /Me -> 501 where /Me is not supported):
  // that answer was expected. Its row turns grey and it leaves the 4xx / 5xx counts.
  function claimExpected(items) {
    (Array.isArray(items) ? items : []).forEach(function (x) {
      var s = typeof x.status === "number" ? x.status : 0;
      var rows = open[x.method + " " + x.path + " " + s];
      if (!rows || !rows.length) { return; }
      var row = rows.pop();
      row.className = "expected";
      row.lastChild.className = "stx nw";
      row.lastChild.textContent = String(s) + " expected";
      if (s >= 500) { counts.c5 -= 1; } else { counts.c4 -= 1; }
      counts.exp += 1;
    });
  }

  function onCheck(e) {
    var outcome = ["pass", "fail", "warn", "error", "skip"].indexOf(e.outcome) >= 0 ? e.outcome : "skip";
    claimExpected(e.expected);  // the demo sends them only for checks that passed or found it not applicable
    if (outcome === "pass") { counts.pass += 1; }
    if (outcome === "fail") { counts.fail += 1; }
    var li = document.createElement("li");
    li.appendChild(text("span", outcome.toUpperCase(), "pill o-" + outcome));
    li.appendChild(text("span", e.title || e.id));
    var list = $("checks");
    list.insertBefore(li, list.firstChild);
    while (list.childNodes.length > MAX_ROWS) { list.removeChild(list.lastChild); }
  }

  function drawCycles() {
    var svg = $("cycles");
    while (svg.childNodes.length > 1) { svg.removeChild(svg.lastChild); }
    var n = Math.max(cycles.length, 12), slot = 960 / n, w = Math.max(2, Math.min(40, slot * 0.7));
    var max = 0;
    cycles.forEach(function (c) { max = Math.max(max, c.total); });
    var scale = max ? 110 / Math.sqrt(max) : 0;
    cycles.forEach(function (c, i) {
      var g = document.createElementNS(SVG, "g");
      var title = document.createElementNS(SVG, "title");
      title.textContent = "cycle " + (i + 1) + " (" + c.kind + "): " + SERIES.map(function (s) { return c.counts[s[0]] + " " + s[0]; }).join(", ");
      g.appendChild(title);
      var x = i * slot + (slot - w) / 2, y = 130, h = Math.sqrt(c.total) * scale;
      if (c.quarantined) {
        var q = document.createElementNS(SVG, "rect");
        q.setAttribute("class", "quarantine"); q.setAttribute("x", x - 2); q.setAttribute("y", 6);
        q.setAttribute("width", w + 4); q.setAttribute("height", 124); g.appendChild(q);
      }
      SERIES.forEach(function (s) {
        var v = c.counts[s[0]];
        if (!v || !c.total) { return; }
        var sh = Math.max(1, h * v / c.total);
        y -= sh;
        var r = document.createElementNS(SVG, "rect");
        r.setAttribute("class", s[1]); r.setAttribute("x", x); r.setAttribute("y", y);
        r.setAttribute("width", w); r.setAttribute("height", sh); g.appendChild(r);
      });
      if (c.escrowed) {
        var p = document.createElementNS(SVG, "path");
        p.setAttribute("class", "escrow");
        p.setAttribute("d", "M" + (x + w / 2) + " " + (y - 3) + "l-5 -9h10z"); g.appendChild(p);
      }
      var label = document.createElementNS(SVG, "text");
      label.setAttribute("x", x + w / 2); label.setAttribute("y", 145); label.setAttribute("text-anchor", "middle");
      label.textContent = String(i + 1); g.appendChild(label);
      svg.appendChild(g);
    });
    $("cyclenote").textContent = cycles.length ? cycles.length + " cycle(s); bar height grows with the square root of the changes" : $("cyclenote").textContent;
  }

  function cycleOf(e) {
    var c = { id: String(e.cycleId || ""), kind: String(e.kind || ""), counts: {}, total: 0,
              escrowed: Number(e.escrowed) || 0, quarantined: !!e.quarantined };
    SERIES.forEach(function (s) {
      var v = e.counts && typeof e.counts[s[0]] === "number" ? e.counts[s[0]] : 0;
      c.counts[s[0]] = v; c.total += v;
    });
    return c;
  }

  // A "cycle" event adds a cycle or updates the one with the same id (running counts).
  function onCycle(e) {
    var c = cycleOf(e), i;
    for (i = 0; i < cycles.length; i += 1) {
      if (c.id && cycles[i].id === c.id) { cycles[i] = c; drawCycles(); return; }
    }
    cycles.push(c);
    drawCycles();
  }

  // A "cycles" event replaces them all with the simulator's exact records.
  function onCycles(e) {
    cycles = (Array.isArray(e.cycles) ? e.cycles : []).map(cycleOf);
    drawCycles();
  }

  function onDone(e) {
    var box = $("done");
    box.hidden = false;
    box.textContent = String(e.text || "finished");
    $("phase").textContent = "finished";
    var state = $("state");
    state.className = "state finished";
    $("statetext").textContent = "finished";
  }

  function handle(e) {
    if (e.type === "exchange") { onExchange(e); }
    else if (e.type === "check") { onCheck(e); }
    else if (e.type === "cycle") { onCycle(e); }
    else if (e.type === "cycles") { onCycles(e); }
    else if (e.type === "phase") { $("phase").textContent = String(e.text || ""); }
    else if (e.type === "done") { onDone(e); }
  }

  function render() {
    num("n-req", counts.req); num("n-2xx", counts.ok); num("n-4xx", counts.c4); num("n-5xx", counts.c5); num("n-exp", counts.exp);
    num("n-pass", counts.pass); num("n-fail", counts.fail); num("n-cycles", cycles.length);
  }

  var failures = 0;
  function poll() {
    fetch("events?after=" + after, { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (data) {
      failures = 0;
      (data.events || []).forEach(handle);
      after = data.next || after;
      render();
      document.documentElement.dataset.seq = String(after);
      var more = (data.events || []).length > 0;
      if (!data.done || more) { setTimeout(poll, more ? 50 : 400); }
    }).catch(function () {
      failures += 1;
      if (failures > 5) {
        var state = $("state");
        if (state.className.indexOf("finished") < 0) { state.className = "state lost"; $("statetext").textContent = "demo ended"; }
        return;
      }
      setTimeout(poll, 1000);
    });
  }
  document.documentElement.dataset.ready = "1";
  poll();
})();
