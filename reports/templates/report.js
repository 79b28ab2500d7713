/* scim-harness report: filters, search, expand/collapse, copy, print.
   Inlined and allowed by its hash in the CSP. It only reads text (textContent) and
   toggles the hidden attribute and <details open>; it never writes HTML. */
(function () {
  "use strict";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  var checks = $$("details.check");
  var areas = $$("section.area");
  var texts = null; // lower-case text of each check, computed on the first search

  function wanted() {
    var outcomes = {};
    $$('input[name="outcome"]').forEach(function (box) { outcomes[box.value] = box.checked; });
    return {
      outcomes: outcomes,
      area: ($("#f-area") || {}).value || "",
      level: ($("#f-level") || {}).value || "",
      text: (($("#f-text") || {}).value || "").trim().toLowerCase()
    };
  }

  function apply() {
    var w = wanted();
    if (w.text && texts === null) {
      texts = checks.map(function (c) { return c.textContent.toLowerCase(); });
    }
    var shown = 0;
    checks.forEach(function (c, i) {
      var ok = w.outcomes[c.dataset.outcome] !== false &&
        (!w.area || c.dataset.area === w.area) &&
        (!w.level || c.dataset.level === w.level) &&
        (!w.text || texts[i].indexOf(w.text) !== -1);
      c.hidden = !ok;
      if (ok) { shown += 1; }
    });
    areas.forEach(function (a) {
      a.hidden = !$$("details.check", a).some(function (c) { return !c.hidden; });
    });
    var label = $("#shown");
    if (label) { label.textContent = shown + " of " + checks.length + " checks shown"; }
  }

  $$('input[name="outcome"]').forEach(function (box) { box.addEventListener("change", apply); });
  ["#f-area", "#f-level"].forEach(function (sel) { var el = $(sel); if (el) { el.addEventListener("change", apply); } });
  var search = $("#f-text");
  if (search) { search.addEventListener("input", apply); }

  function setOpen(open) {
    checks.forEach(function (c) { if (!c.hidden) { c.open = open; } });
  }
  var expand = $("#expand"), collapse = $("#collapse");
  if (expand) { expand.addEventListener("click", function () { setOpen(true); }); }
  if (collapse) { collapse.addEventListener("click", function () { setOpen(false); }); }

  // A link to a check or an exchange opens the <details> that hold it.
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id ? document.getElementById(id) : null;
    while (el) {
      if (el.tagName === "DETAILS") { el.open = true; el.hidden = false; }
      if (el.tagName === "SECTION") { el.hidden = false; }
      el = el.parentElement;
    }
  }
  window.addEventListener("hashchange", reveal);
  reveal();

  // Copy a curl line (clipboard may be refused for file:// pages: then select the text).
  $$(".curl button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var pre = button.parentElement.querySelector("pre");
      var text = pre ? pre.textContent : "";
      var done = function () { button.textContent = "copied"; };
      var select = function () {
        var range = document.createRange();
        range.selectNodeContents(pre);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        button.textContent = "selected";
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, select);
      } else { select(); }
    });
  });

  // Printing shows every finding that did not pass, whatever was collapsed on screen.
  window.addEventListener("beforeprint", function () {
    checks.forEach(function (c) {
      if (c.dataset.outcome !== "pass" && c.dataset.outcome !== "skip") { c.open = true; }
    });
  });

  // The provisioning log of a simulation: search and status filter.
  var logTable = $("#logtable");
  if (logTable) {
    var rows = $$("tbody tr", logTable);
    var rowTexts = rows.map(function (r) { return r.textContent.toLowerCase(); });
    var logSearch = $("#logsearch"), logStatus = $("#logstatus"), logShown = $("#logshown");
    var filterLog = function () {
      var q = (logSearch.value || "").trim().toLowerCase(), st = logStatus.value, n = 0;
      rows.forEach(function (r, i) {
        var ok = (!st || r.dataset.status === st) && (!q || rowTexts[i].indexOf(q) !== -1);
        r.hidden = !ok;
        if (ok) { n += 1; }
      });
      logShown.textContent = n + " of " + rows.length + " entries";
    };
    logSearch.addEventListener("input", filterLog);
    logStatus.addEventListener("change", filterLog);
    filterLog();
  }

  document.documentElement.dataset.ready = "1";
  apply();
})();
