// load-tests/: scenarios.json follows the schema of load-tests/README.md, every script belongs to a scenario, and
// the request generators (lib/tasks.ts, transpiled here with the TypeScript compiler) are deterministic and right.
// The type check of every script (tsc --noEmit -p load-tests) runs from deploy-checks/run.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { REPO } from "../lib/terraform.mjs";

const DIR = join(REPO, "load-tests");
const file = JSON.parse(readFileSync(join(DIR, "scenarios.json"), "utf8"));
const DURATION = /^[0-9]+(ms|s|m|h)$/;

function problems() {
  const out = [];
  const need = (cond, msg) => cond || out.push(msg);
  const num = (v, where, min = 0) => need(typeof v === "number" && Number.isFinite(v) && v >= min, `${where}: number >= ${min}, got ${JSON.stringify(v)}`);
  const dur = (v, where) => need(typeof v === "string" && DURATION.test(v), `${where}: duration like 30s, 5m, 4h, got ${JSON.stringify(v)}`);
  need(file.version === 1, "version must be 1");
  const d = file.defaults ?? {};
  need(typeof d.base_url === "string" && /^https?:\/\//.test(d.base_url), "defaults.base_url: http(s) URL");
  num(d.seed, "defaults.seed");
  dur(d.request_timeout, "defaults.request_timeout");
  num(d.max_tokens, "defaults.max_tokens", 1);
  need(Array.isArray(d.experts) && d.experts.length > 0, "defaults.experts: non-empty list");
  num(d.hot_adapters, "defaults.hot_adapters");
  num(d.zipf_exponent, "defaults.zipf_exponent");
  num(d.task?.demos, "defaults.task.demos", 2);
  num(d.task?.row_min, "defaults.task.row_min", 3);
  need(d.task?.row_max >= d.task?.row_min, "defaults.task.row_max >= row_min");
  num(d.document?.pool, "defaults.document.pool", 1);
  num(d.document?.chars, "defaults.document.chars", 1);
  num(d.document?.zipf_exponent, "defaults.document.zipf_exponent");
  const thresholds = (t, where, partial) => {
    if (!partial || "error_rate_max" in t) num(t.error_rate_max, `${where}.error_rate_max`);
    if ("checks_min_rate" in t) num(t.checks_min_rate, `${where}.checks_min_rate`);
    for (const [tier, p] of Object.entries(t.latency_ms ?? {})) {
      need(["all", "memory", "redis", "s3", "local", "trained", "none"].includes(tier), `${where}.latency_ms: unknown tier ${tier}`);
      num(p.p95, `${where}.latency_ms.${tier}.p95`, 1);
      num(p.p99, `${where}.latency_ms.${tier}.p99`, 1);
      need(p.p99 >= p.p95, `${where}.latency_ms.${tier}: p99 >= p95`);
    }
    for (const k of Object.keys(t)) need(["error_rate_max", "checks_min_rate", "latency_ms"].includes(k), `${where}: unknown key ${k}`);
  };
  thresholds(file.thresholds ?? {}, "thresholds", false);
  for (const [name, s] of Object.entries(file.scenarios ?? {})) {
    const w = `scenarios.${name}`;
    need(typeof s.script === "string" && s.script.endsWith(".ts"), `${w}.script: a .ts file`);
    need(typeof s.description === "string" && s.description.length > 0, `${w}.description`);
    const l = s.load ?? {};
    if (l.type === "iterations") { num(l.clients, `${w}.load.clients`, 1); num(l.iterations, `${w}.load.iterations`, 1); dur(l.max_duration, `${w}.load.max_duration`); }
    else if (l.type === "constant-rate") { num(l.rate, `${w}.load.rate`, 0); dur(l.time_unit, `${w}.load.time_unit`); dur(l.duration, `${w}.load.duration`); num(l.max_clients, `${w}.load.max_clients`, 1); }
    else if (l.type === "ramping-rate") {
      num(l.start_rate, `${w}.load.start_rate`); dur(l.time_unit, `${w}.load.time_unit`); num(l.max_clients, `${w}.load.max_clients`, 1);
      need(Array.isArray(l.stages) && l.stages.length > 0, `${w}.load.stages`);
      for (const [i, st] of (l.stages ?? []).entries()) { num(st.target, `${w}.load.stages[${i}].target`); dur(st.duration, `${w}.load.stages[${i}].duration`); }
    } else if (l.type === "storm") { num(l.tasks, `${w}.load.tasks`, 1); num(l.clients_per_task, `${w}.load.clients_per_task`, 1); num(l.rounds, `${w}.load.rounds`, 1); dur(l.max_duration, `${w}.load.max_duration`); }
    else need(false, `${w}.load.type: iterations, constant-rate, ramping-rate or storm`);
    const mix = s.mix ?? {};
    for (const [k, v] of Object.entries(mix)) { need(["hot", "cold", "document"].includes(k), `${w}.mix: unknown kind ${k}`); num(v, `${w}.mix.${k}`); }
    if (l.type !== "storm" && s.script !== "smoke.ts") need(Object.values(mix).some((v) => v > 0), `${w}.mix: some weight > 0`);
    thresholds(s.thresholds ?? {}, `${w}.thresholds`, true);
  }
  return out;
}

test("scenarios.json follows the schema of load-tests/README.md", () => {
  assert.deepEqual(problems(), []);
  for (const name of ["smoke", "steady-hot", "cold-storm", "document", "spike", "soak"]) assert.ok(file.scenarios[name], `scenario ${name} missing`);
});

test("every script is a scenario's, and runs that scenario", () => {
  const scripts = readdirSync(DIR).filter((f) => f.endsWith(".ts"));
  const byScript = Object.fromEntries(Object.entries(file.scenarios).map(([n, s]) => [s.script, n]));
  assert.deepEqual(scripts.sort(), Object.keys(byScript).sort());
  for (const script of scripts) {
    const source = readFileSync(join(DIR, script), "utf8");
    assert.match(source, new RegExp(`const NAME = "${byScript[script]}";`), `${script} must run scenario ${byScript[script]}`);
    assert.match(source, /export function handleSummary/, `${script}: handleSummary`);
  }
});

test("the README documents every key of scenarios.json", () => {
  const readme = readFileSync(join(DIR, "README.md"), "utf8");
  const keys = new Set();
  const walk = (o) => {
    if (Array.isArray(o)) return o.forEach(walk);
    if (o && typeof o === "object") for (const [k, v] of Object.entries(o)) { keys.add(k); walk(v); }
  };
  walk({ ...file, scenarios: Object.values(file.scenarios), thresholds: { ...file.thresholds, latency_ms: {} } });
  for (const k of keys) assert.ok(readme.includes(`\`${k}\``), `load-tests/README.md does not mention \`${k}\``);
});

async function tasksModule() {
  const source = readFileSync(join(DIR, "lib", "tasks.ts"), "utf8");
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2020 } }).outputText;
  const path = join(mkdtempSync(join(tmpdir(), "load-tests-")), "tasks.mjs");
  writeFileSync(path, js);
  return import(path);
}

