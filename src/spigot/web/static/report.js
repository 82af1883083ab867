// spigot dashboard: the run page and the compare page (needs app.js and plotly.js).
// Every value from the API is inserted as text, never as HTML.
"use strict";

const spigotReport = (() => {
  const {api, send, el, table, replace, showError, formatCell} = spigot;

  // Reading order when the report does not set one (older report content): what happened first,
  // then why, then the evidence.
  const ORDER = ["headline", "stoppage", "prices", "licences", "exports", "sankey", "chokepoints",
    "summary", "scenario"];
  // Sections whose figures are one per commodity: controlled ones first, the rest on a picker.
  const PICKED = ["prices", "exports"];
  const PLOT_CONFIG = {responsive: true, displaylogo: false};

  function ordered(report) {
    if (report.kind) return report.sections;  // the report sets its own order
    const rank = (s) => { const i = ORDER.indexOf(s.key); return i < 0 ? ORDER.length : i; };
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
    const featured = (section.featured && section.featured.length) ? section.featured : controlled;
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
  const COMPARED = ["prices", "exports", "licences"];

  function allY(figures) {
    let lo = Infinity, hi = -Infinity;
    for (const f of figures) for (const t of f.data || []) {
      for (const v of values(t.y) || []) if (typeof v === "number" && isFinite(v)) {
        lo = Math.min(lo, v); hi = Math.max(hi, v);
      }
    }
    if (!isFinite(lo)) return null;
    const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
    return [Math.min(0, lo) === 0 && lo >= 0 ? 0 : lo - pad, hi + pad];
  }

  // A's and B's fans in one figure on the same axes: A solid, B dashed with a lighter band.
  function overlay(fa, fb, title) {
    const mark = (fig, side) => (fig.data || []).map((t) => {
      const trace = {...t, name: `${side} · ${t.name || ""}`, legendgroup: `${side}${t.legendgroup || ""}`};
      if (side === "B") {
        trace.line = {...(t.line || {}), dash: "dash"};
        if (t.fillcolor) trace.fillcolor = t.fillcolor.replace(/[\d.]+\)$/, "0.1)");
      }
      return trace;
    });
    const range = allY([fa, fb]);
    const layout = {...fa.layout, title: {text: `${title}: A solid, B dashed`},
      yaxis: {...(fa.layout.yaxis || {}), range, autorange: false}};
    return {data: [...mark(fa, "A"), ...mark(fb, "B")], layout};
  }

  // B − A of every middle (P50) line that both figures have on the same x.
  function difference(fa, fb, title) {
    const mids = (fig) => (fig.data || []).filter((t) => /P50$/.test(t.name || ""));
    const data = [];
    for (const tb of mids(fb)) {
      const ta = mids(fa).find((t) => t.name === tb.name);
      const [xa, ya, xb, yb] = [values(ta && ta.x), values(ta && ta.y), values(tb.x), values(tb.y)];
      if (!ta || !xa || !xb || xa.length !== xb.length) continue;
      data.push({type: "scatter", mode: "lines", x: xb, name: `B − A · ${tb.name}`,
        y: yb.map((v, i) => (v === null || ya[i] === null ? null : v - ya[i])),
        line: tb.line ? {color: tb.line.color, width: 2} : undefined});
    }
    if (!data.length) return null;
    return {data, layout: {...fb.layout, title: {text: `Difference B − A: ${title}`},
      yaxis: {...(fb.layout.yaxis || {}), range: undefined, autorange: true,
        zeroline: true, zerolinecolor: "#555"}}};
  }

  function pairSection(key, ra, rb, controlled) {
    const sa = ra.sections.find((s) => s.key === key);
    const sb = rb.sections.find((s) => s.key === key);
    if (!sa || !sb) return null;
    const figures = [];
    const charts = [];
    sa.figures.forEach((fa) => {
      const title = figureTitle(fa);
      const fb = sb.figures.find((f) => figureTitle(f) === title);
      if (!fb) return;
      const group = title.split(": ").pop();
      figures.push(overlay(fa, fb, title));
      charts.push({alt: `${title}: run A (solid) and run B (dashed) on the same axes`, group});
      const diff = difference(fa, fb, title);
      if (diff) {
        figures.push(diff);
        charts.push({alt: `${title}: B minus A of the P50 lines`, group});
      }
    });
    return {key, title: `${sa.title}: A and B`, note: `A: ${sa.note || ""} · B: ${sb.note || ""}`,
      figures, charts, picker: PICKED.includes(key) ? "commodity" : null, featured: controlled,
      table: null, text: null};
  }

  function stoppageSideBySide(ra, rb, node) {
    const [sa, sb] = [ra, rb].map((r) => r.sections.find((s) => s.key === "stoppage"));
    const box = el("section", {class: "report-section", id: "cmp-stoppage", "data-section": "stoppage"},
      el("h2", {text: "First stoppage: A beside B"}));
    const two = el("div", {class: "two"});
    box.append(two);
    const plots = [];
    for (const [side, s] of [["A", sa], ["B", sb]]) {
      const col = el("div", {}, el("h3", {text: `Run ${side}`}));
      if (!s || !s.figures.length) {
        col.append(el("p", {class: "note stops-none", text: "No sector stops in any draw."}));
      } else {
        const [fig, div] = chartBox(s.figures[0], chartText(s, 0), `cmp-stoppage-${side}`);
        col.append(fig);
        plots.push([div, s.figures[0]]);
      }
      two.append(col);
    }
    node.append(box);
    return plots;
  }

  function headlineDiff(ra, rb) {
    const rows = {};
    for (const [side, r] of [["A", ra], ["B", rb]]) {
      const s = r.sections.find((x) => x.key === "headline");
      for (const row of (s && s.table) || []) {
        const entry = rows[row.quantity] || (rows[row.quantity] = {quantity: row.quantity, unit: row.unit});
        entry[`${side} mean`] = row.mean;
        entry[`${side} P50`] = row.P50;
      }
    }
    return Object.values(rows).map((row) => {
      const [a, b] = [row["A mean"], row["B mean"]];
      const ok = typeof a === "number" && typeof b === "number";
      return {...row, "B − A (mean)": ok ? b - a : null,
        "(B − A) / |A|": ok && a !== 0 ? `${formatCell(((b - a) / Math.abs(a)) * 100)} %` : (ok && b === a ? "0 %" : "")};
    });
  }

  async function comparePage(a, b) {
    const node = document.getElementById("compare");
    const head = document.getElementById("compare-headline");
    try {
      const [data, fa] = await Promise.all([
        api(`/api/compare/report?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`),
        api(`/api/runs/${encodeURIComponent(b)}/page`)]);
      const controlled = fa.controlled || [];
      if (data.kind === "compare") {  // the report package's comparison
        head.closest("section").hidden = true;
        await renderReport(data.report, node, document.getElementById("toc"), "cmp-", controlled);
        return;
      }
      const [ra, rb] = [data.reports.a, data.reports.b];
      replace(head, table(headlineDiff(ra, rb), null, {className: "data compare"}));
      replace(node);
      const plots = stoppageSideBySide(ra, rb, node);
      const sections = [];
      for (const key of COMPARED) {
        const s = pairSection(key, ra, rb, controlled);
        if (!s || !s.figures.length) continue;
        sections.push(s);
        const [box, figs] = renderSection(s, "cmp-", controlled);
        node.append(box);
        plots.push(...figs);
      }
      replace(document.getElementById("toc"), toc([{key: "headline", title: "Headline numbers"},
        {key: "stoppage", title: "First stoppage: A beside B"}, ...sections], "cmp-"));
      for (const [div, figure] of plots) await plot(div, figure);
      node.dataset.loaded = "true";
    } catch (error) { showError(node, error); }
  }

  return {runPage: spigot.ready(runPage), comparePage: spigot.ready(comparePage)};
})();
