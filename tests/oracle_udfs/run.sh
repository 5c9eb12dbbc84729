#!/usr/bin/env bash
# Oracle test of the SQL functions (udfs/): runs tests/oracle_udfs/queries/*.sql through
# hepfusion on three sources (restructured Parquet, flat Parquet + struct-building view,
# NanoAOD-layout ROOT copy) and compares every event with an independent awkward-array
# implementation (awk_queries.py).
#
#   tests/oracle_udfs/run.sh [pytest args...]      e.g.  tests/oracle_udfs/run.sh -k zpeak
#
# Creates or reuses the virtualenv <repo>/.venv (shared with tests/oracle), installs
# tests/oracle_udfs/requirements.txt, writes the ROOT fixture (<repo>/.cache/fixtures,
# cached), then runs pytest. Environment: PYTHON (interpreter for a new venv, default
# python3.11), HEPFUSION_BIN (default ${CARGO_TARGET_DIR:-<repo>/target}/release/hepfusion),
# HEPFUSION_SHARED (default <repo>/../shared), HEPFUSION_FIXTURES,
# HEPFUSION_UDF_PARTITIONS (target_partitions, default 2), HEPFUSION_UDF_BATCH_SIZE
# (default 100). It does not build hepfusion.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
start=$(date +%s)

vpy="$("$repo/tools/python-venv" "$repo/.venv" "$here/requirements.txt" oracle-udfs-requirements)"

bin="${HEPFUSION_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/hepfusion}"
if [[ ! -x "$bin" ]]; then
    echo "oracle_udfs: hepfusion not found at $bin" >&2
    echo "oracle_udfs: build it (cargo build --release) or set HEPFUSION_BIN" >&2
    exit 2
fi
export HEPFUSION_BIN="$bin"
"$vpy" "$here/make_fixture.py" >/dev/null

set +e
"$vpy" -m pytest "$here" -q -rf --tb=short "$@"
rc=$?
set -e
echo "oracle_udfs: pytest exit $rc after $(( $(date +%s) - start )) s"
exit $rc
