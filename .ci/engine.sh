#!/usr/bin/env bash
# Installs and starts a Docker engine and Compose v2 on a Debian 12 machine
# (recipe from shared/ENVIRONMENT.md). Idempotent: skips what is present.
# Usage: engine.sh start | stop
set -euo pipefail
STATE=${CHAOSKIT_CI_STATE:-/tmp/chaoskit-ci}
mkdir -p "$STATE"

log() { printf '[engine] %s\n' "$*" >&2; }

install_engine() {
  if command -v dockerd >/dev/null 2>&1; then return; fi
  log "installing docker.io from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
}

install_compose() {
  if docker compose version >/dev/null 2>&1; then return; fi
  log "installing Compose v2 from Debian trixie's docker-compose package"
  local d="$STATE/apt-trixie"
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/pkg"
  local uri
  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  uri=${uri:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)}
  echo "deb [trusted=yes] $uri trixie main" > "$d/sources.list"
  local opts=(-o "Dir::Etc::sourcelist=$d/sources.list" -o "Dir::Etc::sourceparts=-"
              -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache")
  apt-get "${opts[@]}" update -qq
  (cd "$d/pkg" && apt-get "${opts[@]}" download docker-compose >/dev/null)
  dpkg-deb -x "$d"/pkg/docker-compose_*.deb "$d/x"
  mkdir -p /usr/local/lib/docker/cli-plugins
  cp "$d/x/usr/libexec/docker/cli-plugins/docker-compose" /usr/local/lib/docker/cli-plugins/
}

start_engine() {
  if docker info >/dev/null 2>&1; then log "engine already running"; return; fi
  if [ -f /var/run/docker.pid ] && ! pgrep -x dockerd >/dev/null; then
    rm -f /var/run/docker.pid
  fi
  log "starting dockerd"
  nohup dockerd >"$STATE/dockerd.log" 2>&1 &
  echo $! > "$STATE/dockerd.started"
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return
    sleep 1
  done
  log "dockerd did not answer in 60 s; its log:"; tail -n 30 "$STATE/dockerd.log" >&2
  exit 1
}

stop_engine() {
  # Stop only an engine this script started.
  if [ -f "$STATE/dockerd.started" ]; then
    local pid; pid=$(cat "$STATE/dockerd.started")
    log "stopping dockerd ($pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    rm -f "$STATE/dockerd.started"
  fi
}

case "${1:-start}" in
  start) install_engine; install_compose; start_engine; docker compose version >&2 ;;
  stop) stop_engine ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
