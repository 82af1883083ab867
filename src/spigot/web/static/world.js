// spigot dashboard: the world page (needs app.js and plotly.js). A choropleth per commodity and
// stage, and sortable, filterable, downloadable tables. Values are inserted as text only.
"use strict";

const spigotWorld = (() => {
  const {api, el, table, replace, showError, formatCell} = spigot;
  // plotly draws country shapes from this folder's world_110m.json: no request leaves the server.
  const GEO_CONFIG = {responsive: true, displaylogo: false, topojsonURL: "/static/",
    displayModeBar: false};
  const STAGE_ORDER = ["mining", "separation", "refining", "metal", "magnet"];

  // ------------------------------------------------------------------ interactive tables
  function csvText(rows, columns) {
    const quote = (v) => {
      if (v === null || v === undefined) return "";
      const s = String(v);
      return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    return [columns.map(quote).join(","), ...rows.map((r) => columns.map((c) => quote(r[c])).join(","))]
      .join("\n") + "\n";
  }

  function download(filename, text) {
    const url = URL.createObjectURL(new Blob([text], {type: "text/csv"}));
    const a = el("a", {href: url, download: filename});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // A table with a filter box, sortable columns (click a header) and a CSV download of what is
  // shown. ``options.rowClass(row)`` marks rows; the first column stays in view when scrolling.
  function interactiveTable(node, rows, columns, options) {
    options = options || {};
    const name = options.name || "table";
    let sortBy = null, descending = false;
    const filter = el("input", {type: "search", class: "filter", placeholder: "filter rows",
      "aria-label": `Filter the ${name} table`});
    const count = el("span", {class: "note", "aria-live": "polite"});
    const button = el("button", {type: "button", class: "csv", text: "Download CSV"});
    const holder = el("div", {class: "table-wrap sticky-first"});
    const shown = () => {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      let out = rows.filter((r) => words.every((w) => columns.some((c) =>
        String(r[c] === null || r[c] === undefined ? "" : r[c]).toLowerCase().includes(w))));
      if (sortBy !== null) {
        out = [...out].sort((a, b) => {
          const [x, y] = [a[sortBy], b[sortBy]];
          const miss = (v) => v === null || v === undefined || v === "";
          if (miss(x) || miss(y)) return miss(x) - miss(y);
          const d = typeof x === "number" && typeof y === "number" ? x - y :
            String(x).localeCompare(String(y), "en", {numeric: true});
          return descending ? -d : d;
        });
      }
      return out;
    };
    const draw = () => {
      const out = shown();
      const t = table(out, columns, {className: `data ${options.className || ""}`,
        rowClass: options.rowClass});
      t.querySelectorAll("thead th").forEach((th, i) => {
        const c = columns[i];
        th.setAttribute("aria-sort", c === sortBy ? (descending ? "descending" : "ascending") : "none");
        const b = el("button", {type: "button", class: "sort", text: c,
          title: `sort by ${c}`});
        b.addEventListener("click", () => {
          descending = sortBy === c ? !descending : typeof (rows[0] || {})[c] === "number";
          sortBy = c;
          draw();
        });
        th.replaceChildren(b);
      });
      replace(holder, t);
      count.textContent = `${out.length} of ${rows.length} rows`;
      node.dataset.rows = String(out.length);
    };
    filter.addEventListener("input", draw);
    button.addEventListener("click", () => download(`${name}.csv`, csvText(shown(), columns)));
    replace(node, el("div", {class: "table-tools"}, filter, " ", button, " ", count), holder);
    draw();
  }

  // ------------------------------------------------------------------ map
  function mapFigure(rows, title, colourTitle, aria) {
    const data = [{type: "choropleth", locationmode: "ISO-3", locations: rows.map((r) => r.region),
      z: rows.map((r) => r.z), text: rows.map((r) => r.text), hoverinfo: "location+text",
      colorscale: "YlOrRd", reversescale: true, zmin: 0, colorbar: {title: {text: colourTitle}, thickness: 14},
      marker: {line: {color: "#888", width: 0.4}}}];
    const layout = {title: {text: title, x: 0.01, xanchor: "left"}, height: 430,
      margin: {l: 0, r: 0, t: 40, b: 0},
      geo: {projection: {type: "natural earth", rotation: {lon: 10}}, center: {lon: 10, lat: 20},
        lonaxis: {range: [-170, 190]}, lataxis: {range: [-58, 85]}, showframe: false, showcoastlines: true,
        coastlinecolor: "#999", showland: true, landcolor: "#eeeeee", showcountries: true,
        countrycolor: "#ccc"},
      font: {family: "system-ui, sans-serif", size: 12}};
    return {data, layout, aria};
  }

  function barFigure(rows, title) {
    const top = [...rows].sort((a, b) => b.z - a.z).slice(0, 10).reverse();
    return {data: [{type: "bar", orientation: "h", x: top.map((r) => r.z), y: top.map((r) => r.region),
      marker: {color: "#c0392b"}, hovertemplate: "%{y}: %{x:.1f}<extra></extra>"}],
    layout: {title: {text: title, x: 0.02, xanchor: "left"}, height: 430, margin: {l: 50, r: 10, t: 40, b: 40},
      xaxis: {title: {text: "% "}}, font: {family: "system-ui, sans-serif", size: 12}}};
  }

  async function drawMap(world) {
    const metric = document.getElementById("map-metric").value;
    const commodity = document.getElementById("map-commodity").value;
    const stageSelect = document.getElementById("map-stage");
    const stage = stageSelect.value;
    const mapNode = document.getElementById("world-map");
    const barNode = document.getElementById("world-bars");
    const caption = document.getElementById("map-caption");
    let rows, title, colourTitle, summary;
    if (metric === "exposure") {
      rows = world.exposure.filter((r) => r.commodity === commodity && r.exposure_share !== null)
        .map((r) => ({region: r.importer, z: 100 * r.exposure_share,
          text: `${formatCell(100 * r.exposure_share)} % of supply under a measure in force` +
            (r.measures ? ` (${r.measures})` : "")}));
      title = `Exposure to export controls in force: ${commodity}`;
      colourTitle = "% of supply";
      const worst = [...rows].sort((a, b) => b.z - a.z)[0];
      summary = rows.length ? `${rows.length} importers; most exposed ${worst.region} ` +
        `(${formatCell(worst.z)} % of its supply under a measure in force).` :
        `No importer of ${commodity} in this dataset.`;
    } else {
      rows = world.shares.filter((r) => r.commodity === commodity && r.stage === stage)
        .map((r) => ({region: r.region, z: 100 * r.share,
          text: `${formatCell(100 * r.share)} % of world ${stage} (${formatCell(r.value)} t/yr, ${r.year})`}));
      const s = world.stages.find((x) => x.commodity === commodity && x.stage === stage) || {};
      const hhi = s.hhi_points === undefined ? "" : ` · HHI ${formatCell(s.hhi_points)}`;
      title = `${commodity} ${stage}: share of world production${hhi}`;
      colourTitle = "% of world";
      summary = `HHI ${formatCell(s.hhi_points)} points (above 1,800: highly concentrated); ` +
        `top supplier ${s.top_supplier || "?"} with ${formatCell(100 * (s.top_share || 0))} %` +
        `${s.chokepoint ? "; the chokepoint of its chain" : ""}; ${rows.length} producing countries listed.`;
    }
    caption.textContent = summary;
    const fig = mapFigure(rows, title, colourTitle);
    mapNode.setAttribute("aria-label", `${title}. ${summary}`);
    await Plotly.react(mapNode, fig.data, fig.layout, GEO_CONFIG);
    const bars = barFigure(rows, `Top ${Math.min(10, rows.length)}: ${colourTitle}`);
    barNode.setAttribute("aria-label", `Bar chart of the same numbers. ${summary}`);
    await Plotly.react(barNode, bars.data, bars.layout, GEO_CONFIG);
    mapNode.dataset.metric = metric;
    mapNode.dataset.commodity = commodity;
    mapNode.dataset.stage = metric === "exposure" ? "" : stage;
    interactiveTable(document.getElementById("map-table"),
      rows.map((r) => ({country: r.region, value: Math.round(r.z * 100) / 100, detail: r.text})),
      ["country", "value", "detail"], {name: `${commodity}-${metric}`});
  }

  function fillMapControls(world) {
    const metric = document.getElementById("map-metric");
    const commodity = document.getElementById("map-commodity");
    const stage = document.getElementById("map-stage");
    const commodities = () => metric.value === "exposure" ?
      [...new Set(world.exposure.filter((r) => r.exposure_share !== null).map((r) => r.commodity))].sort() :
      [...new Set(world.shares.map((r) => r.commodity))].sort();
    const fillStages = () => {
      const stages = [...new Set(world.shares.filter((r) => r.commodity === commodity.value)
        .map((r) => r.stage))].sort((a, b) => STAGE_ORDER.indexOf(a) - STAGE_ORDER.indexOf(b));
      const keep = stage.value;
      replace(stage, ...stages.map((s) => el("option", {value: s, text: s})));
      if (stages.includes(keep)) stage.value = keep;
      else {  // the chokepoint stage of the commodity first
        const choke = world.stages.find((x) => x.commodity === commodity.value && x.chokepoint);
        if (choke && stages.includes(choke.stage)) stage.value = choke.stage;
      }
      stage.disabled = metric.value === "exposure";
    };
    const fillCommodities = () => {
      const keep = commodity.value;
      const names = commodities();
      replace(commodity, ...names.map((c) => el("option", {value: c, text: c})));
      commodity.value = names.includes(keep) ? keep : (names.includes("rare_earths") ? "rare_earths" :
        (names.includes("dy_oxide") ? "dy_oxide" : names[0]));
      fillStages();
    };
    metric.onchange = () => { fillCommodities(); drawMap(world); };
    commodity.onchange = () => { fillStages(); drawMap(world); };
    stage.onchange = () => drawMap(world);
    fillCommodities();
  }

  // ------------------------------------------------------------------ dataset tables
  async function showTable(dataset, tableName) {
    for (const b of document.querySelectorAll("#table-tabs button"))
      b.classList.toggle("active", b.dataset.table === tableName);
    const view = document.getElementById("table-view");
    try {
      const data = await api(`/api/datasets/${encodeURIComponent(dataset)}/tables/${encodeURIComponent(tableName)}`);
      const units = Object.entries(data.units || {}).map(([c, u]) => `${c}: ${u}`).join("; ");
      document.getElementById("table-info").textContent =
        `${data.table}: ${data.total} rows` + (units ? ` · units ${units}` : "");
      interactiveTable(view, data.rows, data.columns, {name: `${dataset}-${tableName}`,
        className: "dataset-table"});
      view.dataset.dataset = dataset;
      view.dataset.table = tableName;
    } catch (error) { showError(view, error); }
  }

  const RISK_COLUMNS = ["chokepoint", "commodity", "stage", "hhi_points", "cr1", "top_supplier",
    "top_share", "chain", "year", "n_producers", "cr3", "source"];

  async function worldPage() {
    const select = document.getElementById("dataset-select");
    const all = await api("/api/datasets");
    const load = async () => {
      const name = select.value;
      const meta = all.find((d) => d.name === name) || {};
      document.getElementById("dataset-description").textContent =
        (meta.title ? meta.title + ". " : "") + (meta.description || "");
      const riskNode = document.getElementById("risk-table");
      const mapNode = document.getElementById("world-map");
      try {
        const [risk, world] = await Promise.all([
          api(`/api/datasets/${encodeURIComponent(name)}/risk`),
          api(`/api/datasets/${encodeURIComponent(name)}/world`)]);
        if (select.value !== name) return;  // a later choice is loading
        const columns = RISK_COLUMNS.filter((c) => risk.columns.includes(c));
        interactiveTable(riskNode, risk.rows, columns, {name: `${name}-risk`, className: "risk",
          rowClass: (r) => (r.chokepoint ? "chokepoint" : null)});
        riskNode.dataset.dataset = name;
        fillMapControls(world);
        await drawMap(world);
        mapNode.dataset.dataset = name;
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

  return {worldPage: spigot.ready(worldPage), interactiveTable, csvText};
})();
