#!/usr/bin/env bash
# Run the test suite in the project's virtual environment. pytest's exit code 5 (no test
# collected) is turned into a failure: a suite that runs nothing must not pass.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${PARTITA_VENV:-.venv}
export QT_QPA_PLATFORM=offscreen
# Test-only system package: headless Chromium for the report's browser test
# (tests/test_report_browser.py). The main job never needs it, so setup.sh leaves it out.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test.sh: installing Debian package chromium (browser test of the report)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "test.sh: warning: chromium missing (run as root to install); the browser test will fail" >&2
    fi
fi
"$VENV/bin/python" -m pytest "$@"
rc=$?
if [ "$rc" = 5 ]; then
    echo "test.sh: pytest collected no test; failing" >&2
    exit 1
fi
exit "$rc"
