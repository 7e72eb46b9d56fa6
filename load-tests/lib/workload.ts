// What every scenario script shares: setup (train the hot adapters, read the servers' training count), one
// iteration of the scenario's mix (hot, cold, document, or a storm's task), teardown, and handleSummary (a JSON file
// and a short text report).
import exec from "k6/execution";
import {
  coldTasks,
  generate,
  trainingsOnServers,
  trainingsStarted,
} from "./client.ts";
import { BASE_URL, FILE, LATENCY, METRICS_URLS, SEED, spec, stormTasks } from "./scenarios.ts";
import type { Load } from "./scenarios.ts";
import { Zipf, documentFor, expertPrompt, novelRule, novelTask, random } from "./tasks.ts";
import type { Random } from "./tasks.ts";

/** A hot target: an adapter trained in setup (addressed by id) or an expert (addressed by task family). */
export type Target = { kind: "adapter"; id: string; taskSeed: string } | { kind: "expert"; family: string };

export interface SetupData {
  targets: Target[];
  trainingsBefore: number | null;
}

const D = FILE.defaults;

/** The seed of hot adapter i: fixed across runs (SEED aside), so that they stay hot in the caches. */
const hotSeed = (i: number) => `${SEED}:hot-adapter:${i}`;

/**
 * Trains (or finds in the cache) the hot adapters when the mix has hot requests, and records the servers' training
 * count when METRICS_URLS is set. Targets are ranked by a seeded shuffle, so both kinds are among the most requested.
 */
export function setupRun(name: string): SetupData {
  const s = spec(name);
  const targets: Target[] = D.experts.map((family) => ({ kind: "expert", family }));
  if ((s.mix.hot ?? 0) > 0) {
    for (let i = 0; i < D.hot_adapters; i++) {
      const task = novelTask(hotSeed(i), D.task.demos, D.task.row_min, D.task.row_max);
      const a = generate({ prompt: task.prompt, examples: task.examples }, "setup");
      if (a.adapterId === null) throw new Error(`setup: hot adapter ${i} not trained (HTTP ${a.status}) at ${BASE_URL}`);
      targets.push({ kind: "adapter", id: a.adapterId, taskSeed: hotSeed(i) });
    }
  }
  const r = random(`${SEED}:ranking`);
  for (let i = targets.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [targets[i], targets[j]] = [targets[j], targets[i]];
  }
  return { targets, trainingsBefore: METRICS_URLS.length > 0 ? trainingsOnServers(METRICS_URLS) : null };
}

export function teardownRun(data: SetupData): void {
  if (data.trainingsBefore === null) return;
  const after = trainingsOnServers(METRICS_URLS);
  if (after !== null) trainingsStarted.add(after - data.trainingsBefore);
}

let hotZipf: Zipf | null = null;
const docZipf = new Zipf(D.document.pool, D.document.zipf_exponent);

function hot(r: Random, data: SetupData): void {
  if (hotZipf === null) hotZipf = new Zipf(data.targets.length, D.zipf_exponent);
  const target = data.targets[hotZipf.sample(r)];
  if (target.kind === "expert") {
    const p = expertPrompt(r, target.family, D.task.row_min, D.task.row_max);
    generate({ prompt: p.prompt, task: target.family }, "hot", p.expected);
  } else {
    const rule = novelRule(random(target.taskSeed));
    const input = rule.row(r, D.task.row_min, D.task.row_max);
    generate({ prompt: input, adapter: target.id }, "hot", rule.apply(input));
  }
}

function cold(seed: string, countTask: boolean): void {
  const task = novelTask(seed, D.task.demos, D.task.row_min, D.task.row_max);
  if (countTask) coldTasks.add(1);
  generate({ prompt: task.prompt, examples: task.examples }, "cold", task.expected);
}

function document(r: Random): void {
  const d = documentFor(`${SEED}:document:${docZipf.sample(r)}`, D.document.chars);
  generate({ prompt: d.question, document: d.document }, "document");
}

/** One iteration of scenario `name`: a storm's task, or one request drawn from the mix. */
export function iterate(name: string, data: SetupData): void {
  const load: Load = spec(name).load;
  if (load.type === "storm") {
    // Client v of the storm sends task (v - 1) mod tasks of this round; the task's first client counts it.
    const v = exec.vu.idInTest - 1;
    const round = exec.vu.iterationInScenario;
    cold(`${SEED}:storm:${round}:${v % load.tasks}`, v < load.tasks);
    return;
  }
  const i = exec.scenario.iterationInTest;
  const r = random(`${SEED}:${name}:${i}`);
  const mix = spec(name).mix;
  const total = (mix.hot ?? 0) + (mix.cold ?? 0) + (mix.document ?? 0);
  const u = r() * total;
  if (u < (mix.hot ?? 0)) hot(r, data);
  else if (u < (mix.hot ?? 0) + (mix.cold ?? 0)) cold(`${SEED}:cold:${name}:${i}`, true);
  else document(r);
}

