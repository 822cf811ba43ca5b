// The KPI page's four charts, drawn with Chart.js 3 (the global `Chart` from
// /static/chart.min.js) from the figures the page embeds in #kpi-data. The labels come
// translated from the server; the tables under the charts carry the same figures.
(function () {
  'use strict';

  var source = document.getElementById('kpi-data');
  if (!source || typeof Chart === 'undefined') return;
  var data;
  try {
    data = JSON.parse(source.textContent);
  } catch (e) {
    return; // the tables still show the figures
  }

  var colours = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948',
                 '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

  // Shared options: no animation (a board on a wall should not flicker on every reload, and a
  // browser test waits for window.kpiChartsDrawn), sized by the page's width.
  function options(yTitle, extra) {
    var o = {
      animation: false,
      responsive: true,
      maintainAspectRatio: true,
      aspectRatio: 2,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { position: 'bottom' } },
      scales: {
        x: { ticks: { autoSkip: true, maxRotation: 45 } },
        y: { beginAtZero: true, title: { display: !!yTitle, text: yTitle || '' } }
      }
    };
    if (extra) extra(o);
    return o;
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return 0;
    new Chart(canvas, config);
    return 1;
  }

  var drawn = 0;

  // Dwell per stage: median and 90th percentile as bars, the SLA as a short dash per stage.
  var dwell = data.dwell || {};
  var dwellNames = dwell.names || {};
  drawn += draw('chart-dwell', {
    type: 'bar',
    data: {
      labels: dwell.labels || [],
      datasets: [
        { label: dwellNames.p50, data: dwell.p50 || [], backgroundColor: colours[0] },
        { label: dwellNames.p90, data: dwell.p90 || [], backgroundColor: colours[1] },
        {
          type: 'line', label: dwellNames.sla, data: dwell.sla || [],
          borderColor: '#d33', backgroundColor: '#d33', showLine: false,
          pointStyle: 'line', pointRadius: 14, pointHoverRadius: 16, borderWidth: 3
        }
      ]
    },
    options: options(dwell.axis)
  });

  // Per week: SLA compliance and OTIF, both in percent.
  var weekly = data.weekly || {};
  var weeklyNames = weekly.names || {};
  drawn += draw('chart-weekly', {
    type: 'line',
    data: {
      labels: weekly.labels || [],
      datasets: [
        { label: weeklyNames.sla, data: weekly.sla || [], borderColor: colours[0],
          backgroundColor: colours[0], spanGaps: true, tension: 0.2 },
        { label: weeklyNames.otif, data: weekly.otif || [], borderColor: colours[2],
          backgroundColor: colours[2], spanGaps: true, tension: 0.2 }
      ]
    },
    options: options(weekly.axis, function (o) {
      o.scales.y.max = 100;
    })
  });

  // Exceptions raised per kind, stacked by department.
  var exceptions = data.exceptions || {};
  drawn += draw('chart-exceptions', {
    type: 'bar',
    data: {
      labels: exceptions.labels || [],
      datasets: (exceptions.datasets || []).map(function (d, i) {
        return { label: d.label, data: d.data, backgroundColor: colours[i % colours.length] };
      })
    },
    options: options(exceptions.axis, function (o) {
      o.scales.x.stacked = true;
      o.scales.y.stacked = true;
      o.scales.y.ticks = { precision: 0 };
    })
  });

  // Mean time to resolve per kind.
  var resolve = data.resolve || {};
  drawn += draw('chart-resolve', {
    type: 'bar',
    data: {
      labels: resolve.labels || [],
      datasets: [{ label: resolve.name, data: resolve.data || [], backgroundColor: colours[4] }]
    },
    options: options(resolve.axis, function (o) {
      o.plugins.legend.display = false;
    })
  });

  window.kpiChartsDrawn = drawn;
})();
