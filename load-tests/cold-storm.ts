// Cold storm: many new few-shot tasks at once, each from several clients together; counts answers with tier "trained" against distinct tasks (and, with METRICS_URLS, the servers' own training count: threshold count <= tasks).
// Parameters: scenarios.json, scenario "cold-storm". Run: k6 run load-tests/cold-storm.ts (see load-tests/README.md).
import { k6Options } from "./lib/scenarios.ts";
import { iterate, setupRun, summarize, teardownRun } from "./lib/workload.ts";
import type { SetupData, SummaryData } from "./lib/workload.ts";

const NAME = "cold-storm";

export const options = k6Options(NAME);

export function setup(): SetupData {
  return setupRun(NAME);
}

export default function (data: SetupData): void {
  iterate(NAME, data);
}

export function teardown(data: SetupData): void {
  teardownRun(data);
}

export function handleSummary(data: SummaryData) {
  return summarize(NAME, data);
}
