#!/usr/bin/env bash
# Run the test suite in the project's virtual environment. pytest's exit code 5 (no test
# collected) is turned into a failure: a suite that runs nothing must not pass.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${PARTITA_VENV:-.venv}
export QT_QPA_PLATFORM=offscreen
"$VENV/bin/python" -m pytest "$@"
rc=$?
if [ "$rc" = 5 ]; then
    echo "test.sh: pytest collected no test; failing" >&2
    exit 1
fi
exit "$rc"
