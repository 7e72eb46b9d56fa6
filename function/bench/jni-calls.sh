#!/usr/bin/env bash
# Counts the calls into PyTorch (every ai.djl.pytorch.jni.JniUtils method) the engine thread makes per pass:
# starts the service jar under async-profiler's method counting, sends 20 requests of 16 tokens at batch 1
# ("adapter": "none", so 20 prefills + 300 decode steps), stops it, and prints the calls per pass by method.
# docs/bench.md, "The faster step". async-profiler comes from Maven Central (tools.profiler:async-profiler).
#
#   function/bench/jni-calls.sh [quarkus-run.jar] [port] [out.collapsed]
set -euo pipefail
cd "$(dirname "$0")/../.."
JAR=${1:-function/target/quarkus-app/quarkus-run.jar}
PORT=${2:-18080}
OUT=${3:-target/jni-calls.collapsed}
JAVA_HOME=$(bin/java-home)
AP_JAR=$(ls ~/.m2/repository/tools/profiler/async-profiler/*/async-profiler-*.jar 2>/dev/null | tail -1)
[ -n "$AP_JAR" ] || ./mvnw -q dependency:get -Dartifact=tools.profiler:async-profiler:4.2
AP_JAR=$(ls ~/.m2/repository/tools/profiler/async-profiler/*/async-profiler-*.jar | tail -1)
AP_DIR=target/async-profiler
mkdir -p "$AP_DIR" "$(dirname "$OUT")"
[ -f "$AP_DIR/linux-x64/libasyncProfiler.so" ] || (cd "$AP_DIR" && unzip -q -o "$AP_JAR")
OMP_WAIT_POLICY=PASSIVE QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT=$PORT ADAPTSERVE_CACHE_LOCAL_DIR=$(mktemp -d) \
  "$JAVA_HOME/bin/java" \
  -agentpath:"$AP_DIR/linux-x64/libasyncProfiler.so=start,event=ai.djl.pytorch.jni.JniUtils.*,interval=1,threads,collapsed,file=$OUT" \
  -Dai.djl.offline=true -Dai.djl.pytorch.graph_optimizer=false --add-modules jdk.incubator.vector \
  --enable-native-access=ALL-UNNAMED -jar "$JAR" >target/jni-calls.log 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/q/health/ready" && break; sleep 1; done
for _ in $(seq 1 20); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/v1/generate" -H 'content-type: application/json' \
    -d '{"prompt":"The red key is kept by","adapter":"none","max_tokens":16,"stop":"@@@"}'
done
kill -TERM $PID; wait $PID || true
trap - EXIT
python3 - "$OUT" <<'PY'
import collections, sys
calls, total = collections.Counter(), 0
for line in open(sys.argv[1]):
    stack, n = line.rsplit(' ', 1)
    frames = stack.split(';')
    if 'adaptserve-engine' not in frames[0]:
        continue
    jni = [f for f in frames if 'JniUtils.' in f]
    if jni:
        # The innermost JniUtils frame: a call made inside another (layoutMapper in createNdFromByteBuffer) counts
        # as itself.
        name = jni[-1].split('JniUtils.')[1].split('_')[0].split('(')[0]
        calls[name] += int(n)
        total += int(n)
passes = 320
print(f"calls per pass: {total / passes:.1f} ({total} over {passes} passes)")
for name, n in calls.most_common():
    print(f"  {name:24s} {n / passes:8.2f}")
PY