test("request generators: deterministic, answers right, novel tasks distinct", async () => {
  const t = await tasksModule();
  const a = t.novelTask("s:1", 3, 6, 10);
  const b = t.novelTask("s:1", 3, 6, 10);
  assert.deepEqual(a.examples, b.examples);
  assert.equal(a.prompt, b.prompt);
  for (const e of a.examples) {
    assert.match(e.input, /^[0-9]{6,10}$/);
    assert.equal(a.rule.apply(e.input), e.output);
  }
  const distinct = new Set(Array.from({ length: 200 }, (_, i) => JSON.stringify(t.novelTask(`s:${i}`, 3, 6, 10).examples)));
  assert.equal(distinct.size, 200);
  // Rotation answers (README: "rotate 3: yjglkz -> " answers "lkzyjg"), checked on every rotate prompt drawn.
  for (let i = 0; i < 500; i++) {
    const p = t.expertPrompt(t.random(`r${i}`), "rotate", 6, 10);
    const [, k, s] = /^rotate ([0-9]): ([a-z]+) -> $/.exec(p.prompt);
    assert.equal(p.expected, s.slice(Number(k) % s.length) + s.slice(0, Number(k) % s.length));
  }
  const r = t.random("x");
  for (const family of file.defaults.experts) {
    const p = t.expertPrompt(r, family, 6, 10);
    assert.ok(p.prompt.endsWith(" -> ") && p.expected !== null, family);
  }
  assert.equal(t.expertPrompt(r, "gravity", 6, 10).expected.replace(/0/g, "").length > 0, true);
  const z = new t.Zipf(10, 1.1);
  const counts = Array(10).fill(0);
  const rz = t.random("zipf");
  for (let i = 0; i < 20000; i++) counts[z.sample(rz)]++;
  assert.ok(counts[0] > counts[1] && counts[1] > counts[4] && counts[4] > counts[9], counts.join(","));
  const d = t.documentFor("doc", 1200);
  assert.ok(d.document.length >= 1200 && d.document.includes(d.question.replace(/ leaves dock$/, "")));
});
