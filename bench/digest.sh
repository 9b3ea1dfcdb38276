#!/usr/bin/env bash
# Digests composed and handed to a local SMTP server: `paperboy bench digest` against Postfix's
# smtp-sink (Debian package postfix: /usr/sbin/smtp-sink), a parallel SMTP server made for
# testing SMTP clients: it speaks full SMTP, accepts every message and drops it. Started here
# on a free port; its count of messages is printed at the end, to check against the readers.
#
#   bench/digest.sh [READERS] [PAPERBOY_BINARY]   (defaults: 100000; $CARGO_TARGET_DIR or
#                                                  target, release)
set -euo pipefail
cd "$(dirname "$0")/.."

readers="${1:-100000}"
binary="${2:-${CARGO_TARGET_DIR:-target}/release/paperboy}"
sink_bin="$(command -v smtp-sink || echo /usr/sbin/smtp-sink)"
[[ -x "$binary" ]] || { echo "no binary at $binary: cargo build --release" >&2; exit 1; }
[[ -x "$sink_bin" ]] || { echo "no smtp-sink: apt-get install postfix (choose 'No configuration')" >&2; exit 1; }

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
counts="$(mktemp)"
# -c: count messages; -u: the user to run as when started by root; 256: the listen backlog.
"$sink_bin" -c -u nobody "127.0.0.1:$port" 256 >"$counts" &
sink=$!
cleanup() { kill "$sink" 2>/dev/null || true; wait "$sink" 2>/dev/null || true; rm -f "$counts"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

"$binary" bench digest --readers "$readers" --to "smtp://127.0.0.1:$port"
echo
echo "smtp-sink's last count: $(tr '\r' '\n' <"$counts" | grep -v '^$' | tail -1)"