// ---------------------------------------------------------------- summary

interface SummaryMetric {
  type: string;
  values: { [stat: string]: number };
  thresholds?: { [expression: string]: { ok: boolean } };
}

export interface SummaryData {
  metrics: { [name: string]: SummaryMetric };
  state?: { testRunDurationMs?: number };
}

function percentiles(m: SummaryMetric | undefined) {
  if (!m) return null;
  const v = m.values;
  return { count: v["count"] ?? null, p50: v["med"] ?? null, p95: v["p(95)"] ?? null, p99: v["p(99)"] ?? null, max: v["max"] ?? null };
}

/** handleSummary: SUMMARY_JSON (default <scenario>-summary.json) and a short report on stdout. */
export function summarize(name: string, data: SummaryData): { [output: string]: string } {
  const s = spec(name);
  const m = data.metrics;
  const tiers: { [tier: string]: ReturnType<typeof percentiles> } = {};
  for (const key of Object.keys(m)) {
    const tier = new RegExp(`^${LATENCY}\\{tier:([a-z]+)\\}$`).exec(key)?.[1];
    if (tier) tiers[tier] = percentiles(m[key]);
  }
  const thresholds: { metric: string; expression: string; ok: boolean }[] = [];
  for (const [metric, x] of Object.entries(m)) {
    for (const [expression, t] of Object.entries(x.thresholds ?? {})) thresholds.push({ metric, expression, ok: t.ok });
  }
  const count = (metric: string) => m[metric]?.values["count"] ?? 0;
  const report = {
    scenario: name,
    description: s.description,
    base_url: BASE_URL,
    seed: SEED,
    finished: new Date().toISOString(),
    duration_ms: data.state?.testRunDurationMs ?? null,
    load: s.load,
    mix: s.mix,
    passed: thresholds.every((t) => t.ok),
    thresholds,
    requests: count("http_reqs"),
    error_rate: m["http_req_failed"]?.values["rate"] ?? null,
    rejected_429: count("adaptserve_rejected"),
    latency_ms: { all: percentiles(m[LATENCY]), ...tiers },
    trainings: {
      distinct_new_tasks: count("adaptserve_cold_tasks"),
      expected_trainings: s.load.type === "storm" ? stormTasks(s.load) : null,
      trained_answers: count("adaptserve_trained_answers"),
      started_on_servers: m["adaptserve_trainings_started"] ? count("adaptserve_trainings_started") : null,
    },
    correct_rate: m["adaptserve_correct"]?.values["rate"] ?? null,
    k6: data.metrics,
  };
  const fmt = (x: number | null | undefined) => (x === null || x === undefined ? "-" : Math.round(x).toString());
  const lines = [
    `${name}: ${report.passed ? "all thresholds passed" : "THRESHOLDS FAILED"} (${BASE_URL}, seed ${SEED})`,
    `  requests ${report.requests}, error rate ${((report.error_rate ?? 0) * 100).toFixed(2)}%, 429s ${report.rejected_429}`,
    `  latency ms     count      p50      p95      p99      max`,
    ...Object.entries(report.latency_ms).map(
      ([tier, p]) =>
        `  ${tier.padEnd(10)} ${fmt(p?.count).padStart(9)} ${fmt(p?.p50).padStart(8)} ${fmt(p?.p95).padStart(8)} ${fmt(p?.p99).padStart(8)} ${fmt(p?.max).padStart(8)}`,
    ),
    `  new tasks ${report.trainings.distinct_new_tasks}, answers with tier "trained" ${report.trainings.trained_answers}` +
      (report.trainings.started_on_servers === null ? "" : `, trainings started on the servers ${report.trainings.started_on_servers}`),
    ...thresholds.filter((t) => !t.ok).map((t) => `  failed: ${t.metric} ${t.expression}`),
    "",
  ];
  const file = __ENV.SUMMARY_JSON || `${name}-summary.json`;
  return { stdout: lines.join("\n"), [file]: JSON.stringify(report, null, 2) };
}
