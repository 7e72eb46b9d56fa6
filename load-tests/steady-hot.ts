// Steady load on hot adapters: constant arrival rate, Zipf over the adapters trained in setup (by id) and the experts (by task).
// Parameters: scenarios.json, scenario "steady-hot". Run: k6 run load-tests/steady-hot.ts (see load-tests/README.md).
import { k6Options } from "./lib/scenarios.ts";
import { iterate, setupRun, summarize, teardownRun } from "./lib/workload.ts";
import type { SetupData, SummaryData } from "./lib/workload.ts";

const NAME = "steady-hot";

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
