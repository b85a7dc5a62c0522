/* A matchmaking event's funnel (Apache ECharts, served locally), drawn from the page's json_script element
   "event-funnel-data" ({"stages": [{"key", "label", "value"}]}); the table beside it has the same figures. */
(function () {
  "use strict";

  var PALETTE = ["#0b4ea2", "#2a6fc9", "#2a9d8f", "#52b788", "#e9a23b", "#ef8a3b", "#198754"];

  function draw() {
    var source = document.getElementById("event-funnel-data");
    var element = document.querySelector("[data-chart='funnel']");
    if (!source || !element || typeof window.echarts === "undefined") { return; }
    var stages = JSON.parse(source.textContent).stages;
    var top = Math.max.apply(null, stages.map(function (stage) { return Number(stage.value); }).concat([1]));
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      color: PALETTE,
      tooltip: { trigger: "item", formatter: "{b}: {c}" },
      series: [{
        type: "funnel",
        sort: "none", // the stages keep their order even where a later one is larger (walk-in registrations)
        min: 0,
        max: top,
        minSize: "8%",
        gap: 2,
        left: "10%",
        width: "80%",
        label: { show: true, position: "inside", formatter: "{b}  {c}" },
        data: stages.map(function (stage) { return { name: stage.label, value: Number(stage.value) }; })
      }]
    });
    element.setAttribute("data-drawn", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
