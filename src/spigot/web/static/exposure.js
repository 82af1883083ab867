// The exposure page: a product YAML (example, upload or typed), scenarios, results as tables.
// Every value from the API is inserted as text, never as HTML.
"use strict";

const spigotExposure = (() => {
  const {api, send, el, table, replace} = spigot;
  const byId = (id) => document.getElementById(id);

  function causeText(cause) {
    if (!cause) return "";
    let text = `short of ${cause.commodity}`;
    if (cause.node) {
      text += `; first failing: ${cause.route_commodity} from ${cause.node} (${cause.region}, tier ${cause.tier}) in week ${cause.week}`;
    }
    return text;
  }

  function showResult(doc) {
    const p = doc.plant;
    byId("exposure-plant").textContent = `${doc.product}: ${p.output_per_week} ${p.unit}/week in ${p.region}, `
      + `USD ${p.value_per_unit} each, ${p.cover_weeks} weeks of cover (modelled as ${p.model_sector} at scale ${p.scale.toPrecision(3)}).`;
    const materials = doc.materials.map((m) => ({
      component: m.component, commodity: m.commodity, stage: m.stage, kg_per_unit: m.kg_per_unit,
      t_per_year: m.t_per_year,
      suppliers: m.suppliers.map((s) => `${s.node} (${s.region})`).join(", "),
      inputs_from: Object.entries(m.inputs_from).map(([k, v]) => `${k}: ${v}`).join(", ")}));
    replace(byId("exposure-materials"), table(materials));
    const rows = doc.scenarios.map((s) => ({
      scenario: s.scenario, draws: s.draws, stop_probability: s.stop_probability,
      first_stop_week_p5: s.first_stop_week_p5, first_stop_week_p50: s.first_stop_week_p50,
      first_stop_week_p95: s.first_stop_week_p95, stopped_weeks_mean: s.stopped_weeks_mean,
      lost_usd_p95: s.lost_usd_p95, cause: causeText(s.cause)}));
    const node = table(rows);
    node.id = "exposure-table";
    replace(byId("exposure-scenarios"), node);
    byId("exposure-result").hidden = false;
  }

  function showErrors(error) {
    const box = byId("exposure-errors");
    const problems = (error.body && error.body.problems) || [];
    const items = problems.length ? problems.map((p) => el("li", {text: p.text}))
      : [el("li", {text: error.message})];
    replace(box, el("ul", {}, ...items));
    box.hidden = false;
  }

  async function exposurePage() {
    const text = byId("product-text");
    byId("product-select").addEventListener("change", async (event) => {
      const name = event.target.value;
      if (!name) return;
      const body = await api(`/api/products/${encodeURIComponent(name)}`);
      text.value = body.yaml;
    });
    byId("product-upload").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (file) text.value = await file.text();
    });
    byId("exposure-button").addEventListener("click", async () => {
      const state = byId("exposure-state");
      byId("exposure-errors").hidden = true;
      const form = new FormData();
      form.append("yaml", text.value);
      form.append("draws", byId("exp-draws").value || "64");
      for (const box of document.querySelectorAll("#scenario-choices input:checked")) {
        form.append("scenario", box.value);
      }
      state.textContent = "Simulating…";
      byId("exposure-button").disabled = true;
      try {
        showResult(await send("POST", "/api/exposure", form));
        state.textContent = "Done.";
      } catch (error) {
        state.textContent = "";
        showErrors(error);
      } finally {
        byId("exposure-button").disabled = false;
      }
    });
  }

  return {exposurePage: spigot.ready(exposurePage)};
})();
