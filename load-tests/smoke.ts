// Smoke: one client walks through every kind of request once and checks the answers' shape: readiness, the model
// list, an expert answer, a few-shot task trained at test time, the same task again (now cached), its adapter by id,
// and a document learnt at test time. Parameters: scenarios.json, scenario "smoke".
import { check } from "k6";
import http from "k6/http";
import { generate, headers } from "./lib/client.ts";
import { BASE_URL, FILE, SEED, k6Options } from "./lib/scenarios.ts";
import { summarize } from "./lib/workload.ts";
import type { SummaryData } from "./lib/workload.ts";
import { documentFor, expertPrompt, novelTask, random } from "./lib/tasks.ts";

const NAME = "smoke";
const D = FILE.defaults;

export const options = k6Options(NAME);

export default function (): void {
  const ready = http.get(`${BASE_URL}/q/health/ready`, { tags: { kind: "smoke", name: "GET /q/health/ready" } });
  check(ready, { "ready: 200": (r) => r.status === 200 }, { kind: "smoke" });

  const models = http.get(`${BASE_URL}/v1/models`, { headers: headers(), tags: { kind: "smoke", name: "GET /v1/models" } });
  check(models, { "models: 200 with a list": (r) => r.status === 200 && String(r.body).includes('"data"') }, { kind: "smoke" });

  const r = random(`${SEED}:smoke`);
  const family = D.experts[0] ?? "reverse";
  const p = expertPrompt(r, family, D.task.row_min, D.task.row_max);
  const expert = generate({ prompt: p.prompt, task: family }, "smoke", p.expected);
  check(expert, { "expert: svf adapter from memory": (a) => a.adapterId === `expert:${family}` && a.tier === "memory" }, { kind: "smoke" });

  // A task unique to this run (the time is in the seed), so that it is trained here, not found in a cache.
  const task = novelTask(`${SEED}:smoke:${Date.now()}`, D.task.demos, D.task.row_min, D.task.row_max);
  const first = generate({ prompt: task.prompt, examples: task.examples }, "smoke", task.expected);
  check(first, { "few-shot: trained, with an id": (a) => a.tier === "trained" && a.trainMs > 0 && a.adapterId !== null }, { kind: "smoke" });
  const again = generate({ prompt: task.prompt, examples: task.examples }, "smoke", task.expected);
  check(again, { "few-shot again: cached, same id": (a) => a.tier !== "trained" && a.tier !== "error" && a.adapterId === first.adapterId }, { kind: "smoke" });
  if (first.adapterId !== null) {
    const byId = generate({ prompt: task.prompt, adapter: first.adapterId }, "smoke", task.expected);
    check(byId, { "adapter by id: same adapter": (a) => a.adapterId === first.adapterId }, { kind: "smoke" });
  }

  const d = documentFor(`${SEED}:smoke-document:${Date.now()}`, D.document.chars);
  const doc = generate({ prompt: d.question, document: d.document }, "smoke");
  check(doc, { "document: trained lora": (a) => a.tier === "trained" && a.adapterId !== null }, { kind: "smoke" });
}

export function handleSummary(data: SummaryData) {
  return summarize(NAME, data);
}
