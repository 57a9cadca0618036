#!/usr/bin/env bash
# Debian packages the project needs. Installs only what is missing; needs root (or sudo).
set -euo pipefail

packages=(
  # Rasa pins a matplotlib that has no Python 3.11 wheel: it is built against these.
  libfreetype-dev libqhull-dev pkg-config
  # The backend tests also run on PostgreSQL (a throwaway cluster: scripts/postgres-test-cluster.sh).
  postgresql
  # The console browser tests and screenshots drive Debian's headless Chromium via Playwright.
  chromium
  # A Chinese font, so the console screenshots show characters rather than empty boxes.
  fonts-wqy-microhei
  # The SIP test: Kamailio as the registrar, baresip as the caller (in a network namespace).
  kamailio baresip iproute2
  # The scaled profile and its tests (issue 15): Redis as Rasa's lock store, HAProxy in front
  # of the Rasa and action-server replicas. Started by the project, never as system services.
  redis-server haproxy
  # bench-asr puts synthesised caller turns through a telephone line's band and μ-law.
  sox
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "==> installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
