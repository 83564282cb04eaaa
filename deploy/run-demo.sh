#!/usr/bin/env bash
# The first of the README's two commands: install what is missing, build, and start
# servicedeskd on loopback with a local data folder (var/demo-data) holding 500
# generated customers, so the console has someone to look up at once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
deploy/install-deps.sh
deploy/build.sh "$root/build" -DSERVICEDESK_BENCHMARKS=OFF
mkdir -p var
cat <<TXT

servicedeskd is starting on 127.0.0.1:50051 (data in var/demo-data, Ctrl-C stops it).
In another terminal, try the console:
  export DESK_TOKEN=demo-agent-token-0001
  build/agent-console/desk-console ping
  build/agent-console/desk-console customer pop "+49 151 10000003"
  build/agent-console/desk-console customer pop "030 2000000"      # a shared household line
  build/agent-console/desk-console customer search wang
Tokens for the other roles are in deploy/demo.toml.

TXT
exec build/services/server/servicedeskd --config deploy/demo.toml "$@"
