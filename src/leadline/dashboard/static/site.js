// The site dashboard's small enhancements: live count, range shortcuts, panel tabs, "more" rows, chart hover.
// The page works without this file; it only refreshes, switches and shows hover values in place.
(function () {
  "use strict";
  var dash = document.querySelector(".dash");
  if (!dash) return;

  // Current visitors, every 10 seconds, from {base}/current.
  var live = dash.querySelector('[data-metric="current_visitors"]');
  if (live && live.dataset.src) {
    var every = (parseInt(live.dataset.refresh, 10) || 10) * 1000;
    var refresh = function () {
      fetch(live.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer && typeof answer.total === "number") {
            live.textContent = String(answer.total);
            live.dataset.value = String(answer.total);
          }
        })
        .catch(function () { /* offline for a moment: keep the last count */ });
    };
    window.setInterval(refresh, every);
  }

  // Keyboard shortcuts for the ranges (as Plausible has): the key named on each range link.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var key = (event.key || "").toLowerCase();
    if (key === "c") {
      var from = dash.querySelector('[data-range-form] input[name="from"]');
      if (from) { event.preventDefault(); from.focus(); }
      return;
    }
    var link = dash.querySelector('.ranges a[data-shortcut="' + key + '"]');
    if (link) { event.preventDefault(); window.location.href = link.href; }
  });

  // Panels of one box become tabs.
  Array.prototype.forEach.call(dash.querySelectorAll(".group"), function (group) {
    var tabs = group.querySelector(".tabs");
    if (!tabs) return;
    var buttons = tabs.querySelectorAll("[data-tab]");
    var show = function (name) {
      Array.prototype.forEach.call(buttons, function (button) {
        button.setAttribute("aria-selected", button.dataset.tab === name ? "true" : "false");
      });
      Array.prototype.forEach.call(group.querySelectorAll(".panel"), function (panel) {
        panel.classList.toggle("hidden-tab", panel.dataset.panel !== name);
      });
    };
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () { show(button.dataset.tab); });
    });
    tabs.hidden = false;
    group.classList.add("tabbed");
    // A "more" link followed without JavaScript lands on #panel-NAME: open that tab.
    var wanted = window.location.hash.replace("#panel-", "");
    show(group.querySelector('.panel[data-panel="' + wanted + '"]') ? wanted : buttons[0].dataset.tab);
  });

  // "More": fetch the panel's partial with up to 100 rows and put it in place.
  dash.addEventListener("click", function (event) {
    var more = event.target.closest ? event.target.closest("a[data-more]") : null;
    if (!more) return;
    event.preventDefault();
    var panel = more.closest(".panel");
    fetch(more.dataset.more, { credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.text(); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector(".panel");
        if (fresh && panel) {
          fresh.classList.toggle("hidden-tab", panel.classList.contains("hidden-tab"));
          panel.replaceWith(fresh);
        }
      })
      .catch(function () { window.location.href = more.href; });
  });

  // Chart hover: a tooltip with the point's value (and the previous period's).
  var box = dash.querySelector(".chart-box");
  var chart = box && box.querySelector("svg.chart");
  if (chart) {
    var tip = document.createElement("div");
    tip.className = "tooltip";
    tip.hidden = true;
    tip.setAttribute("role", "status");
    box.appendChild(tip);
    var active = null;
    var hide = function () { tip.hidden = true; if (active) active.classList.remove("active"); active = null; };
    chart.addEventListener("mousemove", function (event) {
      var band = event.target.closest ? event.target.closest("rect[data-label]") : null;
      if (!band) { hide(); return; }
      if (active !== band) {
        if (active) active.classList.remove("active");
        active = band;
        band.classList.add("active");
        tip.textContent = band.dataset.label + ": " + band.dataset.text +
          (band.dataset.previous ? " (previous: " + band.dataset.previous + ")" : "");
      }
      var boxRect = box.getBoundingClientRect();
      var chartRect = chart.getBoundingClientRect();
      var viewBox = chart.viewBox.baseVal;
      var x = chartRect.left - boxRect.left + (parseFloat(band.dataset.x) / viewBox.width) * chartRect.width;
      var y = chartRect.top - boxRect.top + (parseFloat(band.dataset.y) / viewBox.height) * chartRect.height;
      tip.hidden = false;
      tip.style.left = Math.max(60, Math.min(boxRect.width - 60, x)) + "px";
      tip.style.top = y + "px";
    });
    chart.addEventListener("mouseleave", hide);
  }
})();
