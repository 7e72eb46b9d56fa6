// scenarios.json: the one file of scenario parameters (schema in load-tests/README.md), read with k6's open() in the
// init context, and its translation into k6 options (executors, thresholds).
import type { Options, Scenario, Threshold } from "k6/options";

export type Duration = string; // "30s", "5m", "4h": k6's duration syntax, also what the README tells other runners

export type Load =
  | { type: "iterations"; clients: number; iterations: number; max_duration: Duration }
  | { type: "constant-rate"; rate: number; time_unit: Duration; duration: Duration; max_clients: number }
  | {
      type: "ramping-rate";
      start_rate: number;
      time_unit: Duration;
      stages: { target: number; duration: Duration }[];
      max_clients: number;
    }
  | { type: "storm"; tasks: number; clients_per_task: number; rounds: number; max_duration: Duration };

export interface Mix {
  hot?: number;
  cold?: number;
  document?: number;
}

export interface Percentiles {
  p95: number;
  p99: number;
}

export interface Thresholds {
  error_rate_max: number;
  latency_ms: Record<string, Percentiles>;
  checks_min_rate?: number;
}

export interface ScenarioSpec {
  script: string;
  description: string;
  load: Load;
  mix: Mix;
  thresholds?: Partial<Thresholds>;
}

export interface Defaults {
  base_url: string;
  seed: number;
  request_timeout: Duration;
  max_tokens: number;
  experts: string[];
  hot_adapters: number;
  zipf_exponent: number;
  task: { demos: number; row_min: number; row_max: number };
  document: { pool: number; chars: number; zipf_exponent: number };
}

export interface ScenarioFile {
  version: number;
  defaults: Defaults;
  thresholds: Thresholds;
  scenarios: Record<string, ScenarioSpec>;
}

/** The scenario file, read once per VU in the init context, relative to this module. */
export const FILE: ScenarioFile = JSON.parse(open(import.meta.resolve("../scenarios.json")));

export const BASE_URL = (__ENV.BASE_URL || FILE.defaults.base_url).replace(/\/+$/, "");
export const SEED = __ENV.SEED || String(FILE.defaults.seed);

export function spec(name: string): ScenarioSpec {
  const s = FILE.scenarios[name];
  if (!s) throw new Error(`scenarios.json has no scenario "${name}"`);
  return s;
}

/** The scenario's thresholds: its own keys over the defaults (latency per tier merged tier by tier). */
export function thresholdsOf(name: string): Thresholds {
  const own = spec(name).thresholds ?? {};
  return {
    ...FILE.thresholds,
    ...own,
    latency_ms: { ...FILE.thresholds.latency_ms, ...(own.latency_ms ?? {}) },
  };
}

/** Per-instance metrics URLs (METRICS_URLS, comma-separated) for counting trainings on the servers. */
export const METRICS_URLS = (__ENV.METRICS_URLS || "")
  .split(",")
  .map((u) => u.trim())
  .filter((u) => u !== "");

/** Distinct new tasks a storm sends. */
export function stormTasks(load: Load): number {
  return load.type === "storm" ? load.tasks * load.rounds : 0;
}

function executor(load: Load): Scenario {
  switch (load.type) {
    case "iterations":
      return { executor: "per-vu-iterations", vus: load.clients, iterations: load.iterations, maxDuration: load.max_duration };
    case "storm":
      // Every client starts at once; iteration i of client v sends task (round i, v mod tasks).
      return {
        executor: "per-vu-iterations",
        vus: load.tasks * load.clients_per_task,
        iterations: load.rounds,
        maxDuration: load.max_duration,
      };
    case "constant-rate":
      return {
        executor: "constant-arrival-rate",
        rate: load.rate,
        timeUnit: load.time_unit,
        duration: load.duration,
        preAllocatedVUs: Math.min(load.max_clients, Math.max(1, Math.ceil(load.rate * 2))),
        maxVUs: load.max_clients,
      };
    case "ramping-rate":
      return {
        executor: "ramping-arrival-rate",
        startRate: load.start_rate,
        timeUnit: load.time_unit,
        stages: load.stages,
        preAllocatedVUs: Math.min(load.max_clients, Math.max(1, load.start_rate * 2)),
        maxVUs: load.max_clients,
      };
  }
}

/** The latency Trend every answer is recorded in, tagged with the adapter tier that served it. */
export const LATENCY = "adaptserve_latency_ms";

/** k6 options of a scenario: its executor, thresholds per adapter tier and on errors, the summary statistics. */
export function k6Options(name: string): Options {
  const s = spec(name);
  const t = thresholdsOf(name);
  const thresholds: { [metric: string]: Threshold[] } = {
    http_req_failed: [`rate<=${t.error_rate_max}`],
  };
  for (const [tier, p] of Object.entries(t.latency_ms)) {
    thresholds[tier === "all" ? LATENCY : `${LATENCY}{tier:${tier}}`] = [`p(95)<=${p.p95}`, `p(99)<=${p.p99}`];
  }
  if (t.checks_min_rate !== undefined) thresholds.checks = [`rate>=${t.checks_min_rate}`];
  if (s.load.type === "storm" && METRICS_URLS.length > 0) {
    // Train once, fleet-wide: the servers' own count of trainings may not exceed the distinct tasks.
    thresholds.adaptserve_trainings_started = [`count<=${stormTasks(s.load)}`];
  }
  return {
    scenarios: { [name]: executor(s.load) },
    thresholds,
    summaryTrendStats: ["count", "avg", "min", "med", "p(90)", "p(95)", "p(99)", "max"],
    setupTimeout: "15m",
    teardownTimeout: "2m",
    userAgent: "adaptserve-load-tests/1",
  };
}
