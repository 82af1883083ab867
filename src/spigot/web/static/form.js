// spigot dashboard: the scenario page (needs app.js). A form that edits the scenario's settings
// and its policies as fields, with the YAML beside it kept in sync both ways, and the run button.
"use strict";

const spigotForm = (() => {
  const {api, send, el, replace, followJob} = spigot;

  const NEW_SCENARIO = {name: "my-scenario", description: "", dataset: "base", start: "2025-01-06",
    horizon_weeks: 52, draws: 200, seed: 0, policies: []};
  const EDITABLE = ["ExportLicence", "ExportBan"];
  const state = {doc: structuredClone(NEW_SCENARIO), loadedText: null, builtin: null,
    names: {commodities: [], regions: []}, running: false};

  // ------------------------------------------------------------------ YAML out (block style)
  function scalar(v) {
    if (v === null || v === undefined) return "null";
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    const s = String(v);
    const plain = /^[A-Za-z0-9_.\-/][A-Za-z0-9_.\-/ ]*$/.test(s) && !/ $/.test(s) &&
      !/^(true|false|yes|no|on|off|null|~)$/i.test(s) &&
      (!/^[0-9.\-]+$/.test(s) || /^\d{4}-\d{2}-\d{2}$/.test(s));
    return plain ? s : JSON.stringify(s);
  }

  function isFlat(v) {
    return Array.isArray(v) ? v.every((x) => x === null || typeof x !== "object") :
      v && typeof v === "object" && Object.values(v).every((x) => x === null || typeof x !== "object");
  }

  function toYaml(value, indent) {
    const pad = " ".repeat(indent);
    const lines = [];
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) {
        if (!v.length) lines.push(`${pad}${key}: []`);
        else if (isFlat(v)) lines.push(`${pad}${key}: [${v.map(scalar).join(", ")}]`);
        else {
          lines.push(`${pad}${key}:`);
          for (const item of v) {
            if (item && typeof item === "object" && !Array.isArray(item)) {
              const inner = toYaml(item, indent + 4).split("\n");
              lines.push(`${pad}  - ${inner[0].trimStart()}`, ...inner.slice(1));
            } else lines.push(`${pad}  - ${scalar(item)}`);
          }
        }
      } else if (v && typeof v === "object") {
        if (!Object.keys(v).length) lines.push(`${pad}${key}: {}`);
        else if (isFlat(v) && Object.keys(v).length <= 6) {
          lines.push(`${pad}${key}: {${Object.entries(v).map(([k, x]) => `${scalar(k)}: ${scalar(x)}`).join(", ")}}`);
        } else lines.push(`${pad}${key}:`, toYaml(v, indent + 2));
      } else if (typeof v === "string" && v.length > 90) {
        lines.push(`${pad}${key}: >-`, ...wrap(v, 96 - indent).map((l) => `${pad}  ${l}`));
      } else lines.push(`${pad}${key}: ${scalar(v)}`);
    }
    return lines.join("\n");
  }

  function wrap(text, width) {
    const out = [];
    let line = "";
    for (const word of text.split(/\s+/).filter(Boolean)) {
      if (line && line.length + word.length + 1 > width) { out.push(line); line = word; }
      else line = line ? `${line} ${word}` : word;
    }
    if (line) out.push(line);
    return out;
  }

  // ------------------------------------------------------------------ the YAML editor
  function showLines() {
    const text = document.getElementById("yaml-text");
    const gutter = document.getElementById("yaml-lines");
    const n = text.value.split("\n").length;
    gutter.textContent = Array.from({length: n}, (_, i) => i + 1).join("\n");
    gutter.scrollTop = text.scrollTop;
  }

  function setYaml(text) {
    const area = document.getElementById("yaml-text");
    area.value = text;
    showLines();
  }

  function writeYaml() {
    setYaml(toYaml(state.doc, 0) + "\n");
    state.loadedText = null;  // the text is the form's now
    document.getElementById("builtin-select").value = "";
  }

  let parseTimer = null;
  async function readYaml() {
    const text = document.getElementById("yaml-text").value;
    const box = document.getElementById("yaml-state");
    const form = new FormData();
    form.append("yaml", text);
    try {
      const body = await send("POST", "/api/scenarios/parse", form);
      if (body.problems && body.problems.length) {
        box.textContent = body.problems.map((p) => p.text).join("; ");
        return;
      }
      if (!body.data || typeof body.data !== "object" || Array.isArray(body.data)) {
        box.textContent = "The YAML is not a mapping of scenario fields.";
        return;
      }
      state.doc = body.data;
      box.textContent = "";
      await fillForm();
    } catch (error) {
      const p = ((error.body && error.body.problems) || [])[0];
      box.textContent = p ? p.text : error.message;
    }
  }

  // ------------------------------------------------------------------ form <-> state
  function field(id) { return document.getElementById(id); }

  async function loadNames(dataset) {
    try {
      const [c, r] = await Promise.all([
        api(`/api/datasets/${encodeURIComponent(dataset)}/tables/commodities`),
        api(`/api/datasets/${encodeURIComponent(dataset)}/tables/regions`)]);
      state.names = {commodities: c.rows.map((x) => x.id), regions: r.rows.map((x) => x.id)};
    } catch (error) { state.names = {commodities: [], regions: []}; }
    replace(field("region-names"), ...state.names.regions.map((id) => el("option", {value: id})));
  }

  async function fillForm() {
    const d = state.doc;
    field("f-name").value = d.name || "";
    const datasets = [...field("f-dataset").options].map((o) => o.value);
    field("f-dataset").value = datasets.includes(d.dataset) ? d.dataset : datasets[0];
    field("f-start").value = d.start ? String(d.start).slice(0, 10) : "";
    field("f-weeks").value = d.horizon_weeks || "";
    field("draws-default").textContent = `Blank: the scenario's ${d.draws || 1000} draws` +
      `${d.draws ? "" : " (the default)"}.`;
    field("draws").placeholder = String(d.draws || 1000);
    await loadNames(field("f-dataset").value);
    renderPolicies();
  }

  function destinationsOf(p) {
    if (p.destinations === undefined || p.destinations === "all") return ["all", ""];
    if (Array.isArray(p.destinations)) return ["listed", p.destinations.join(", ")];
    if (p.destinations && p.destinations.all_except) return ["except", p.destinations.all_except.join(", ")];
    return ["all", ""];
  }

  function codes(text) {
    return text.split(/[\s,]+/).map((x) => x.trim().toUpperCase()).filter(Boolean);
  }

  function policyCard(p, i) {
    const id = (name) => `p${i}-${name}`;
    const card = el("fieldset", {class: "policy", "data-index": String(i), "data-type": p.type});
    card.append(el("legend", {text: `${i + 1}. ${p.type} ${p.id || ""}`}));
    const remove = el("button", {type: "button", class: "danger small", id: id("remove"),
      text: "Remove", "aria-label": `Remove policy ${i + 1}`});
    remove.addEventListener("click", () => { state.doc.policies.splice(i, 1); renderPolicies(); writeYaml(); });
    if (!EDITABLE.includes(p.type)) {
      card.append(el("p", {class: "note", text: `Edit this ${p.type} in the YAML.`}), remove);
      return card;
    }
    const row = (label, input) => el("label", {class: "field", for: input.id}, label, input);
    const input = (name, attrs) => el("input", {id: id(name), ...attrs});
    const pid = input("id", {value: p.id || "", required: true, pattern: "[A-Za-z0-9_.\\-]+"});
    const exporter = input("exporter", {value: p.exporter || "CHN", list: "region-names", size: 6});
    const commodities = el("select", {id: id("commodities"), multiple: true,
      size: Math.min(8, Math.max(3, state.names.commodities.length))},
      ...[...new Set([...state.names.commodities, ...(p.commodities || [])])].map((c) =>
        el("option", {value: c, text: c, selected: (p.commodities || []).includes(c)})));
    const [mode, listed] = destinationsOf(p);
    const dest = el("select", {id: id("dest-mode")},
      el("option", {value: "all", text: "all destinations", selected: mode === "all"}),
      el("option", {value: "listed", text: "only these", selected: mode === "listed"}),
      el("option", {value: "except", text: "all except these", selected: mode === "except"}));
    const destList = input("dest-list", {value: listed, placeholder: "e.g. USA, JPN", size: 18});
    const start = input("start", {type: "date", value: p.start ? String(p.start).slice(0, 10) : ""});
    const end = input("end", {type: "date", value: p.end ? String(p.end).slice(0, 10) : ""});
    card.append(row("Id", pid), row("Exporter", exporter), row("Commodities", commodities),
      el("div", {class: "field"}, row("Destinations", dest), destList), row("Start", start), row("End", end));
    const fields = [pid, exporter, commodities, dest, destList, start, end];
    let median = null, approval = null;
    if (p.type === "ExportLicence") {
      const dist = p.processing_time && p.processing_time.distribution;
      const value = typeof dist === "number" ? dist : (dist && dist.median !== undefined ? dist.median : "");
      median = input("median", {type: "number", min: 0, step: "any", value: String(value)});
      const odds = p.approval ? p.approval.default : 1;
      approval = input("approval", {type: "number", min: 0, max: 1, step: "0.05",
        value: typeof odds === "number" ? String(odds) : "", placeholder: typeof odds === "number" ? "" : "a distribution (YAML)"});
      card.append(row("Processing time, median (working days)", median),
        row("Approval odds, default (0–1)", approval));
      fields.push(median, approval);
    }
    card.append(remove);
    const update = () => {
      const q = {...p, id: pid.value, exporter: exporter.value.trim().toUpperCase(),
        commodities: [...commodities.selectedOptions].map((o) => o.value)};
      q.destinations = dest.value === "all" ? "all" : dest.value === "listed" ? codes(destList.value) :
        {all_except: codes(destList.value)};
      if (start.value) q.start = start.value; else delete q.start;
      if (end.value) q.end = end.value; else delete q.end;
      if (median && median.value !== "") {
        const pt = {...(q.processing_time || {unit: "working_days"})};
        const m = Number(median.value);
        pt.distribution = pt.distribution && typeof pt.distribution === "object" ?
          {...pt.distribution, median: m} : m;
        q.processing_time = pt;
      }
      if (approval && approval.value !== "") q.approval = {...(q.approval || {}), default: Number(approval.value)};
      state.doc.policies[i] = q;
      p = q;
      card.querySelector("legend").textContent = `${i + 1}. ${q.type} ${q.id}`;
      writeYaml();
    };
    for (const f of fields) {
      f.addEventListener("change", update);
      if (f.tagName === "INPUT") f.addEventListener("input", update);
    }
    return card;
  }

  function renderPolicies() {
    const list = field("policies");
    const policies = Array.isArray(state.doc.policies) ? state.doc.policies : (state.doc.policies = []);
    replace(list, ...policies.map(policyCard));
    if (!policies.length) list.append(el("p", {class: "note", text: "No policies: a run of the world as it is."}));
  }

  function addPolicy(type) {
    const n = state.doc.policies.length + 1;
    const policy = type === "ExportLicence" ? {type, id: `licence_${n}`, exporter: "CHN",
      commodities: [], destinations: "all", start: state.doc.start || "2025-01-06",
      processing_time: {unit: "working_days",
        distribution: {dist: "lognormal", median: 45, sigma: 0.35, min: 5, max: 90}},
      approval: {default: 0.75}} :
      {type, id: `ban_${n}`, exporter: "CHN", commodities: [], destinations: "all",
        start: state.doc.start || "2025-01-06"};
    state.doc.policies.push(policy);
    renderPolicies();
    writeYaml();
    field(`p${n - 1}-commodities`).focus();
  }

  function wireSettings() {
    const set = (key, value) => {
      if (value === "" || value === null) delete state.doc[key]; else state.doc[key] = value;
      writeYaml();
    };
    field("f-name").addEventListener("change", (e) => set("name", e.target.value));
    field("f-start").addEventListener("change", (e) => set("start", e.target.value));
    field("f-weeks").addEventListener("change", (e) => set("horizon_weeks",
      e.target.value === "" ? "" : Number(e.target.value)));
    field("f-dataset").addEventListener("change", async (e) => {
      set("dataset", e.target.value);
      await loadNames(e.target.value);
      renderPolicies();
    });
    field("add-licence").addEventListener("click", () => addPolicy("ExportLicence"));
    field("add-ban").addEventListener("click", () => addPolicy("ExportBan"));
  }

  // ------------------------------------------------------------------ validate and run
  function scenarioForm() {
    const form = new FormData();
    const upload = field("upload");
    const builtin = field("builtin-select").value;
    const text = field("yaml-text").value;
    if (upload.files.length) form.append("file", upload.files[0]);
    else if (builtin && text === state.loadedText) form.append("scenario", builtin);
    else form.append("yaml", text);
    return form;
  }

  function showProblems(error) {
    const box = field("errors");
    const problems = (error.body && error.body.problems) || [];
    const items = problems.length ? problems.map((p) => el("li", {text: p.text}))
      : [el("li", {text: error.message})];
    replace(box, el("strong", {text: `Not valid (HTTP ${error.status || "error"}):`}),
      el("ul", {}, ...items));
    box.hidden = false;
  }

  function clear() {
    field("errors").hidden = true;
    field("validation").hidden = true;
  }

  function setRunning(running, why) {
    state.running = running;
    const button = field("run-button");
    button.disabled = running;
    button.textContent = running ? "Running…" : "Run";
    field("run-state").textContent = running ? (why || "a run is going: Run is off until it ends") : "";
  }

  async function run() {
    clear();
    if (state.running) return;
    const form = scenarioForm();
    const draws = field("draws").value;
    const seed = field("seed").value;
    if (draws) form.append("draws", draws);
    if (seed) form.append("seed", seed);
    setRunning(true);
    const box = field("job");
    const link = field("run-link");
    try {
      const job = await send("POST", "/api/runs", form);
      box.hidden = false;
      link.hidden = true;
      box.dataset.job = job.job_id;
      const done = await followJob(job.job_id, (j) => {
        field("progress").value = j.progress;
        field("job-status").textContent = `${j.status}: ${j.message} (${Math.round(j.progress * 100)} %)`;
        box.dataset.status = j.status;
      });
      if (done.status === "done") {
        link.href = `/runs/${done.run_id}`;
        link.textContent = `Open run ${done.run_id}`;
        link.hidden = false;
      } else showProblems({message: done.error, status: "run failed", body: null});
    } catch (error) { showProblems(error); } finally { setRunning(false); }
  }

  async function scenarioPage() {
    const select = field("builtin-select");
    const area = field("yaml-text");
    const upload = field("upload");
    const builtins = await api("/api/scenarios");
    wireSettings();
    area.addEventListener("input", () => {
      showLines();
      clearTimeout(parseTimer);
      parseTimer = setTimeout(readYaml, 400);
    });
    area.addEventListener("scroll", () => { field("yaml-lines").scrollTop = area.scrollTop; });
    select.addEventListener("change", async () => {
      clear();
      upload.value = "";
      const meta = builtins.find((s) => s.name === select.value);
      field("builtin-description").textContent = meta ?
        `${meta.description} (dataset ${meta.dataset}, ${meta.weeks} weeks, ${meta.policies} policies)` : "";
      if (select.value) {
        const data = await api(`/api/scenarios/${encodeURIComponent(select.value)}`);
        setYaml(data.yaml);
        state.loadedText = data.yaml;
        await readYaml();
        area.dataset.loaded = select.value;
      }
    });
    upload.addEventListener("change", async () => {
      clear();
      select.value = "";
      if (upload.files.length) {
        setYaml(await upload.files[0].text());
        await readYaml();
      }
    });
    field("validate-button").addEventListener("click", async () => {
      clear();
      try {
        const result = await send("POST", "/api/scenarios/validate", scenarioForm());
        const ok = field("validation");
        ok.textContent = `Valid: ${result.name} on dataset ${result.dataset}, ` +
          `${result.weeks} weeks, ${result.policies} policies.`;
        ok.hidden = false;
      } catch (error) { showProblems(error); }
    });
    field("run-button").addEventListener("click", run);
    const jobs = await api("/api/jobs");
    const going = jobs.find((j) => j.status === "running" || j.status === "queued");
    writeYaml();
    await fillForm();
    if (going) {
      setRunning(true, `run ${going.job_id} (${going.scenario}) is going: Run is off until it ends`);
      followJob(going.job_id).then(() => setRunning(false));
    }
  }

  return {scenarioPage: spigot.ready(scenarioPage), toYaml};
})();
