#!/usr/bin/env bash
# Sets up what the client and browser tests drive against a running `paperboy serve`, and
# prints the Python to run them with (export it as PAPERBOY_TEST_PYTHON):
#
#   - Debian's chromium and chromium-driver, for the browser test (installed with apt-get when
#     missing; needs root);
#   - a virtual environment, default $HOME/.cache/paperboy/venv, with the pinned packages of
#     crates/paperboy/tests/clients/requirements.txt (huggingface_hub, schemathesis, feedparser,
#     selenium, and aiosmtpd, a real SMTP server for the mail tests).
#
#     export PAPERBOY_TEST_PYTHON=$(scripts/test-tools.sh [VENV])
set -euo pipefail

venv="${1:-$HOME/.cache/paperboy/venv}"
requirements="$(cd "$(dirname "$0")/.." && pwd)/crates/paperboy/tests/clients/requirements.txt"

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "installing chromium and chromium-driver" >&2
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >&2
fi
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" >&2
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
echo "$venv/bin/python"
