#!/usr/bin/env bash
# Decisions per second through `tillit decide --batch` on the embedded
# SQLite ledger: a demo company of N subjects (default 1,000,000) and M
# requests (default 1,000,000) over uniformly random subjects, most for a
# role, purpose and category the policy grants.
#
#   scripts/bench-decide-batch.sh            # 1M subjects, 1M requests
#   TILLIT_BENCH_SUBJECTS=10000 scripts/bench-decide-batch.sh
#
# The ledger and the requests are built once and kept under
# target/bench-data/. Each run is timed from start to exit (policy load,
# ledger open, every state loaded from SQLite, JSON in and out); the
# median of the runs is reported, with the first (cold cache) beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

subjects=${TILLIT_BENCH_SUBJECTS:-1000000}
requests=${TILLIT_BENCH_REQUESTS:-1000000}
runs=${TILLIT_BENCH_RUNS:-5}
# Extra flags for `decide --batch`, e.g. TILLIT_BENCH_FLAGS=--preload.
flags=${TILLIT_BENCH_FLAGS:-}
export TILLIT_POLICY=examples/winston/policy.toml

cargo build --release -q -p tillit
tillit=target/release/tillit
mkdir -p target/bench-data
db=target/bench-data/decide-$subjects.db
if [ ! -f "$db.done" ]; then
    rm -f "$db" "$db-wal" "$db-shm"
    "$tillit" --db "sqlite://$db" demo --subjects "$subjects" --at 2026-11-01
    touch "$db.done"
fi
input=target/bench-data/requests-$subjects-$requests.jsonl
if [ ! -f "$input" ]; then
    python3 - "$subjects" "$requests" > "$input" <<'PY'
import json, random, sys
subjects, requests = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(2026)
granted = [
    ("support", "service-provision", "customer"), ("support", "service-communication", "customer"),
    ("account-manager", "service-provision", "customer"), ("account-manager", "service-communication", "customer"),
    ("account-manager", "marketing", "customer"), ("billing", "service-provision", "customer"),
    ("billing", "legal-compliance", "customer"), ("marketing", "marketing", "customer"),
    ("marketing", "marketing", "traffic"), ("security", "security", "customer"),
    ("security", "security", "traffic"), ("analyst", "service-development", "customer"),
    ("analyst", "service-development", "traffic"), ("dpo", "legal-compliance", "customer"),
    ("dpo", "legal-compliance", "traffic"),
]
roles = sorted({g[0] for g in granted})
purposes = sorted({g[1] for g in granted})
out = sys.stdout
for _ in range(requests):
    if rng.random() < 0.7:
        role, purpose, category = rng.choice(granted)
    else:
        role, purpose, category = rng.choice(roles), rng.choice(purposes), rng.choice(["customer", "traffic"])
    day = rng.randrange(0, 4 * 365)
    at = f"{2022 + day // 365}-{1 + (day % 365) // 31:02d}-{1 + (day % 31) % 28:02d}T12:00:00Z"
    line = {"subject": f"c-{rng.randrange(subjects) + 1:06d}", "role": role, "purpose": purpose,
            "category": category, "at": at}
    if purpose == "service-development":
        line["anonymised"] = rng.random() < 0.5
    out.write(json.dumps(line, separators=(",", ":")) + "\n")
PY
fi

echo "tillit decide --batch $flags: $requests requests over $subjects subjects ($db)"
times=()
for run in $(seq 1 "$runs"); do
    start=$(date +%s.%N)
    "$tillit" --db "sqlite://$db" decide --batch $flags < "$input" > target/bench-data/decisions.jsonl
    end=$(date +%s.%N)
    secs=$(echo "$end - $start" | bc -l)
    rate=$(echo "$requests / $secs" | bc -l)
    printf 'run %d: %.2f s, %.0f decisions/s\n' "$run" "$secs" "$rate"
    times+=("$rate")
done
lines=$(wc -l < target/bench-data/decisions.jsonl)
allowed=$(grep -c '"allowed":true' target/bench-data/decisions.jsonl || true)
echo "decisions written: $lines ($allowed allowed)"
median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'median: %.0f decisions/s (first run, cold: %.0f)\n' "$median" "${times[0]}"
