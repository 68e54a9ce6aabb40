# Sourced by the load scripts (load-serve.sh, load-nodes.sh,
# load-decide-postgres.sh), from the repository's root: what they share.

export TILLIT_POLICY=${TILLIT_POLICY:-examples/winston/policy.toml}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }

# TILLIT_BIN runs another build (e.g. an earlier commit's) against the
# same ledger and load, to compare; by default this tree's release build.
if [ -z "${TILLIT_BIN:-}" ]; then cargo build --release -q -p tillit; fi
tillit=${TILLIT_BIN:-$PWD/target/release/tillit}

# copy_sqlite_demo SUBJECTS WORK: a fresh copy at WORK of the demo ledger
# of SUBJECTS subjects, built once under target/bench-data/.
copy_sqlite_demo() {
    local subjects=$1 work=$2
    mkdir -p target/bench-data
    local template=target/bench-data/serve-$subjects.db
    if [ ! -f "$template.done" ]; then
        rm -f "$template" "$template-wal" "$template-shm"
        "$tillit" --db "sqlite://$template" demo --subjects "$subjects" --at 2026-11-01 >/dev/null
        touch "$template.done"
    fi
    rm -f "$work" "$work-wal" "$work-shm"
    cp "$template" "$work"
}
