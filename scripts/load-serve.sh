#!/usr/bin/env bash
# Load on `tillit serve` over loopback with wrk (Debian's `wrk` package),
# server and load generator sharing this machine:
#
#   decisions   POST /v1/decisions, one decision each, random subjects
#   batch       POST /v1/decisions/batch, 10,000 decisions each
#   consents    POST /v1/subjects/{id}/consents, durable writes: each with
#               its audit entry, committed and synced before it is answered
#               (callers waiting together share a commit); afterwards every
#               acknowledged write is counted in the ledger
#   collect     POST /collect from 1,000 consenting visitors, random
#               client addresses (X-Forwarded-For from a trusted proxy),
#               TILLIT_LOAD_VIEWS page views per call (default 10; 1 for
#               one view per call): page views ingested into SQLite per
#               second, counted in the ledger once the writer caught up;
#               calls the full queue turned away (503) are counted apart
#
# and the server's peak RSS (VmHWM) after all four.
#
#   scripts/load-serve.sh                         # 100,000-subject demo ledger
#   TILLIT_LOAD_SUBJECTS=10000 TILLIT_LOAD_SECONDS=5 scripts/load-serve.sh
#   TILLIT_BIN=/tmp/old/tillit scripts/load-serve.sh   # another build
#
# The ledger is built once under target/bench-data/ and copied for each
# run (consents are written to the copy). wrk prints requests/s and the
# latency distribution (p50, p75, p90, p99).
set -euo pipefail
cd "$(dirname "$0")/.."

subjects=${TILLIT_LOAD_SUBJECTS:-100000}
seconds=${TILLIT_LOAD_SECONDS:-10}
connections=${TILLIT_LOAD_CONNECTIONS:-32}
port=${TILLIT_LOAD_PORT:-18480}
. scripts/load-common.sh
db=target/bench-data/serve-work.db
copy_sqlite_demo "$subjects" "$db"
url="sqlite://$db"
marketing=$("$tillit" --db "$url" token create --role marketing --label load --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$tillit" --db "$url" serve --listen "127.0.0.1:$port" --trusted-proxy 127.0.0.1 > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.1; done

cat > "$work/decide.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $marketing"
math.randomseed(2026)
request = function()
  local body = string.format('{"subject":"c-%06d","purpose":"marketing","category":"traffic","at":"2026-06-01T00:00:00Z"}', math.random(1, $subjects))
  return wrk.format(nil, "/v1/decisions", nil, body)
end
LUA
python3 - "$subjects" > "$work/batch.json" <<'PY'
import json, random, sys
n = int(sys.argv[1]); rng = random.Random(2026)
print(json.dumps({"requests": [{"subject": f"c-{rng.randrange(n) + 1:06d}", "purpose": "marketing",
    "category": "traffic", "at": "2026-06-01T00:00:00Z"} for _ in range(10000)]}, separators=(",", ":")))
PY
cat > "$work/batch.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $marketing"
local f = io.open("$work/batch.json"); wrk.body = f:read("*a"); f:close()
wrk.path = "/v1/decisions/batch"
LUA
cat > "$work/consent.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $marketing"
math.randomseed(2026)
request = function()
  local given = math.random(0, 1) == 1 and "true" or "false"
  local body = '{"purpose":"marketing","given":' .. given .. ',"channel":"web"}'
  return wrk.format(nil, string.format("/v1/subjects/c-%06d/consents", math.random(1, $subjects)), nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("answered: %d\n", summary.requests - summary.errors.status))
end
LUA

base="http://127.0.0.1:$port"
echo "== single decisions: $connections connections, ${seconds}s"
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/decide.lua" "$base"
grep VmHWM "/proc/$server/status"
echo "== batch decisions (10,000 per request): 2 connections, ${seconds}s"
wrk -t1 -c2 -d"${seconds}s" --latency -s "$work/batch.lua" "$base"
grep VmHWM "/proc/$server/status"
rows() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM ' + sys.argv[2]).fetchone()[0])" "$db" "$1"; }
consents_before=$(rows consents)
echo "== durable consent writes: $connections connections, ${seconds}s"
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/consent.lua" "$base" | tee "$work/consent.out"
# Every write acknowledged (201) is in the ledger once the run is over.
python3 -c "import sys; a, w = int(sys.argv[1]), int(sys.argv[2]) - int(sys.argv[3]); print(f'consent writes acknowledged: {a}, in the ledger: {w}' + ('' if w >= a else ' (LOST WRITES)'))" \
    "$(sed -n 's/^answered: //p' "$work/consent.out")" "$(rows consents)" "$consents_before"
views=${TILLIT_LOAD_VIEWS:-10}
python3 - "$base" "$work/visitors.lua" <<'PY'
import json, sys, urllib.request
base, out = sys.argv[1], sys.argv[2]
cookies = []
for _ in range(1000):
    req = urllib.request.Request(base + "/consent", method="POST",
        data=json.dumps({"choices": {"service-development": True, "marketing": False}}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        cookies.append(r.headers["Set-Cookie"].split(";")[0])
with open(out, "w") as f:
    f.write("visitors = {" + ",".join(json.dumps(c) for c in cookies) + "}\n")
PY
cat > "$work/collect.lua" <<LUA
dofile("$work/visitors.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(2026)
local pages = {"/", "/kontakt", "/tjanster", "/om-oss", "/priser"}
-- Requests are made once, 4,096 of them, and sent in turn: the load
-- generator shares the machine, so it spends as little as it can.
local made = {}
init = function(args)
 for r = 1, 4096 do
  local views = {}
  for i = 1, $views do
    views[i] = string.format('{"path":"%s","referrer":"https://www.google.se/","screen":"large","lang":"sv"}', pages[math.random(1, #pages)])
  end
  local headers = {
    ["Content-Type"] = "application/json",
    ["Cookie"] = visitors[math.random(1, #visitors)],
    ["X-Forwarded-For"] = string.format("%d.%d.%d.%d", math.random(1, 223), math.random(0, 255), math.random(0, 255), math.random(1, 254)),
  }
  made[r] = wrk.format(nil, "/collect", headers, '{"views":[' .. table.concat(views, ",") .. ']}')
 end
end
local n = 0
request = function()
  n = n % #made + 1
  return made[n]
end
done = function(summary, latency, requests)
  io.write(string.format("calls taken: %d, turned away (queue full): %d\n",
    summary.requests - summary.errors.status, summary.errors.status))
end
LUA
count() { rows page_views; }
before=$(count)
echo "== page views: $connections connections, $views per call, ${seconds}s"
started=$(date +%s.%N)
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/collect.lua" "$base"
# The writer commits what is queued: the time until the count stops
# moving counts too.
last=-1; now=$(count); stable=$(date +%s.%N)
while [ "$now" != "$last" ]; do stable=$(date +%s.%N); last=$now; sleep 0.2; now=$(count); done
python3 -c "import sys; n, t = int(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); print(f'page views ingested: {n} in {t:.1f} s = {n / t:,.0f}/s')" "$((now - before))" "$started" "$stable"
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print('addresses not masked:', c.execute(\"SELECT COUNT(*) FROM page_views WHERE address NOT LIKE '%.0'\").fetchone()[0])" "$db"
echo "== server peak RSS"
grep -E "VmHWM|VmRSS" "/proc/$server/status"
