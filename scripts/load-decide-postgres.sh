#!/usr/bin/env bash
# Single decisions over HTTP on PostgreSQL, from a warm cache: a demo of
# TILLIT_LOAD_SUBJECTS subjects (default 20,000) is built once into the
# database tillit_bench_tpl, copied per run (CREATE DATABASE … TEMPLATE),
# served, warmed for TILLIT_LOAD_SECONDS, then measured as long with wrk.
#
#   scripts/load-decide-postgres.sh
#   TILLIT_BIN=/tmp/old/tillit scripts/load-decide-postgres.sh   # another build
#
# The template is made by whichever build runs first: make it with the
# older one when comparing (a newer schema is refused by an older build).
set -euo pipefail
cd "$(dirname "$0")/.."

subjects=${TILLIT_LOAD_SUBJECTS:-20000}
seconds=${TILLIT_LOAD_SECONDS:-5}
port=${TILLIT_LOAD_PORT:-18590}
admin=${TILLIT_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
. scripts/load-common.sh
sql() { psql "$admin/postgres" -qtAc "$1"; }

if [ "$(sql "SELECT count(*) FROM pg_database WHERE datname = 'tillit_bench_tpl'")" = 0 ]; then
    sql "CREATE DATABASE tillit_bench_tpl"
    "$tillit" --db "$admin/tillit_bench_tpl" demo --subjects "$subjects" --at 2026-11-01 >/dev/null
fi
sql "DROP DATABASE IF EXISTS tillit_bench_work WITH (FORCE)"
sql "CREATE DATABASE tillit_bench_work TEMPLATE tillit_bench_tpl"
url=$admin/tillit_bench_work
token=$("$tillit" --db "$url" token create --role marketing --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$tillit" --db "$url" serve --listen "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
cat > "$work/decide.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
math.randomseed(2026)
request = function()
  return wrk.format(nil, "/v1/decisions", nil, string.format('{"subject":"c-%06d","purpose":"marketing","category":"traffic"}', math.random(1, $subjects)))
end
LUA
wrk -t1 -c32 -d"${seconds}s" -s "$work/decide.lua" "http://127.0.0.1:$port" >/dev/null
echo "== single decisions on PostgreSQL, warm: 32 connections, ${seconds}s"
wrk -t1 -c32 -d"${seconds}s" --latency -s "$work/decide.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|50%|99%"
