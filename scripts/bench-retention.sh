#!/usr/bin/env bash
# Retention at scale: a ledger of 1,000,000 subjects and 10,000,000 records,
# of which 1,000,000 are due (the records of the tenth of the customers
# whose contract ended on 2024-01-15, due 24 months later), judged on
# 2026-11-25. On SQLite and on PostgreSQL, in the same run:
#
#   plan    `tillit retention plan --at 2026-11-25` (every record judged)
#   sweep   `tillit retention sweep --at 2026-11-25` (plan, erase in batches
#           of 10,000 with audit entries, erase the 100,000 subjects left
#           with nothing, purge from disk)
#   delete  the peer: one bare `DELETE FROM records WHERE id IN (…)` of the
#           same 1,000,000 rows in one transaction, then the same purge
#           (SQLite: WAL checkpoint and truncate; PostgreSQL: VACUUM FULL
#           of records), on a copy with the connection settings tillit
#           uses (on SQLite: WAL, synchronous = FULL, secure_delete,
#           temp_store = MEMORY, a 64 MiB page cache)
#   update  SQLite only, the floor: the sweep's own tombstone statement
#           (`UPDATE records SET payload = NULL, …, state = 'erased'`) over
#           the same rows, 10,000 a transaction, with nothing else (no
#           plan, no audit entries, no subjects erased), then the purge
#
#   scripts/bench-retention.sh                    # both backends, 3 runs each
#   TILLIT_BENCH_RUNS=5 TILLIT_BENCH_BACKENDS=sqlite scripts/bench-retention.sh
#   TILLIT_BENCH_SUBJECTS=100000 scripts/bench-retention.sh   # a tenth the size
#   TILLIT_BENCH_LAYOUT=clustered scripts/bench-retention.sh   # the due tenth are the first customers
#   TILLIT_BIN=/tmp/base/tillit scripts/bench-retention.sh     # another build, same ledger
#   TILLIT_BENCH_TAG=v6 TILLIT_BIN=/tmp/v6/tillit scripts/bench-retention.sh
#                       # a build of an older schema, on ledgers of its own
#
# By default the customers whose contract ended are every tenth one, so
# their records are spread through the table (one due subject in every
# two or three pages): the hard case for any erasure. `clustered` makes
# them the first tenth, as when the oldest customers leave first.
#
# The ledgers are built once with SQL (subjects, contracts, records) and
# kept: SQLite under target/bench-data/, PostgreSQL as a template database
# `tillit_bench_retention_N`. Each run works on a fresh copy. Every time is
# wall-clock from process start to exit; the median of the runs is
# reported, with the ratio sweep / delete per run.
set -euo pipefail
cd "$(dirname "$0")/.."

subjects=${TILLIT_BENCH_SUBJECTS:-1000000}
layout=${TILLIT_BENCH_LAYOUT:-spread}
case $layout in
    spread) ended="i % 10 = 0" ;;
    clustered) ended="i <= $subjects / 10" ;;
    *) echo "TILLIT_BENCH_LAYOUT is spread or clustered" >&2; exit 2 ;;
esac
runs=${TILLIT_BENCH_RUNS:-3}
backends=${TILLIT_BENCH_BACKENDS:-sqlite postgres}
pg=${TILLIT_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
at=2026-11-25
export TILLIT_POLICY=examples/winston/policy.toml

# TILLIT_BIN runs another build (e.g. an earlier commit's) on the same
# ledger, to compare.
if [ -z "${TILLIT_BIN:-}" ]; then cargo build --release -q -p tillit; fi
tillit=${TILLIT_BIN:-$PWD/target/release/tillit}
mkdir -p target/bench-data

suffix=""
[ "$layout" = spread ] || suffix="-$layout"
# The ledgers are brought up to the build's schema before the runs; a
# build that knows an older schema needs ledgers of its own.
[ -z "${TILLIT_BENCH_TAG:-}" ] || suffix="$suffix-$TILLIT_BENCH_TAG"

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The ledger's rows, as SQL both databases run. :N is the number of
# subjects; each has ten customer records; every tenth subject's contract
# ended on 2024-01-15.
fill_sql() {
    local series=$1 # a row source of i = 1..N
    cat <<SQL
INSERT INTO subjects (id, pseudonym, created_at)
  SELECT 's-' || i, 'p' || i, 1640995200000000 FROM $series;
INSERT INTO decision_facts (subject_id) SELECT id FROM subjects;
INSERT INTO lifecycle_events (subject_id, kind, reference, at)
  SELECT 's-' || i, 'contract-start', 'K-' || i, 1640995200000000 + i FROM $series;
INSERT INTO lifecycle_events (subject_id, kind, reference, at)
  SELECT 's-' || i, 'contract-end', 'K-' || i, 1705312800000000 FROM $series WHERE $ended;
INSERT INTO records (subject_id, category, kind, source, collected_at, payload, reference, accounting, state)
  SELECT 's-' || i, 'customer',
         CASE k WHEN 0 THEN 'contact' WHEN 1 THEN 'order' WHEN 2 THEN 'email' WHEN 3 THEN 'call'
                WHEN 4 THEN 'complaint' WHEN 5 THEN 'incident' WHEN 6 THEN 'credit-check'
                WHEN 7 THEN 'order' WHEN 8 THEN 'email' ELSE 'call' END,
         'subject', 1640995200000000 + i * 1000 + k,
         '{"note":"kund ' || i || ' ärende ' || k || ' — Storgatan ' || (i % 90) || ', 111 22 Stockholm"}',
         NULL, $FALSE, 'active'
  FROM $series, (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
                 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) ks
  ORDER BY i, k;
SQL
}

# A SQLite peer: the Python on standard input, run on a fresh copy of the
# ledger after this prelude. `db` is a connection with tillit's settings,
# `temp.due` holds the ids of the due records (the sweep's); the
# peer prints its seconds and rows.
sqlite_peer() {
    cp "$template" "$work"; rm -f "$work-wal" "$work-shm"
    {
        cat <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
for p in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON", "secure_delete = ON",
          "temp_store = MEMORY", "cache_size = -65536"):
    db.execute("PRAGMA " + p)
db.execute("CREATE TEMP TABLE due (id INTEGER PRIMARY KEY)")
db.execute("INSERT INTO temp.due SELECT r.id FROM records r JOIN lifecycle_events e "
           "ON e.subject_id = r.subject_id AND e.kind = 'contract-end'")
PY
        cat
    } | python3 - "$work"
}

