#!/usr/bin/env bash
# One command: set this machine up and run the demo game day.
#
# 1. installs chaoskit, and on Debian as root the Docker engine and Compose v2;
# 2. builds local images where the official ones cannot be pulled;
# 3. brings up the two-region world;
# 4. runs the seed playbook (the key-value store's regional endpoint answers
#    with an empty DNS record, as in the October 2025 us-east-1 outage) as a
#    game day with a live dashboard on http://127.0.0.1:8765, first against
#    the naive orders service (it fails), then against the resilient one (it
#    passes). Reports land in reports/demo-*/report.html.
#
# Interactive on a terminal (you drive each step: go, skip, abort, note ...);
# CHAOSKIT_DEMO_AUTO=1 (or no terminal) lets every step go by itself.
set -euo pipefail
cd "$(dirname "$0")"

# With the test extras, so the README's test command (`python -m pytest -n 2`) works afterwards.
python3 -m pip install -q -e '.[test]'
if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
  chaoskit doctor --fix
else
  chaoskit doctor
fi
chaoskit images build --mode auto
chaoskit up

auto=()
if [ -n "${CHAOSKIT_DEMO_AUTO:-}" ] || [ ! -t 0 ]; then
  auto=(--auto)
fi

echo
echo "== 1/2: the naive orders service (no emergency exits): expected to FAIL"
chaoskit gameday playbooks/kv-dns-empty-record.yaml "${auto[@]}" --set orders.exits=none \
  --report reports/demo-naive || true
echo
echo "== 2/2: the resilient orders service (failover, breaker, stale cache, write queue): expected to PASS"
chaoskit gameday playbooks/kv-dns-empty-record.yaml "${auto[@]}" --report reports/demo-resilient
echo
echo "Reports: reports/demo-naive/report.html and reports/demo-resilient/report.html"
echo "The world is still up: chaoskit status | chaoskit down"
