#!/usr/bin/env bash
# Oracle test: compare hepfusion's root-dump with uproot on every test ROOT file.
#
#   tests/oracle/run.sh [pytest args...]      e.g.  tests/oracle/run.sh -k HZZ
#
# Creates or reuses the virtualenv <repo>/.venv, installs tests/oracle/requirements.txt,
# writes the fixtures (<repo>/.cache/fixtures, cached), then runs pytest on tests/oracle.
# Environment: PYTHON (interpreter for the venv, default python3.11), HEPFUSION_ROOT_DUMP
# (default <repo>/target/release/root-dump), HEPFUSION_SHARED (default <repo>/../shared),
# HEPFUSION_FIXTURES, HEPFUSION_ORACLE_REPORT. It does not build root-dump.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
start=$(date +%s)

vpy="$("$repo/tools/python-venv" "$repo/.venv" "$here/requirements.txt" oracle-requirements)"

dump="${HEPFUSION_ROOT_DUMP:-${CARGO_TARGET_DIR:-$repo/target}/release/root-dump}"
if [[ ! -x "$dump" ]]; then
    echo "oracle: root-dump not found at $dump" >&2
    echo "oracle: build it (cargo build --release --bin root-dump) or set HEPFUSION_ROOT_DUMP" >&2
    exit 2
fi

export HEPFUSION_ROOT_DUMP="$dump"
"$vpy" "$here/make_fixtures.py"

set +e
"$vpy" -m pytest "$here" -q -rf --tb=short "$@"
rc=$?
set -e
echo "oracle: pytest exit $rc after $(( $(date +%s) - start )) s (report: ${HEPFUSION_ORACLE_REPORT:-$repo/.cache/oracle-report.json})"
exit $rc
