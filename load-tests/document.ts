// Document training: requests that carry a document to learn, Zipf over a pool (the first request of a document trains, later ones reuse it).
// Parameters: scenarios.json, scenario "document". Run: k6 run load-tests/document.ts (see load-tests/README.md).
import { k6Options } from "./lib/scenarios.ts";
import { iterate, setupRun, summarize, teardownRun } from "./lib/workload.ts";
import type { SetupData, SummaryData } from "./lib/workload.ts";

const NAME = "document";

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
