// Touchpoint progressive enhancement. Every page works without this file.
(() => {
  "use strict";

  // (a) <button class="copy" data-copy-target="ID">: copy #ID's text.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.copy[data-copy-target]");
    const source = button && document.getElementById(button.dataset.copyTarget);
    if (!source) return;
    event.preventDefault();
    const range = document.createRange(); // select it too: a manual copy still works
    range.selectNodeContents(source);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    button.dataset.label ??= button.textContent;
    const done = () => {
      button.textContent = "Copied";
      clearTimeout(button.copyTimer);
      button.copyTimer = setTimeout(() => { button.textContent = button.dataset.label; }, 1500);
    };
    // Without a secure context (plain http) there is no Clipboard API: copy the selection.
    const legacy = () => { if (document.execCommand("copy")) done(); };
    if (navigator.clipboard) navigator.clipboard.writeText(source.textContent.trim()).then(done, legacy);
    else legacy();
  });

  // (b) data-confirm="message" on a form or its submit button.
  document.addEventListener("submit", (event) => {
    const message = event.submitter?.dataset.confirm ?? event.target.dataset.confirm;
    if (message && !confirm(message)) event.preventDefault();
  });

  // (d) <select data-autosubmit>: submit its form on change.
  document.addEventListener("change", (event) => {
    const select = event.target;
    if (!select.matches("select[data-autosubmit]") || !select.form) return;
    if (select.form.requestSubmit) select.form.requestSubmit();
    else select.form.submit();
  });

  // (e) <input data-browser-zone> (a fresh time-zone field, UTC from the server):
  // start from the browser's own zone.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && /^(UTC|[A-Za-z]+\/[A-Za-z0-9_+\-\/]+)$/.test(zone)) {
    for (const input of document.querySelectorAll("input[data-browser-zone]")) {
      if (input.value === input.defaultValue) input.value = zone;
    }
  }

  // (f) [data-waiting-url] (a new site's overview, "Waiting for the first
  // pageview…"): every data-waiting-seconds while the tab is visible, ask the
  // URL ({"has_data": bool}); once data has arrived, say so and reload into
  // the dashboard.
  const waiting = document.querySelector("[data-waiting-url]");
  if (waiting) {
    const every = Math.max(1, Number(waiting.dataset.waitingSeconds) || 5) * 1000;
    let timer;
    const check = async () => {
      clearTimeout(timer);
      if (document.hidden) return;
      try {
        const response = await fetch(waiting.dataset.waitingUrl, {
          credentials: "same-origin", cache: "no-store", headers: { accept: "application/json" },
        });
        if (response.ok && (await response.json()).has_data === true) {
          waiting.classList.add("live");
          const text = waiting.querySelector(".waiting-text");
          if (text) text.textContent = "The first pageview has arrived: loading the dashboard…";
          location.reload();
          return;
        }
      } catch (_) { /* offline, or logged out (the login page is no JSON): ask again later */ }
      timer = setTimeout(check, every);
    };
    document.addEventListener("visibilitychange", () => { if (!document.hidden) check(); });
    timer = setTimeout(check, every);
  }

  // (g) <label class="date-field">: its caption repeats the date in ISO form
  // (the browser shows the input in its own format); keep it in step.
  document.addEventListener("input", (event) => {
    const input = event.target;
    if (!input.matches("label.date-field input[type=date]")) return;
    const iso = input.closest("label.date-field").querySelector(".iso-date");
    if (iso) iso.textContent = input.value;
  });

  // (h) A form's period select and its <details class="custom-range">:
  // "Custom range" opens the dates, another period closes them, and a date
  // set there chooses the custom range.
  document.addEventListener("change", (event) => {
    const field = event.target;
    const form = field.form;
    const range = form?.querySelector("details.custom-range");
    const period = form?.querySelector("select[name=period]");
    if (!range || !period) return;
    if (field === period) range.open = period.value === "custom";
    else if (range.contains(field) && field.value) period.value = "custom";
  });

  // (c) [data-refresh-seconds="N"]: reload every N seconds while the tab is visible;
  // coming back to a tab whose data is older than N seconds reloads at once.
  const holder = document.querySelector("[data-refresh-seconds]");
  const seconds = holder ? Number(holder.dataset.refreshSeconds) : 0;
  if (seconds > 0) {
    const loadedAt = Date.now();
    let timer;
    const schedule = () => {
      clearTimeout(timer);
      if (document.hidden) return;
      const wait = Math.max(0, Math.max(seconds, 2) * 1000 - (Date.now() - loadedAt));
      timer = setTimeout(() => location.reload(), wait);
    };
    document.addEventListener("visibilitychange", schedule);
    schedule();
  }
})();
