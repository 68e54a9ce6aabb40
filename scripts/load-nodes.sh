#!/usr/bin/env bash
# Decisions on one `tillit serve` node while another process writes: two
# nodes on one SQLite ledger (the demo of TILLIT_LOAD_SUBJECTS subjects,
# as scripts/load-serve.sh builds it), wrk sending single decisions to
# node a, first alone, then while a writer sends TILLIT_LOAD_WRITES
# consent changes per second (default 100) to node b. Every decision on a
# must reflect b's writes, so a reads the change feed; this measures what
# that costs.
#
#   scripts/load-nodes.sh
#   TILLIT_BIN=/tmp/old/tillit TILLIT_LOAD_SECONDS=5 scripts/load-nodes.sh
#
# Prints decisions/s and p99 for both phases, and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."

subjects=${TILLIT_LOAD_SUBJECTS:-100000}
seconds=${TILLIT_LOAD_SECONDS:-10}
connections=${TILLIT_LOAD_CONNECTIONS:-32}
writes=${TILLIT_LOAD_WRITES:-100}
port=${TILLIT_LOAD_PORT:-18490}
. scripts/load-common.sh
db=target/bench-data/nodes-work.db
copy_sqlite_demo "$subjects" "$db"
url="sqlite://$db"
marketing=$("$tillit" --db "$url" token create --role marketing --label load --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

work=$(mktemp -d)
trap 'kill "$a" "$b" 2>/dev/null || true; rm -rf "$work"' EXIT
"$tillit" --db "$url" serve --listen "127.0.0.1:$port" > "$work/a.log" 2>&1 &
a=$!
"$tillit" --db "$url" serve --listen "127.0.0.1:$((port + 1))" > "$work/b.log" 2>&1 &
b=$!
for _ in $(seq 1 50); do grep -q listening "$work/a.log" 2>/dev/null && grep -q listening "$work/b.log" 2>/dev/null && break; sleep 0.1; done

cat > "$work/decide.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $marketing"
math.randomseed(2026)
request = function()
  local body = string.format('{"subject":"c-%06d","purpose":"marketing","category":"traffic"}', math.random(1, $subjects))
  return wrk.format(nil, "/v1/decisions", nil, body)
end
LUA

decide() {
    wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/decide.lua" "http://127.0.0.1:$port" | tee "$work/$1.out" | grep -E "Requests/sec|99%"
}
# Warm node a's cache first, so that both phases decide from memory.
decide warm-up >/dev/null
echo "== decisions on node a, nothing written: $connections connections, ${seconds}s"
decide alone
echo "== decisions on node a while node b takes $writes consent changes/s"
python3 - "$((port + 1))" "$marketing" "$subjects" "$writes" "$((seconds + 1))" > "$work/writer.out" <<'PY' &
import json, random, sys, time, urllib.request
port, token, n, rate, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
rng, sent, start = random.Random(7), 0, time.monotonic()
while time.monotonic() - start < seconds:
    body = json.dumps({"purpose": "marketing", "given": rng.random() < 0.5, "channel": "web"}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/subjects/c-{rng.randrange(n) + 1:06d}/consents",
        data=body, method="POST", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        urllib.request.urlopen(req).read()
    except urllib.error.HTTPError:
        pass  # an erased subject refuses writes
    sent += 1
    time.sleep(max(0.0, start + sent / rate - time.monotonic()))
print(f"writes sent: {sent} in {time.monotonic() - start:.1f} s")
PY
writer=$!
decide writing
wait "$writer"
cat "$work/writer.out"
python3 - "$work/alone.out" "$work/writing.out" <<'PY'
import re, sys
rate = lambda f: float(re.search(r"Requests/sec:\s+([\d.]+)", open(f).read()).group(1))
alone, writing = rate(sys.argv[1]), rate(sys.argv[2])
print(f"decisions/s alone {alone:,.0f}, while another node writes {writing:,.0f}: {writing / alone:.0%}")
PY
