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
Take calls as agent a-101 (type `ready`, then `accept`, `end`, `wrap-up`; `help` lists all):
  DESK_TOKEN=demo-agent-token-0001 build/agent-console/desk-console agent
and, from a third terminal, put a call into the billing queue as the telephony would:
  DESK_TOKEN=demo-cti-token-00000001 build/agent-console/desk-console contact enqueue billing --customer customers/1
Tokens for the other roles and agents a-102 to a-104 are in deploy/demo.toml.

TXT
exec build/services/server/servicedeskd --config deploy/demo.toml "$@"
