// Live progress: refresh the response counts every 15 s. Without JavaScript the page
// still shows the numbers as of loading it.
(function () {
  "use strict";
  var section = document.getElementById("progress");
  if (!section || !window.fetch) return;
  var url = section.getAttribute("data-progress-url");
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        data.groups.forEach(function (row) {
          var tr = section.querySelector('tr[data-group="' + row.group + '"]');
          if (!tr) return;
          tr.querySelector(".n-started").textContent = row.started;
          tr.querySelector(".n-completed").textContent = row.completed;
          var bar = tr.querySelector("progress");
          bar.max = Math.max(row.invited, row.started, 1);
          bar.value = row.completed;
          bar.textContent = row.completed;
          tr.querySelector(".rate").textContent = row.percent === null ? "" : row.percent + "%";
        });
        document.getElementById("progress-updated").textContent =
          new Date().toLocaleTimeString();
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  setInterval(refresh, 15000);
})();
