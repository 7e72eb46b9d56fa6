#!/usr/bin/env python3
"""Requests/s, p50 and p99 of POST /v1/generate at several concurrencies, base model against mixed adapters.

Runs against a started service (./bin/serve). Standard library only:

    function/bench/engine-concurrency.py [base-url] [requests-per-level] [levels, e.g. 1,8,32]

Modes: "base" (adapter none), "mixed" (each client its own adapter: experts via "task" and document LoRAs by id,
trained once in the warm-up and then hot in memory). Every request is greedy with max_tokens 16 and a stop string
that never matches; an adapter may still end its answer early (end of sequence), so completion tokens/s and tokens
per answer are printed beside requests/s: compare modes by tokens/s. After the table, the engine's own counters per
row, read from /q/metrics before and after it: decode steps, mean rows per step, mean step time, prefill passes and
prompts per pass, and the share of the engine's time spent prefilling.
"""
import json
import statistics
import sys
import threading
import time
import urllib.request

URL = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8080"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 64
LEVELS = [int(x) for x in (sys.argv[3] if len(sys.argv) > 3 else "1,8,32").split(",")]
FAMILIES = ["reverse", "upper", "sort", "rotate", "mirror", "dedup", "shift", "caesar"]
PROMPT = "yjglkz"


def post(body):
    req = urllib.request.Request(URL + "/v1/generate", data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as r:
        out = json.loads(r.read())
    return out, time.perf_counter() - t0


ENGINE = ("steps_total", "step_seconds_total", "prefill_seconds_total", "prefill_passes_total", "prompts_total",
          "tokens_total")


def engine_counters():
    """The engine's counters from /q/metrics (summed over models); absent ones read 0."""
    out = dict.fromkeys(ENGINE, 0.0)
    with urllib.request.urlopen(URL + "/q/metrics", timeout=30) as r:
        for line in r.read().decode().splitlines():
            for k in ENGINE:
                if line.startswith("adaptserve_engine_" + k + " ") or line.startswith("adaptserve_engine_" + k + "{"):
                    out[k] += float(line.rsplit(" ", 1)[1])
    return out


def lora_ids(n):
    ids = []
    for i in range(n):
        doc = "Bench document %d: item %d belongs to shelf %d." % (i, i * 7, i % 5)
        out, _ = post({"prompt": PROMPT, "document": doc, "max_tokens": 1})
        ids.append(out["adapter"]["id"])
    return ids


def body(mode, client, loras):
    b = {"prompt": PROMPT, "max_tokens": 16, "stop": "@@@", "temperature": 0}
    if mode == "base":
        b["adapter"] = "none"
    elif client % 2 == 0:
        b["task"] = FAMILIES[(client // 2) % len(FAMILIES)]
    else:
        b["adapter"] = loras[(client // 2) % len(loras)]
    return b


def level(mode, clients, loras):
    lat, tokens, lock = [], [], threading.Lock()
    per = max(1, N // clients)

    def run(c):
        for _ in range(per):
            out, t = post(body(mode, c, loras))
            with lock:
                lat.append(t)
                tokens.append(out["usage"]["completion_tokens"])

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    return (len(lat) / wall, sum(tokens) / wall, sum(tokens) / len(tokens),
            statistics.median(lat) * 1000, lat[int(0.99 * (len(lat) - 1))] * 1000)


def main():
    loras = lora_ids(8)
    for mode in ("base", "mixed"):
        for c in range(8):
            post(body(mode, c, loras))  # warm-up: every adapter hot
    print("| mode | clients | requests | req/s | completion tok/s | tokens per answer | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    engine = []
    for clients in LEVELS:
        for mode in ("base", "mixed"):
            before = engine_counters()
            rps, tps, per_answer, p50, p99 = level(mode, clients, loras)
            after = engine_counters()
            engine.append((mode, clients, {k: after[k] - before[k] for k in ENGINE}))
            print("| %s | %d | %d | %.1f | %.0f | %.1f | %.0f | %.0f |"
                  % (mode, clients, max(1, N // clients) * clients, rps, tps, per_answer, p50, p99))
            sys.stdout.flush()
    print()
    print("| mode | clients | decode steps | rows per step | ms per step | prefill passes | prompts per pass"
          " | prefill share of engine time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for mode, clients, d in engine:
        steps, passes = d["steps_total"], d["prefill_passes_total"]
        busy = d["step_seconds_total"] + d["prefill_seconds_total"]
        rows = (d["tokens_total"] - d["prompts_total"]) / steps if steps else 0
        print("| %s | %d | %d | %.1f | %.1f | %d | %s | %.0f %% |"
              % (mode, clients, steps, rows, 1000 * d["step_seconds_total"] / steps if steps else 0, passes,
                 "%.1f" % (d["prompts_total"] / passes) if passes else "-",
                 100 * d["prefill_seconds_total"] / busy if busy else 0))


if __name__ == "__main__":
    main()
