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

  // ------------------------------------------------------------------ world
  async function worldPage() {
    const select = document.getElementById("dataset-select");
    const all = await api("/api/datasets");
    const load = async () => {
      const name = select.value;
      const meta = all.find((d) => d.name === name) || {};
      document.getElementById("dataset-description").textContent =
        (meta.title ? meta.title + ". " : "") + (meta.description || "");
      const riskNode = document.getElementById("risk-table");
      try {
        const risk = await api(`/api/datasets/${encodeURIComponent(name)}/risk`);
        if (select.value !== name) return;  // a later choice is loading
        replace(riskNode, table(risk.rows, risk.columns, {
          className: "data risk", rowClass: (r) => (r.chokepoint ? "chokepoint" : null)}));
        riskNode.dataset.dataset = name;
      } catch (error) { showError(riskNode, error); }
      const tabs = document.getElementById("table-tabs");
      const names = Object.keys(meta.tables || {}).filter((t) => meta.tables[t] > 0);
      replace(tabs, ...names.map((t) => {
        const button = el("button", {type: "button", "data-table": t,
          text: `${t} (${meta.tables[t]})`});
        button.addEventListener("click", () => showTable(name, t));
        return button;
      }));
      if (names.length) await showTable(name, names.includes("nodes") ? "nodes" : names[0]);
    };
    select.addEventListener("change", load);
    await load();
  }

  async function showTable(dataset, tableName) {
    for (const b of document.querySelectorAll("#table-tabs button"))
      b.classList.toggle("active", b.dataset.table === tableName);
    const view = document.getElementById("table-view");
    try {
      const data = await api(`/api/datasets/${encodeURIComponent(dataset)}/tables/${encodeURIComponent(tableName)}`);
      const units = Object.entries(data.units || {}).map(([c, u]) => `${c}: ${u}`).join("; ");
      document.getElementById("table-info").textContent =
        `${data.table}: ${data.total} rows` + (units ? ` · units ${units}` : "");
      replace(view, table(data.rows, data.columns, {className: "data dataset-table"}));
      view.dataset.dataset = dataset;
      view.dataset.table = tableName;
    } catch (error) { showError(view, error); }
  }

  // ------------------------------------------------------------------ scenario
  function scenarioForm() {
    const form = new FormData();
    const upload = document.getElementById("upload");
    const builtin = document.getElementById("builtin-select").value;
    const text = document.getElementById("yaml-text").value;
    if (upload.files.length) form.append("file", upload.files[0]);
    else if (builtin && text === scenarioPageState.loadedText) form.append("scenario", builtin);
    else form.append("yaml", text);
    return form;
  }

  const scenarioPageState = {loadedText: null};

  function showProblems(error) {
    const box = document.getElementById("errors");
    const problems = (error.body && error.body.problems) || [];
    const items = problems.length ? problems.map((p) => el("li", {text: p.text}))
      : [el("li", {text: error.message})];
    replace(box, el("strong", {text: `Not valid (HTTP ${error.status || "error"}):`}),
      el("ul", {}, ...items));
    box.hidden = false;
  }

  async function scenarioPage() {
    const select = document.getElementById("builtin-select");
    const textArea = document.getElementById("yaml-text");
    const upload = document.getElementById("upload");
    const builtins = await api("/api/scenarios");
    const clear = () => {
      document.getElementById("errors").hidden = true;
      document.getElementById("validation").hidden = true;
    };
    select.addEventListener("change", async () => {
      clear();
      upload.value = "";
      const meta = builtins.find((s) => s.name === select.value);
      document.getElementById("builtin-description").textContent = meta ?
        `${meta.description} (dataset ${meta.dataset}, ${meta.weeks} weeks, ${meta.policies} policies)` : "";
      if (select.value) {
        const data = await api(`/api/scenarios/${encodeURIComponent(select.value)}`);
        textArea.value = data.yaml;
        scenarioPageState.loadedText = data.yaml;
      }
    });
    upload.addEventListener("change", () => { clear(); select.value = ""; });
    document.getElementById("validate-button").addEventListener("click", async () => {
      clear();
      try {
        const result = await api("/api/scenarios/validate", {method: "POST", body: scenarioForm()});
        const ok = document.getElementById("validation");
        ok.textContent = `Valid: ${result.name} on dataset ${result.dataset}, ` +
          `${result.weeks} weeks, ${result.policies} policies.`;
        ok.hidden = false;
      } catch (error) { showProblems(error); }
    });
    document.getElementById("run-button").addEventListener("click", async () => {
      clear();
      const form = scenarioForm();
      const draws = document.getElementById("draws").value;
      const seed = document.getElementById("seed").value;
      if (draws) form.append("draws", draws);
      if (seed) form.append("seed", seed);
      try {
        const job = await api("/api/runs", {method: "POST", body: form});
        await followJob(job.job_id);
      } catch (error) { showProblems(error); }
    });
  }

  async function followJob(jobId) {
    const box = document.getElementById("job");
    const bar = document.getElementById("progress");
    const status = document.getElementById("job-status");
    const link = document.getElementById("run-link");
    box.hidden = false;
    link.hidden = true;
    box.dataset.job = jobId;
    for (;;) {
      const job = await api(`/api/jobs/${encodeURIComponent(jobId)}`);
      bar.value = job.progress;
      status.textContent = `${job.status}: ${job.message} (${Math.round(job.progress * 100)} %)`;
      box.dataset.status = job.status;
      if (job.status === "done") {
        link.href = `/runs/${job.run_id}`;
        link.textContent = `Open run ${job.run_id}`;
        link.hidden = false;
        return;
      }
      if (job.status === "failed") {
        showProblems({message: job.error, status: "run failed", body: null});
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  // ------------------------------------------------------------------ runs
  async function runsPage() {
    const node = document.getElementById("runs-table");
    const button = document.getElementById("compare-button");
    const runs = await api("/api/runs");
    if (!runs.length) {
      replace(node, el("p", {class: "note", text: "No runs yet: start one on the Scenario page."}));
      return;
    }
    const columns = ["", "run_id", "kind", "scenario", "dataset", "draws", "seed", "created_at",
      "run_seconds"];
    replace(node, table(runs, columns, {className: "data runs", cell: (c, v, row) => {
      if (c === "") return el("input", {type: "checkbox", class: "pick", value: row.run_id});
      if (c === "run_id") return el("a", {href: `/runs/${row.run_id}`, text: row.run_id});
      return null;
    }}));
    const picks = () => [...document.querySelectorAll("input.pick:checked")].map((x) => x.value);
    node.addEventListener("change", () => { button.disabled = picks().length !== 2; });
    button.addEventListener("click", () => {
      const [a, b] = picks();
      window.location.href = `/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`;
    });
  }

  // ------------------------------------------------------------------ run report
  function renderSection(section, prefix) {
    const box = el("div", {class: "report-section", id: `${prefix}${section.key}`,
      "data-section": section.key});
    box.append(el("h2", {text: section.title}));
    if (section.note) box.append(el("p", {class: section.note === "not available in this run" ?
      "note na" : "note", text: section.note}));
    const figures = [];
    section.figures.forEach((figure, i) => {
      const div = el("div", {class: "figure", id: `${prefix}${section.key}-fig-${i}`});
      box.append(div);
      figures.push([div, figure]);
    });
    if (section.table && section.table.length) box.append(el("div", {class: "table-wrap"},
      table(section.table)));
    if (section.text !== null && section.text !== undefined) box.append(el("pre", {text: section.text}));
    return [box, figures];
  }

  async function renderReport(runId, node, prefix, keys) {
    try {
      const report = await api(`/api/runs/${encodeURIComponent(runId)}/report`);
      const parts = [el("p", {class: "note", text: report.title})];
      const figures = [];
      for (const section of report.sections) {
        if (keys && !keys.includes(section.key)) continue;
        const [box, figs] = renderSection(section, prefix);
        parts.push(box);
        figures.push(...figs);
      }
      replace(node, ...parts);
      for (const [div, figure] of figures) {
        await Plotly.newPlot(div, figure.data, figure.layout, {responsive: true, displaylogo: false});
        div.classList.add("plotted");
      }
      node.dataset.loaded = "true";
    } catch (error) { showError(node, error); }
  }

  function runPage(runId) {
    return renderReport(runId, document.getElementById("report"), "");
  }

  async function comparePage(a, b) {
    const head = document.getElementById("compare-headline");
    try {
      const data = await api(`/api/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
      const byName = {};
      for (const [side, key] of [["a", "A"], ["b", "B"]]) {
        for (const row of data[side].headline) {
          const entry = byName[row.quantity] || (byName[row.quantity] = {quantity: row.quantity, unit: row.unit});
          entry[`${key} mean`] = row.mean;
          entry[`${key} P50`] = row.P50;
        }
      }
      const rows = Object.values(byName).map((row) => {
        const [ma, mb] = [row["A mean"], row["B mean"]];
        const change = typeof ma === "number" && typeof mb === "number" ? mb - ma : null;
        return {...row, "B − A (mean)": change};
      });
      replace(head, table(rows, null, {className: "data compare"}));
    } catch (error) { showError(head, error); }
    const keys = ["summary", "stoppage", "prices", "exports", "licences"];
    await Promise.all([
      renderReport(a, document.getElementById("report-a"), "a-", keys),
      renderReport(b, document.getElementById("report-b"), "b-", keys),
    ]);
  }

  // Each page sets <body data-ready="true"> once its handlers are attached and first data shown.
  function ready(init) {
    return async (...args) => {
      try { await init(...args); } finally { document.body.dataset.ready = "true"; }
    };
  }

  return {api, worldPage: ready(worldPage), scenarioPage: ready(scenarioPage),
    runsPage: ready(runsPage), runPage: ready(runPage), comparePage: ready(comparePage)};
})();
