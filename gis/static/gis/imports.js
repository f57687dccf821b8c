// Follows a running background job (import or export): updates the progress bar, reloads
// the page when the job ends.
(function () {
  "use strict";
  const box = document.querySelector("[data-status-url]");
  if (!box) return;
  const bar = box.querySelector("progress");
  const rows = box.querySelector("[data-rows]");
  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const status = await response.json();
        bar.value = status.percent;
        bar.textContent = status.percent + "%";
        rows.textContent = status.rows_done.toLocaleString();
        if (!status.busy) { window.location.reload(); return; }
      }
    } catch (error) { /* network hiccup: try again */ }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 700);
})();