bench_sqlite() {
    local template=target/bench-data/retention-$subjects$suffix.db work=target/bench-data/retention-work.db
    if [ ! -f "$template.done" ]; then
        rm -f "$template" "$template-wal" "$template-shm"
        echo "building $template ($subjects subjects, $((subjects * 10)) records)…"
        "$tillit" --db "sqlite://$template" audit head >/dev/null # creates the schema
        {
            echo "PRAGMA journal_mode = WAL; BEGIN;"
            FALSE=0 fill_sql "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $subjects) SELECT i FROM n)"
            echo "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);"
        } | sqlite3 "$template" >/dev/null
        "$tillit" --db "sqlite://$template" audit verify >/dev/null # builds the decision facts
        sqlite3 "$template" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
        touch "$template.done"
    fi
    "$tillit" --db "sqlite://$template" audit head >/dev/null # the build's schema
    sqlite3 "$template" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    cat "$template" > /dev/null # into the page cache, as for every copy
    local plans=() sweeps=() deletes=() ratios=() updates=()
    for run in $(seq 1 "$runs"); do
        cp "$template" "$work"; rm -f "$work-wal" "$work-shm"
        start=$(now); "$tillit" --db "sqlite://$work" retention plan --at $at > target/bench-data/plan.txt; end=$(now)
        plan=$(echo "$end - $start" | bc -l); plans+=("$plan")
        start=$(now); "$tillit" --db "sqlite://$work" retention sweep --at $at --json > target/bench-data/sweep.json; end=$(now)
        sweep=$(echo "$end - $start" | bc -l); sweeps+=("$sweep")
        handled=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["handled"])' target/bench-data/sweep.json)

        delete=$(sqlite_peer <<'PY'
start = time.perf_counter()
db.execute("BEGIN IMMEDIATE")
n = db.execute("DELETE FROM records WHERE id IN (SELECT id FROM temp.due)").rowcount
db.execute("COMMIT")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print(f"{time.perf_counter() - start:.3f} {n}")
PY
)
        deleted=${delete#* }; delete=${delete% *}; deletes+=("$delete")

        update=$(sqlite_peer <<'PY'
ids = [r[0] for r in db.execute("SELECT id FROM temp.due")]
start = time.perf_counter()
n = 0
for i in range(0, len(ids), 10000):
    db.execute("BEGIN IMMEDIATE")
    n += db.execute("UPDATE records SET payload = NULL, reference = NULL, register = NULL, inform_by = NULL, "
                    "state = 'erased', handled_at = 1, handled_by = 'customer-data' "
                    "WHERE id IN (SELECT id FROM temp.due WHERE id BETWEEN ? AND ?)",
                    (ids[i], ids[min(i + 10000, len(ids)) - 1])).rowcount
    db.execute("COMMIT")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print(f"{time.perf_counter() - start:.3f} {n}")
PY
)
        update=${update% *}; updates+=("$update")
        ratio=$(echo "$sweep / $delete" | bc -l); ratios+=("$ratio")
        printf 'sqlite run %d: plan %.2f s; sweep %.2f s (%d records, %.0f/s); bare DELETE %.2f s (%d rows); sweep/delete %.2f; bare tombstone UPDATE %.2f s (%.0f rows/s)\n' \
            "$run" "$plan" "$sweep" "$handled" "$(echo "$handled / $sweep" | bc -l)" "$delete" "$deleted" "$ratio" \
            "$update" "$(echo "$handled / $update" | bc -l)"
    done
    [ "$runs" -gt 0 ] || return 0
    printf 'sqlite median: plan %.2f s, sweep %.2f s (%.0f records/s), bare DELETE %.2f s, sweep/delete %.2f, bare tombstone UPDATE %.2f s\n' \
        "$(median "${plans[@]}")" "$(median "${sweeps[@]}")" "$(echo "$handled / $(median "${sweeps[@]}")" | bc -l)" \
        "$(median "${deletes[@]}")" "$(median "${ratios[@]}")" "$(median "${updates[@]}")"
    rm -f "$work" "$work-wal" "$work-shm"
}

