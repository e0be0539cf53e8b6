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

// A run being computed: follow its progress bar, and reload once it is done so the new
// scores show. Without JavaScript the page shows the state as of loading it.
(function () {
  "use strict";
  var section = document.getElementById("scores");
  if (!section || !window.fetch) return;
  var bar = section.querySelector(".run-progress");
  if (!bar) return;
  var url = section.getAttribute("data-run-url");
  var status = section.querySelector(".run-status");
  var timer = setInterval(function () {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.run) return;
        bar.value = data.run.progress;
        bar.textContent = data.run.progress + "%";
        if (status) status.textContent = data.run.status_display;
        if (data.run.status !== "pending" && data.run.status !== "running") {
          clearInterval(timer);
          window.location.reload();
        }
      })
      .catch(function () { /* try again next time */ });
  }, 1500);
})();

// A confirmed run being frozen: count its files as they are written, and reload once
// they all are. Without JavaScript the page shows the count as of loading it.
(function () {
  "use strict";
  var box = document.getElementById("freezing");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-freezing-url");
  var bar = box.querySelector(".freeze-progress");
  var timer = setInterval(function () {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        if (!data.freezing) {
          clearInterval(timer);
          window.location.reload();
          return;
        }
        bar.max = data.total;
        bar.value = data.done;
        bar.textContent = data.percent + "%";
        box.querySelector(".freeze-count").textContent = data.done_text;
      })
      .catch(function () { /* try again next time */ });
  }, 1500);
})();
