// Keeps the upcoming release's notes current: asks the JSON endpoint every few seconds and
// redraws the list when it changed. Notes arrive as HTML the server already sanitized; every
// other value goes in as text.
(function () {
  "use strict";
  const root = document.getElementById("upcoming");
  if (!root || !window.fetch) {
    return;
  }
  const source = root.dataset.source;
  const interval = Number(root.dataset.interval) || 4000;
  const notes = document.getElementById("upcoming-notes");
  const head = document.getElementById("upcoming-head");
  const none = document.getElementById("upcoming-none");
  const empty = document.getElementById("upcoming-empty");
  let etag = null;
  let timer = null;

  function known() {
    return new Set(Array.from(notes.querySelectorAll(".note"), (li) => li.id));
  }

  function group(g, seen) {
    const section = document.createElement("section");
    section.className = "note-group kind-" + g.kind;
    section.dataset.kind = g.kind;
    const title = document.createElement("h2");
    title.textContent = g.label;
    const list = document.createElement("ul");
    list.className = "notes";
    for (const item of g.items) {
      const li = document.createElement("li");
      li.id = "item-" + item.id;
      li.className = seen.has(li.id) ? "note" : "note note-new";
      li.innerHTML = item.html;
      list.appendChild(li);
    }
    section.append(title, list);
    return section;
  }

  function render(body) {
    const release = body.release;
    head.hidden = !release;
    none.hidden = Boolean(release);
    empty.hidden = !release || body.groups.length > 0;
    if (release) {
      document.getElementById("upcoming-version").textContent = release.version;
      document.getElementById("upcoming-title").textContent = release.title;
      const status = document.getElementById("upcoming-status");
      status.textContent = release.status_label;
      status.className = "badge badge-" + release.status;
    }
    const seen = known();
    notes.replaceChildren(...body.groups.map((g) => group(g, seen)));
  }

  async function poll() {
    try {
      const headers = etag ? { "If-None-Match": etag } : {};
      const response = await fetch(source, { headers: headers, cache: "no-store" });
      if (response.status === 200) {
        etag = response.headers.get("ETag");
        render(await response.json());
      }
    } catch (error) {
      // Offline or the server restarting: try again at the next tick.
    }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    // A hidden tab stops asking; it catches up the moment it is shown again.
    if (!document.hidden) {
      timer = setTimeout(poll, interval);
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      poll();
    } else {
      clearTimeout(timer);
    }
  });
  schedule();
})();