bench_postgres() {
    local template=tillit_bench_retention_$subjects${suffix//-/_} work=tillit_bench_retention_work
    local admin="$pg/postgres"
    if [ -z "$(psql "$admin" -Atc "SELECT 1 FROM pg_database WHERE datname = '$template'")" ] ||
        [ -n "$(psql "$admin" -Atc "SELECT 1 FROM pg_database WHERE datname = '${template}_building'")" ]; then
        echo "building $template ($subjects subjects, $((subjects * 10)) records)…"
        psql "$admin" -qc "DROP DATABASE IF EXISTS $template" -c "DROP DATABASE IF EXISTS ${template}_building" -c "CREATE DATABASE ${template}_building"
        "$tillit" --db "$pg/${template}_building" audit head >/dev/null
        {
            echo "BEGIN;"
            FALSE=false fill_sql "generate_series(1, $subjects) AS i"
            echo "COMMIT; VACUUM ANALYZE;"
        } | psql -q "$pg/${template}_building"
        "$tillit" --db "$pg/${template}_building" audit verify >/dev/null
        psql "$admin" -qc "ALTER DATABASE ${template}_building RENAME TO $template"
    fi
    "$tillit" --db "$pg/$template" audit head >/dev/null # the build's schema
    local plans=() sweeps=() deletes=() ratios=()
    for run in $(seq 1 "$runs"); do
        psql "$admin" -qc "DROP DATABASE IF EXISTS $work" -c "CREATE DATABASE $work TEMPLATE $template"
        start=$(now); "$tillit" --db "$pg/$work" retention plan --at $at > target/bench-data/plan.txt; end=$(now)
        plan=$(echo "$end - $start" | bc -l); plans+=("$plan")
        start=$(now); "$tillit" --db "$pg/$work" retention sweep --at $at --json > target/bench-data/sweep.json; end=$(now)
        sweep=$(echo "$end - $start" | bc -l); sweeps+=("$sweep")
        handled=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["handled"])' target/bench-data/sweep.json)

        psql "$admin" -qc "DROP DATABASE IF EXISTS $work" -c "CREATE DATABASE $work TEMPLATE $template"
        psql -q "$pg/$work" -c "CREATE TABLE due AS SELECT r.id FROM records r JOIN lifecycle_events e ON e.subject_id = r.subject_id AND e.kind = 'contract-end'" -c "ANALYZE due"
        start=$(now)
        deleted=$(psql -qAt "$pg/$work" -c "WITH d AS (DELETE FROM records WHERE id IN (SELECT id FROM due) RETURNING 1) SELECT count(*) FROM d")
        psql -q "$pg/$work" -c "VACUUM (FULL) records"
        end=$(now)
        delete=$(echo "$end - $start" | bc -l); deletes+=("$delete")
        ratio=$(echo "$sweep / $delete" | bc -l); ratios+=("$ratio")
        printf 'postgres run %d: plan %.2f s; sweep %.2f s (%d records, %.0f/s); bare DELETE %.2f s (%d rows); sweep/delete %.2f\n' \
            "$run" "$plan" "$sweep" "$handled" "$(echo "$handled / $sweep" | bc -l)" "$delete" "$deleted" "$ratio"
    done
    [ "$runs" -gt 0 ] || return 0
    printf 'postgres median: plan %.2f s, sweep %.2f s (%.0f records/s), bare DELETE %.2f s, sweep/delete %.2f\n' \
        "$(median "${plans[@]}")" "$(median "${sweeps[@]}")" "$(echo "$handled / $(median "${sweeps[@]}")" | bc -l)" \
        "$(median "${deletes[@]}")" "$(median "${ratios[@]}")"
    psql "$admin" -qc "DROP DATABASE IF EXISTS $work"
}

for b in $backends; do
    "bench_$b"
done
