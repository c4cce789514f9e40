// Charts of the evaluation report and the analysis page (ECharts, vendored). Each chart element names its
// kind (data-chart) and the JSON endpoint it reads (data-src); every chart has a table beside it with the
// same numbers for screen readers and printing. No inline script: the CSP forbids it.
(function () {
  "use strict";
  var LEVEL_COLOURS = ["#1b7a3d", "#4a9c5d", "#f0a500", "#e07b39", "#b0b7c3"];
  var cache = {};

  function fetchJson(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
    }
    return cache[url];
  }

  function stacked(block) {
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 40, bottom: 60, containLabel: true },
      xAxis: { type: "category", data: block.labels, axisLabel: { interval: 0, rotate: block.labels.length > 4 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1, name: "企业数" },
      series: block.series.map(function (s, i) {
        return { name: s.name, type: "bar", stack: "level", data: s.data, itemStyle: { color: LEVEL_COLOURS[i] } };
      })
    };
  }

  function radar(block, name) {
    return {
      tooltip: {},
      radar: { indicator: block.indicators, radius: "62%" },
      series: [{ type: "radar", name: name, data: [{ value: block.values, name: name }], areaStyle: { opacity: 0.2 } }]
    };
  }

  var BUILD = {
    radar: function (d) { return radar(d.radar, "得分"); },
    scenes: function (d) {
      return {
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 16, top: 20, bottom: 70, containLabel: true },
        xAxis: { type: "category", data: d.scenes.names, axisLabel: { interval: 0, rotate: 40 } },
        yAxis: { type: "value", min: 0, max: 4, interval: 1, name: "等级" },
        series: [{ type: "bar", name: "场景等级", data: d.scenes.levels.map(function (v, i) {
          return { value: v, itemStyle: { color: d.scenes.constrained[i] ? "#1f5fa8" : "#8fb3de" } };
        }) }]
      };
    },
    overall: function (d) {
      // Levels nobody reached stay in the table but not in the pie (their labels would pile up at one point).
      var slices = [];
      d.overall.forEach(function (x, i) {
        if (x.value > 0) { slices.push({ name: x.name, value: x.value, itemStyle: { color: LEVEL_COLOURS[i] } }); }
      });
      return { tooltip: { trigger: "item", formatter: "{b}：{c} 家（{d}%）" }, legend: { bottom: 0 },
        series: [{ type: "pie", radius: ["32%", "58%"], center: ["50%", "45%"], data: slices,
          label: { formatter: "{b}\n{c} 家" } }] };
    },
    by_county: function (d) { return stacked(d.by_county); },
    by_industry: function (d) { return stacked(d.by_industry); },
    by_pilot_industry: function (d) { return stacked(d.by_pilot_industry); },
    dimensions: function (d) { return radar(d.dimensions, "平均分"); },
    items: function (d) {
      return { tooltip: { trigger: "axis" }, grid: { left: 10, right: 20, top: 10, bottom: 10, containLabel: true },
        xAxis: { type: "value" }, yAxis: { type: "category", data: d.items.labels, inverse: true },
        series: [{ type: "bar", name: "平均分", data: d.items.values }, { type: "bar", name: "满分", data: d.items.max,
          barGap: "-100%", z: -1, itemStyle: { color: "#e8eef6" } }] };
    },
    heat: function (d) {
      var max = 1;
      d.heat.data.forEach(function (x) { if (x[2] > max) { max = x[2]; } });
      return { tooltip: { position: "top" }, grid: { left: 10, right: 20, top: 10, bottom: 60, containLabel: true },
        xAxis: { type: "category", data: ["未达到", "1 级", "2 级", "3 级", "4 级"] },
        yAxis: { type: "category", data: d.heat.scenes, inverse: true },
        visualMap: { min: 0, max: max, orient: "horizontal", left: "center", bottom: 0, calculable: true },
        series: [{ type: "heatmap", name: "企业数", data: d.heat.data, label: { show: true } }] };
    },
    before_after: function (d) {
      var b = d.before_after.before, a = d.before_after.after;
      return { tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 40, right: 16, top: 40, bottom: 30, containLabel: true },
        xAxis: { type: "category", data: ["合计"].concat(d.dimensions.indicators.map(function (x) { return x.name; })) },
        yAxis: { type: "value", name: "平均分" },
        series: [{ type: "bar", name: "改造前", data: [b.average].concat(b.dimensions) },
                 { type: "bar", name: "改造后", data: [a.average].concat(a.dimensions) }] };
    }
  };

  function draw(el) {
    var build = BUILD[el.getAttribute("data-chart")];
    if (!build || !window.echarts) { return; }
    fetchJson(el.getAttribute("data-src")).then(function (data) {
      if (el.getAttribute("data-chart") === "before_after" && !(data.before_after.before && data.before_after.after)) { return; }
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(build(data));
      el.classList.add("drawn");
      window.addEventListener("resize", function () { chart.resize(); });
    }).catch(function () { el.classList.add("chart-failed"); });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }

})();
