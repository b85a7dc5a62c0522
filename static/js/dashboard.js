/* The dashboard's charts (Apache ECharts, served locally). The data comes from the page's json_script
   element "dashboard-data"; every figure is also in the page's tables, which stay the source of truth.
   Containers: <div data-chart="trend|gauge|target|bar" data-key="..."> */
(function () {
  "use strict";

  var BRAND = "#0b4ea2";
  var ACCENT = "#c8102e";
  var PALETTE = [BRAND, "#2a9d8f", "#e9a23b", "#7a5195", "#ef5675"];

  function numbers(values) {
    return values.map(function (value) { return Number(value); });
  }

  function withUnit(unit) {
    return function (value) { return Number(value).toLocaleString() + " " + unit; };
  }

  function trendOption(data) {
    return {
      color: PALETTE,
      tooltip: { trigger: "axis", valueFormatter: withUnit(data.unit) },
      legend: { top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", name: data.unit },
      series: data.series.map(function (series) {
        return { name: series.name, type: series.type, data: numbers(series.values), smooth: false, barMaxWidth: 24 };
      })
    };
  }

  function gaugeOption(data) {
    var progress = Number(data.progress);
    return {
      series: [{
        type: "gauge",
        min: 0,
        max: Math.max(100, Math.ceil(progress / 10) * 10),
        progress: { show: true, width: 12, itemStyle: { color: progress >= 100 ? "#198754" : BRAND } },
        axisLine: { lineStyle: { width: 12 } },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: { show: false },
        pointer: { show: false },
        anchor: { show: false },
        detail: { valueAnimation: false, fontSize: 20, offsetCenter: [0, "10%"], formatter: "{value}%" },
        data: [{ value: progress, name: "" }]
      }]
    };
  }

  function targetOption(data) {
    return {
      color: PALETTE,
      tooltip: { trigger: "axis", valueFormatter: withUnit(data.unit) },
      grid: { left: 8, right: 16, bottom: 8, top: 24, containLabel: true },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", name: data.unit, max: function (extent) { return Math.max(extent.max, Number(data.target)); } },
      series: [{
        name: data.name,
        type: "line",
        data: numbers(data.values),
        markLine: {
          symbol: "none",
          lineStyle: { color: ACCENT, type: "dashed" },
          label: { position: "insideEndTop", formatter: Number(data.target).toLocaleString() + " " + data.unit },
          data: [{ yAxis: Number(data.target) }]
        }
      }]
    };
  }

  function barOption(data) {
    var labels = data.labels.slice().reverse(); // the largest on top
    return {
      color: PALETTE,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: withUnit(data.unit) },
      legend: { top: 0 },
      grid: { left: 8, right: 24, bottom: 8, top: 32, containLabel: true },
      xAxis: { type: "value", name: data.unit },
      yAxis: { type: "category", data: labels, axisLabel: { width: 140, overflow: "truncate" } },
      series: data.series.map(function (series) {
        return { name: series.name, type: "bar", data: numbers(series.values).reverse(), barMaxWidth: 18 };
      })
    };
  }

  function lookup(charts, kind, key) {
    if (kind === "trend") { return charts.trend; }
    if (kind === "bar") { return charts.tables[key]; }
    return charts.targets[key];
  }

  var BUILDERS = { trend: trendOption, gauge: gaugeOption, target: targetOption, bar: barOption };

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.echarts === "undefined") { return; }
    var charts = JSON.parse(source.textContent);
    var drawn = [];
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var kind = element.getAttribute("data-chart");
      var data = lookup(charts, kind, element.getAttribute("data-key"));
      if (!data || !BUILDERS[kind]) { return; }
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(BUILDERS[kind](data));
      element.setAttribute("data-drawn", "true");
      drawn.push(chart);
    });
    window.addEventListener("resize", function () {
      drawn.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
