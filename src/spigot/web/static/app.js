// spigot dashboard: plain JavaScript, no build step. Every value from the API is inserted as
// text (textContent), never as HTML.
"use strict";

// CSRF (issue 15): state-changing requests to this server carry the server's CSRF token, which
// it sets in the cookie spigot_csrf_<port>; the server refuses them without it (403).
(() => {
  const plainFetch = window.fetch.bind(window);
  const port = location.port || (location.protocol === "https:" ? "443" : "80");
  function csrfToken() {
    const name = "spigot_csrf_" + port + "=";
    const found = document.cookie.split("; ").find((c) => c.startsWith(name));
    return found ? decodeURIComponent(found.slice(name.length)) : "";
  }
  window.fetch = (resource, options) => {
    const opts = Object.assign({}, options || {});
    const method = (opts.method || "GET").toUpperCase();
    const url = new URL(typeof resource === "string" ? resource : resource.url, location.href);
    if (!["GET", "HEAD", "OPTIONS"].includes(method) && url.origin === location.origin) {
      const headers = new Headers(opts.headers || {});
      headers.set("X-Spigot-CSRF", csrfToken());
      opts.headers = headers;
    }
    return plainFetch(resource, opts);
  };
})();

const spigot = (() => {
  async function api(path, options) {
    const response = await fetch(path, options);
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = {detail: text}; }
    if (!response.ok) {
      const error = new Error((body && body.detail) || response.statusText);
      error.status = response.status;
      error.body = body;
      throw error;
    }
    return body;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function formatCell(value, column) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number" && /(^|_)year$|seed|draws$/.test(column || "")) return String(value);
    if (typeof value === "boolean") return value ? "yes" : "";
    if (typeof value === "number") {
      if (!isFinite(value)) return "";
      if (value === 0) return "0";
      return Math.abs(value) >= 1000 ? value.toLocaleString("en", {maximumFractionDigits: 0})
        : value.toLocaleString("en", {maximumSignificantDigits: 4});
    }
    return String(value);
  }

  function table(rows, columns, options) {
    options = options || {};
    const cols = columns || (rows.length ? Object.keys(rows[0]) : []);
    const head = el("tr", {}, ...cols.map((c) => el("th", {text: c})));
    const body = rows.map((row) => {
      const tr = el("tr", {class: options.rowClass ? options.rowClass(row) : null},
        ...cols.map((c) => {
          const v = row[c];
          if (options.cell) {
            const custom = options.cell(c, v, row);
            if (custom) return el("td", {}, custom);
          }
          return el("td", {class: typeof v === "number" ? "num" : null, text: formatCell(v, c)});
        }));
      return tr;
    });
    return el("table", {class: options.className || "data"}, el("thead", {}, head),
      el("tbody", {}, ...body));
  }

  function replace(node, ...children) {
    node.replaceChildren(...children.filter(Boolean));
  }

  function showError(node, error) {
    replace(node, el("div", {class: "errors", text: error.message}));
  }

  // State-changing requests (POST, PUT, DELETE) go through here and so through api().
  function send(method, path, body) {
    const options = {method};
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.body = JSON.stringify(body);
      options.headers = {"Content-Type": "application/json"};
    }
    return api(path, options);
  }

  // Poll a run job until it is done or failed; ``onUpdate(job)`` on every poll.
  async function followJob(jobId, onUpdate) {
    for (;;) {
      const job = await api(`/api/jobs/${encodeURIComponent(jobId)}`);
      if (onUpdate) onUpdate(job);
      if (job.status === "done" || job.status === "failed") return job;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  // ------------------------------------------------------------------ runs
  async function runsPage() {
    const node = document.getElementById("runs-table");
    const button = document.getElementById("compare-button");
    const order = document.getElementById("compare-order");
    const [runs, labels] = await Promise.all([api("/api/runs"), api("/api/labels")]);
    for (const run of runs) run.label = labels[run.run_id] || null;
    if (!runs.length) {
      replace(node, el("p", {class: "note", text: "No runs yet: start one on the Scenario page."}));
      return;
    }
    const columns = ["", "run_id", "label", "kind", "scenario", "dataset", "draws", "seed",
      "created_at", "run_seconds"];
    const ticked = [];  // in the order the user ticked them: the first is A, the second B
    replace(node, table(runs, columns, {className: "data runs", cell: (c, v, row) => {
      if (c === "") {
        const name = row.label ? `${row.label} (${row.run_id})` : `${row.scenario || row.kind} run ${row.run_id}`;
        return el("input", {type: "checkbox", class: "pick", value: row.run_id,
          "aria-label": `Compare ${name}`});
      }
      if (c === "run_id") return el("a", {href: `/runs/${row.run_id}`, text: row.run_id});
      if (c === "created_at" && v) return document.createTextNode(v.slice(0, 16).replace("T", " "));
      return null;
    }}));
    const label = (id) => {
      const row = runs.find((r) => r.run_id === id);
      return row && row.label ? `${row.label}` : `${(row && row.scenario) || ""} ${id}`;
    };
    node.addEventListener("change", (event) => {
      const box = event.target;
      if (!box.classList || !box.classList.contains("pick")) return;
      const at = ticked.indexOf(box.value);
      if (box.checked && at < 0) ticked.push(box.value);
      if (!box.checked && at >= 0) ticked.splice(at, 1);
      while (ticked.length > 2) {  // a third tick replaces the oldest
        const dropped = ticked.shift();
        const other = node.querySelector(`input.pick[value="${dropped}"]`);
        if (other) other.checked = false;
      }
      button.disabled = ticked.length !== 2;
      order.textContent = ticked.length ? ticked.map((id, i) => `${"AB"[i]} = ${label(id)}`).join(", ") : "";
    });
    button.addEventListener("click", () => {
      const [a, b] = ticked;
      window.location.href = `/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`;
    });
  }

  // Each page sets <body data-ready="true"> once its handlers are attached and first data shown.
  function ready(init) {
    return async (...args) => {
      try { await init(...args); } finally { document.body.dataset.ready = "true"; }
    };
  }

  return {api, send, el, table, replace, showError, formatCell, followJob, ready,
    runsPage: ready(runsPage)};
})();
