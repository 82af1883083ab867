// spigot dashboard: the run page and the compare page (needs app.js and plotly.js).
// Every value from the API is inserted as text, never as HTML.
"use strict";

const spigotReport = (() => {
  const {api, send, el, table, replace, showError} = spigot;

  // Reading order when the report does not set one (older report content): what happened first,
  // then why, then the evidence.
  const ORDER = ["headline", "stoppage", "prices", "licences", "exports", "sankey", "chokepoints",
    "summary", "scenario"];
  // Sections whose figures are one per commodity: controlled ones first, the rest on a picker.
  const PICKED = ["prices", "exports"];
  const PLOT_CONFIG = {responsive: true, displaylogo: false};

  // Sections in the report's order; content without a ``kind`` (from an older report package)
  // is put in reading order here (sections this page does not know go before the base flows).
  function ordered(report) {
    if (report.kind) return report.sections;
    const rank = (s) => {
      const i = ORDER.indexOf(s.key);
      return i < 0 ? ORDER.indexOf("sankey") - 0.5 : i;
    };
    return [...report.sections].sort((a, b) => rank(a) - rank(b));
  }

  function figureTitle(figure) {
    const t = figure.layout && figure.layout.title;
    return (t && (typeof t === "string" ? t : t.text)) || "";
  }

  // plotly JSON may carry numeric arrays as {dtype, bdata} (base64 typed arrays).
  const TYPED = {f8: Float64Array, f4: Float32Array, i4: Int32Array, i2: Int16Array,
    i1: Int8Array, u4: Uint32Array, u2: Uint16Array, u1: Uint8Array};
  function values(v) {
    if (Array.isArray(v)) return v;
    if (v && v.bdata && TYPED[v.dtype]) {
      const bytes = Uint8Array.from(atob(v.bdata), (c) => c.charCodeAt(0));
      return Array.from(new TYPED[v.dtype](bytes.buffer));
    }
    return null;
  }

  // A data table from a figure's traces (x, then one column per trace) when the report gives none.
  function traceTable(figure) {
    const traces = (figure.data || []).map((t) => ({name: t.name || t.type || "value",
      x: values(t.x), y: values(t.y)})).filter((t) => t.x && t.y && t.x.length === t.y.length);
    if (!traces.length) return null;
    const x = traces[0].x;
    const same = traces.filter((t) => t.x.length === x.length);
    const rows = x.map((xv, i) => {
      const row = {x: xv};
      for (const t of same) row[t.name] = t.y[i];
      return row;
    });
    return {columns: ["x", ...same.map((t) => t.name)], rows};
  }

  function chartText(section, i) {
    const chart = (section.charts || [])[i] || {};
    const figure = section.figures[i];
    return {alt: chart.alt || figureTitle(figure) || section.title,
      table: chart.table || traceTable(figure), group: chart.group || null};
  }

  function chartBox(figure, text, id) {
    const div = el("div", {class: "figure", id, role: "img", "aria-label": text.alt});
    const box = el("figure", {class: "chart"}, div);
    if (text.table && text.table.rows && text.table.rows.length) {
      box.append(el("details", {class: "data-table"},
        el("summary", {text: `Data table (${text.table.rows.length} rows)`}),
        el("div", {class: "table-wrap"}, table(text.table.rows, text.table.columns))));
    }
    return [box, div];
  }

  async function plot(div, figure) {
    await Plotly.newPlot(div, figure.data, figure.layout, PLOT_CONFIG);
    div.classList.add("plotted");
  }

  // One section: note, figures (controlled commodities first, others on a picker), table, text.
  function renderSection(section, prefix, controlled) {
    const box = el("section", {class: "report-section", id: `${prefix}${section.key}`,
      "data-section": section.key, "aria-labelledby": `${prefix}${section.key}-h`});
    box.append(el("h2", {id: `${prefix}${section.key}-h`, text: section.title}));
    if (section.note) box.append(el("p", {class: section.note === "not available in this run" ?
      "note na" : "note", text: section.note}));
    const texts = section.figures.map((f, i) => chartText(section, i));
    const groups = texts.map((t, i) => t.group || (PICKED.includes(section.key) &&
      section.figures.length > 1 ? (figureTitle(section.figures[i]).split(": ").pop() || null) : null));
    let featured = ((section.featured && section.featured.length) ? section.featured : controlled)
      .filter((g) => groups.includes(g));
    if (!featured.length) featured = groups.filter(Boolean).slice(0, 1);  // nothing controlled
    const picked = groups.filter(Boolean).length > 1 && (section.picker || PICKED.includes(section.key));
    const toPlot = [];
    const later = {};
    const order = section.figures.map((f, i) => i);
    if (picked) order.sort((a, b) => (featured.includes(groups[b]) ? 1 : 0) - (featured.includes(groups[a]) ? 1 : 0));
    const shown = picked ? order.filter((i) => featured.includes(groups[i])) : order;
    for (const i of shown) {
      const [fig, div] = chartBox(section.figures[i], texts[i], `${prefix}${section.key}-fig-${i}`);
      box.append(fig);
      toPlot.push([div, section.figures[i]]);
    }
    if (picked) {
      const rest = order.filter((i) => !featured.includes(groups[i]));
      if (rest.length) {
        const select = el("select", {id: `${prefix}${section.key}-picker`, class: "picker"},
          el("option", {value: "", text: `(${rest.length} more: pick one)`}),
          ...rest.map((i) => el("option", {value: String(i), text: groups[i]})));
        const slot = el("div", {class: "picked"});
        box.append(el("label", {class: "picker-label"},
          `${shown.length ? "Another" : "A"} ${section.picker || "commodity"}: `, select), slot);
        for (const i of rest) later[i] = true;
        select.addEventListener("change", async () => {
          if (!select.value) { replace(slot); return; }
          const i = Number(select.value);
          const [fig, div] = chartBox(section.figures[i], texts[i], `${prefix}${section.key}-fig-${i}`);
          replace(slot, fig);
          await plot(div, section.figures[i]);
          slot.dataset.shown = groups[i];
        });
      }
    }
    if (section.table && section.table.length) box.append(el("div", {class: "table-wrap"},
      table(section.table)));
    if (section.text !== null && section.text !== undefined) box.append(el("pre", {text: section.text}));
    return [box, toPlot];
  }

  function toc(sections, prefix) {
    return el("nav", {class: "toc", "aria-label": "Contents"}, el("h2", {text: "Contents"}),
      el("ol", {}, ...sections.map((s) => el("li", {},
        el("a", {href: `#${prefix}${s.key}`, text: s.title})))));
  }

  async function renderReport(report, node, tocNode, prefix, controlled) {
    const sections = ordered(report);
    const parts = [];
    const figures = [];
    for (const section of sections) {
      const [box, figs] = renderSection(section, prefix, controlled || []);
      parts.push(box);
      figures.push(...figs);
    }
    replace(node, ...parts);
    if (tocNode) replace(tocNode, toc(sections, prefix));
    for (const [div, figure] of figures) await plot(div, figure);
    node.dataset.loaded = "true";
  }

  // ------------------------------------------------------------------ run page
  async function runPage(runId) {
    const node = document.getElementById("report");
    const facts = await api(`/api/runs/${encodeURIComponent(runId)}/page`);
    showFacts(facts);
    wireLabel(runId, facts.label);
    wireDelete(runId);
    wireBaseline(runId, facts);
    try {
      const report = await api(`/api/runs/${encodeURIComponent(runId)}/report`);
      await renderReport(report, node, document.getElementById("toc"), "", facts.controlled);
    } catch (error) { showError(node, error); }
  }

  function showFacts(facts) {
    const r = facts.run;
    const parts = [r.kind, r.scenario && `scenario ${r.scenario}`, r.dataset && `dataset ${r.dataset}`,
      r.draws && `${r.draws} draws`, r.seed !== null && `seed ${r.seed}`,
      facts.weeks && `${facts.weeks} weeks from ${facts.start || "?"}`,
      `saved ${r.created_at.slice(0, 16).replace("T", " ")} UTC`].filter(Boolean);
    document.getElementById("run-facts").textContent = parts.join(" · ");
    if (r.kind === "sweep") {  // a sweep's points download; no baseline to compare with
      for (const id of ["points-csv-link", "points-parquet-link"]) document.getElementById(id).hidden = false;
      document.getElementById("baseline-button").hidden = true;
    }
    const controlled = document.getElementById("controlled");
    controlled.textContent = facts.controlled.length ?
      `Controlled by the scenario's policies: ${facts.controlled.join(", ")}.` :
      "The scenario sets no export control.";
  }

  function wireLabel(runId, label) {
    const input = document.getElementById("label-input");
    const shown = document.getElementById("run-label");
    const status = document.getElementById("label-status");
    input.value = label || "";
    shown.textContent = label || "";
    document.getElementById("label-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const body = await send("PUT", `/api/runs/${encodeURIComponent(runId)}/label`,
          {label: input.value});
        shown.textContent = body.label || "";
        status.textContent = body.label ? "label saved" : "label removed";
      } catch (error) { status.textContent = error.message; }
    });
  }

  function wireDelete(runId) {
    const dialog = document.getElementById("delete-dialog");
    document.getElementById("delete-button").addEventListener("click", () => dialog.showModal());
    document.getElementById("delete-cancel").addEventListener("click", () => dialog.close());
    document.getElementById("delete-confirm").addEventListener("click", async () => {
      try {
        await send("DELETE", `/api/runs/${encodeURIComponent(runId)}`);
        window.location.href = "/runs";
      } catch (error) {
        dialog.close();
        showError(document.getElementById("baseline-box"), error);
        document.getElementById("baseline-box").hidden = false;
      }
    });
  }

  function wireBaseline(runId, facts) {
    const button = document.getElementById("baseline-button");
    const box = document.getElementById("baseline-box");
    if (facts.run.scenario === "baseline") {
      button.disabled = true;
      button.title = "this run is a baseline run";
      return;
    }
    button.addEventListener("click", async () => {
      const info = await api(`/api/runs/${encodeURIComponent(runId)}/baseline`);
      if (info.run_id) {
        window.location.href = `/compare?a=${encodeURIComponent(info.run_id)}&b=${encodeURIComponent(runId)}`;
        return;
      }
      const run = el("button", {type: "button", class: "primary", id: "run-baseline"},
        "Run the baseline");
      const status = el("span", {id: "baseline-status", class: "note"});
      replace(box, el("p", {text: `No stored baseline run on dataset ${info.dataset}. Run scenario ` +
        `baseline with the same ${info.draws} draws, seed ${info.seed} and ${info.weeks} weeks ` +
        `from ${info.start}, then compare?`}), run, " ", status);
      box.hidden = false;
      run.addEventListener("click", async () => {
        run.disabled = true;
        const form = new FormData();
        form.append("yaml", info.yaml);
        if (info.draws) form.append("draws", String(info.draws));
        if (info.seed !== null) form.append("seed", String(info.seed));
        try {
          const job = await send("POST", "/api/runs", form);
          const done = await spigot.followJob(job.job_id, (j) => {
            status.textContent = `${j.status}: ${j.message} (${Math.round(j.progress * 100)} %)`;
          });
          if (done.status === "done") {
            window.location.href = `/compare?a=${encodeURIComponent(done.run_id)}&b=${encodeURIComponent(runId)}`;
          } else {
            status.textContent = `the baseline run failed: ${done.error}`;
            run.disabled = false;
          }
        } catch (error) { status.textContent = error.message; run.disabled = false; }
      });
    });
  }

  // ------------------------------------------------------------------ compare page
  // The comparison comes from the report package (spigot.report.compare.build_comparison): the
  // same content type as a run's report, so it renders the same way.
  async function comparePage(a, b) {
    const node = document.getElementById("compare");
    try {
      const [data, facts] = await Promise.all([
        api(`/api/compare/report?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`),
        api(`/api/runs/${encodeURIComponent(b)}/page`)]);
      document.getElementById("compare-title").textContent = data.report.title;
      await renderReport(data.report, node, document.getElementById("toc"), "cmp-",
        facts.controlled || []);
    } catch (error) { showError(node, error); }
  }

  return {runPage: spigot.ready(runPage), comparePage: spigot.ready(comparePage)};
})();
