// POST /v1/generate (design.md's contract) with the metrics the thresholds and the summary read: latency per adapter
// tier, answers per tier, trained answers, rejections, answer correctness where the expected answer is known.
import { check } from "k6";
import http from "k6/http";
import type { RefinedResponse } from "k6/http";
import { Counter, Rate, Trend } from "k6/metrics";
import { BASE_URL, FILE, LATENCY } from "./scenarios.ts";
import type { Example } from "./tasks.ts";

export const latency = new Trend(LATENCY, true);
/** Answers (200) by adapter tier and request kind. */
export const answers = new Counter("adaptserve_answers");
/** Answers whose adapter.tier is "trained": the request trained it, or joined a training on the same instance. */
export const trainedAnswers = new Counter("adaptserve_trained_answers");
/** Distinct new few-shot tasks sent (each counted once, by its first client). */
export const coldTasks = new Counter("adaptserve_cold_tasks");
/** Trainings the servers started during the run (adapter_cache_trainings_started_total, when METRICS_URLS is set). */
export const trainingsStarted = new Counter("adaptserve_trainings_started");
/** 429 answers (the instance was saturated). */
export const rejected = new Counter("adaptserve_rejected");
/** Whether an answer matched the expected one (only for requests whose answer is known). */
export const correct = new Rate("adaptserve_correct");

export interface GenerateBody {
  prompt: string;
  examples?: Example[];
  document?: string;
  task?: string;
  adapter?: string;
  max_tokens?: number;
  seed?: number;
}

export interface Answer {
  status: number;
  text: string | null;
  tier: string;
  adapterId: string | null;
  trainMs: number;
}

export function headers(): { [name: string]: string } {
  const h: { [name: string]: string } = { "content-type": "application/json" };
  if (__ENV.API_KEY) h.authorization = `Bearer ${__ENV.API_KEY}`;
  return h;
}

function field(o: unknown, key: string): unknown {
  return o !== null && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>)[key] : undefined;
}

/** Reads the response: status, text, adapter tier ("error" for anything but a well-formed 200). */
export function parseAnswer(res: RefinedResponse<"text">): Answer {
  const answer: Answer = { status: res.status, text: null, tier: "error", adapterId: null, trainMs: 0 };
  if (res.status !== 200 || typeof res.body !== "string") return answer;
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    return answer;
  }
  const adapter = field(json, "adapter");
  const text = field(json, "text");
  const tier = field(adapter, "tier");
  if (typeof text !== "string" || typeof tier !== "string") return answer;
  const id = field(adapter, "id");
  const trainMs = field(adapter, "train_ms");
  return {
    status: 200,
    text,
    tier,
    adapterId: typeof id === "string" ? id : null,
    trainMs: typeof trainMs === "number" ? trainMs : 0,
  };
}

/**
 * Sends one generation request; records its latency under the adapter tier that answered, counts it, checks it.
 * `kind` tags the request (hot, cold, document, smoke, setup); `expected`, when known, feeds adaptserve_correct.
 */
export function generate(body: GenerateBody, kind: string, expected: string | null = null): Answer {
  const payload: GenerateBody = { max_tokens: FILE.defaults.max_tokens, ...body };
  const res = http.post(`${BASE_URL}/v1/generate`, JSON.stringify(payload), {
    headers: headers(),
    timeout: FILE.defaults.request_timeout,
    tags: { kind, name: "POST /v1/generate" },
    responseType: "text",
  });
  const answer = parseAnswer(res);
  if (res.status === 429) rejected.add(1, { kind });
  if (kind !== "setup") {
    latency.add(res.timings.duration, { tier: answer.tier, kind });
    if (answer.tier !== "error") answers.add(1, { tier: answer.tier, kind });
    if (answer.tier === "trained") trainedAnswers.add(1, { kind });
    if (expected !== null && answer.text !== null) correct.add(answer.text.trim() === expected, { kind });
  }
  check(answer, {
    "status 200": (a) => a.status === 200,
    "answer has text and adapter tier": (a) => a.tier !== "error",
  }, { kind });
  return answer;
}

/** Sum of one Prometheus series over all its label sets, in a /q/metrics text. */
export function prometheusSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

/** adapter_cache_trainings_started_total summed over the instances of METRICS_URLS (null if any cannot be read). */
export function trainingsOnServers(urls: string[]): number | null {
  let total = 0;
  for (const url of urls) {
    const res = http.get(url, { headers: headers(), tags: { kind: "setup", name: "GET /q/metrics" }, responseType: "text" });
    if (res.status !== 200 || typeof res.body !== "string") return null;
    total += prometheusSum(res.body, "adapter_cache_trainings_started_total");
  }
  return total;
}
