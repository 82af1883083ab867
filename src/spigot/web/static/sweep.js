// spigot dashboard: the sweep page (needs app.js). Starts a sweep (POST /api/sweeps), follows its
// job (points done of total, as the Dask tasks complete) and links to the stored sweep.
// Every value from the API is inserted as text, never as HTML.
"use strict";

const spigotSweep = (() => {
  const {send, followJob, el, replace} = spigot;

  function field(id) { return document.getElementById(id); }

  function showProblems(error) {
    const box = field("sweep-errors");
    const problems = (error.body && error.body.problems) || [];
    replace(box, el("p", {text: error.message}),
      ...problems.map((p) => el("p", {class: "problem", text: p.text || p.message})));
    box.hidden = false;
  }

  function showJob(job) {
    field("sweep-job").hidden = false;
    field("sweep-progress").value = job.progress;
    const count = job.total ? ` — ${job.done || 0} of ${job.total} points` : "";
    field("sweep-status").textContent = `${job.status}: ${job.message}${count}`;
    field("sweep-job").dataset.done = String(job.done || 0);
  }

  async function follow(jobId) {
    const button = field("sweep-button");
    button.disabled = true;
    const done = await followJob(jobId, showJob);
    button.disabled = false;
    if (done.status === "done") {
      const link = field("sweep-link");
      link.href = `/runs/${encodeURIComponent(done.run_id)}`;
      link.textContent = `Open sweep ${done.run_id}`;
      field("sweep-done").hidden = false;
    } else {
      showProblems(new Error(`the sweep failed: ${done.error}`));
    }
  }

  async function start() {
    field("sweep-errors").hidden = true;
    field("sweep-done").hidden = true;
    const scenario = field("sweep-scenario").value;
    const yaml = field("sweep-yaml").value.trim();
    const body = {
      params: field("sweep-params").value.split("\n").map((s) => s.trim()).filter(Boolean),
      design: field("sweep-design").value,
      points: Number(field("sweep-points").value),
      draws: Number(field("sweep-draws").value),
    };
    if (yaml && !scenario) body.yaml = yaml; else body.scenario = scenario || null;
    try {
      const job = await send("POST", "/api/sweeps", body);
      const url = new URL(location.href);
      url.searchParams.set("job", job.job_id);
      history.replaceState(null, "", url);
      showJob(job);
      await follow(job.job_id);
    } catch (error) { showProblems(error); field("sweep-button").disabled = false; }
  }

  function page() {
    field("sweep-button").addEventListener("click", start);
    // pasted YAML replaces the built-in scenario (the request takes exactly one of them)
    field("sweep-yaml").addEventListener("input", () => {
      if (field("sweep-yaml").value.trim()) field("sweep-scenario").value = "";
    });
    const jobId = new URL(location.href).searchParams.get("job");
    if (jobId) follow(jobId).catch(showProblems);  // reload: follow the same job
  }

  return {page: spigot.ready(page)};
})();
