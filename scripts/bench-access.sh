#!/usr/bin/env bash
# The access report (GDPR Art. 15) of one subject among 1,000,000 with
# 10,000,000 records, on the embedded SQLite ledger.
#
#   scripts/bench-access.sh
#   TILLIT_BENCH_SUBJECTS=10000 scripts/bench-access.sh   # a small ledger
#
# The ledger is the demo company `scripts/bench-decide-batch.sh` builds
# (consents, lifecycle events, objections, restrictions, holds and
# disclosures as `tillit demo` makes them: about 8.1 records a subject),
# copied and filled up to ten records a subject with more of the same
# records (a copy of every fourth one, a second later), so that the
# indexes the report reads are as deep as at 10M. Built once and kept
# under target/bench-data/. The bench (crates/bench/benches/access.rs)
# then times the report of 2,000 subjects drawn at random, and the
# ledger's raw reads of the same subjects as the peer, in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."

subjects=${TILLIT_BENCH_SUBJECTS:-1000000}
target=$((subjects * 10))
export TILLIT_POLICY=examples/winston/policy.toml

demo=target/bench-data/decide-$subjects.db
if [ ! -f "$demo.done" ]; then
    cargo build --release -q -p tillit
    mkdir -p target/bench-data
    rm -f "$demo" "$demo-wal" "$demo-shm"
    target/release/tillit --db "sqlite://$demo" demo --subjects "$subjects" --at 2026-11-01
    touch "$demo.done"
fi
db=target/bench-data/access-$subjects.db
if [ ! -f "$db.done" ]; then
    rm -f "$db" "$db-wal" "$db-shm"
    sqlite3 "$demo" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    cp "$demo" "$db"
    have=$(sqlite3 "$db" "SELECT count(*) FROM records")
    echo "filling $db from $have to $target records…"
    sqlite3 "$db" <<SQL >/dev/null
PRAGMA journal_mode = WAL;
BEGIN;
INSERT INTO records (subject_id, category, kind, source, register, inform_by, collected_at,
                     payload, reference, accounting, state)
  SELECT subject_id, category, kind, source, register, inform_by, collected_at + 1000000,
         payload, reference, accounting, state
  FROM records WHERE id % 4 = 0 AND subject_id IS NOT NULL
  LIMIT max(0, $target - $have);
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
    touch "$db.done"
fi
cat "$db" > /dev/null # into the page cache
TILLIT_BENCH_LEDGER="sqlite://$PWD/$db" TILLIT_BENCH_SUBJECTS=$subjects \
    cargo bench -q -p tillit-bench --bench access
