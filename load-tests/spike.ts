// Spike: a sudden ten-fold rise of mostly hot traffic with some new tasks, then back to the base rate.
// Parameters: scenarios.json, scenario "spike". Run: k6 run load-tests/spike.ts (see load-tests/README.md).
import { k6Options } from "./lib/scenarios.ts";
import { iterate, setupRun, summarize, teardownRun } from "./lib/workload.ts";
import type { SetupData, SummaryData } from "./lib/workload.ts";

const NAME = "spike";

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
