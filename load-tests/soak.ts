// Soak: hours of a realistic mix (hot, new tasks, documents) at a moderate rate.
// Parameters: scenarios.json, scenario "soak". Run: k6 run load-tests/soak.ts (see load-tests/README.md).
import { k6Options } from "./lib/scenarios.ts";
import { iterate, setupRun, summarize, teardownRun } from "./lib/workload.ts";
import type { SetupData, SummaryData } from "./lib/workload.ts";

const NAME = "soak";

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
