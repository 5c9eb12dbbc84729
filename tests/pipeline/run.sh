#!/usr/bin/env bash
# The pipeline tests (tests/pipeline): sql/ against the independent uproot + awkward
# implementation of steps 2-4, datasets, determinism, bad input. Uses the generator's
# virtualenv (tools/generate/setup-venv) and target/release/hepfusion (not built here).
#
#   tests/pipeline/run.sh [pytest args...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
vpy="$("$repo/tools/generate/setup-venv")"
cd "$here"
exec "$vpy" -m pytest -q "$@"
