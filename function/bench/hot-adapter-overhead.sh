#!/usr/bin/env bash
# Latency a hot adapter adds to POST /v1/generate: N requests with an adapter id that is already in memory (and
# parsed) against N with "adapter": "none", interleaved, same prompt, greedy, max_tokens 8, and a stop string that
# never matches (so both generate the same number of tokens). Runs against a started service (./bin/serve):
#
#   function/bench/hot-adapter-overhead.sh [base-url] [requests]
#
# Prints the median and p90 of the client-measured time and of timings_ms.{adapter,generate,total} per mode.
set -euo pipefail
URL=${1:-http://localhost:8080}
N=${2:-20}
PROMPT="The red key is kept by"
DOC="Ada keeps the red key. Bo keeps the blue cup. Cy keeps the green hat. Bench run $(date +%s%N)."

post() { curl -s -o - -w '\n%{time_total}\n' "$URL/v1/generate" -H 'content-type: application/json' -d "$1"; }
body() { echo "{\"prompt\":\"$PROMPT\",\"adapter\":\"$1\",\"max_tokens\":8,\"stop\":\"@@@\"}"; }

# A document adapter: it is trained on plain text, so a request by id uses the prompt exactly as the base model does.
ID=$(post "{\"prompt\":\"$PROMPT\",\"document\":\"$DOC\",\"max_tokens\":1}" | head -1 |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["adapter"]["id"])')
echo "adapter $ID (document LoRA, just trained)"

for _ in 1 2 3; do post "$(body none)" >/dev/null; post "$(body "$ID")" >/dev/null; done   # warm-up
for _ in $(seq 1 "$N"); do
  echo "none"; post "$(body none)"
  echo "id"; post "$(body "$ID")"
done | python3 -c '
import json, statistics, sys
lines = sys.stdin.read().split("\n")
rows = {"none": [], "id": []}
for i in range(0, len(lines) - 2, 3):
    rows[lines[i]].append((json.loads(lines[i + 1]), float(lines[i + 2]) * 1000))
def stat(xs):
    xs = sorted(xs)
    return "median %6.1f  p90 %6.1f" % (statistics.median(xs), xs[int(0.9 * (len(xs) - 1))])
for mode, rs in rows.items():
    print("adapter %-4s: %d requests, tier %s, completion tokens %s" % (
        mode, len(rs), rs[0][0]["adapter"]["tier"], sorted({r["usage"]["completion_tokens"] for r, _ in rs})))
    print("  client ms     ", stat([t for _, t in rs]))
    for k in ("adapter", "generate", "total"):
        print("  %-14s" % (k + " ms"), stat([r["timings_ms"][k] for r, _ in rs]))
'
