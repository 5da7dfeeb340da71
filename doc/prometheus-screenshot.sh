#!/bin/sh
# prometheus-screenshot.sh DAEMON OUTPUT.png: the screenshot of the chapter
# "Running as a service": the example daemon (DAEMON, the build's
# examples/fluid-example-daemon) on a bus of its own, serving its metrics,
# a Prometheus scraping it every second, and headless Chromium on
# Prometheus' graph page of the reader's fluid_messages_total. Not a
# test: run by hand when the page should change (Debian's prometheus,
# chromium and dbus-daemon).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu

daemon=$1
output=$2
seconds=${SCREENSHOT_SECONDS:-60}
dir=$(mktemp -d)
metrics_port=19464
prometheus_port=19090
pids=""
cleanup() {
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for pid in $pids; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

dbus-daemon --session --nofork --print-address=3 --address="unix:path=$dir/bus" 3>"$dir/address" &
pids="$pids $!"
while [ ! -s "$dir/address" ]; do sleep 0.1; done

DBUS_SESSION_BUS_ADDRESS="unix:path=$dir/bus" FLUID_METRICS_ADDRESS="127.0.0.1:$metrics_port" \
  "$daemon" >/dev/null 2>&1 &
pids="$pids $!"

cat >"$dir/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: fluid-example
    static_configs:
      - targets: ['127.0.0.1:$metrics_port']
YAML
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
  --web.listen-address="127.0.0.1:$prometheus_port" >"$dir/prometheus.log" 2>&1 &
pids="$pids $!"

# A minute of samples.
sleep "$seconds"

expr='fluid_messages_total{job="fluid-example"}'
query=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$expr")
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,900 \
  --virtual-time-budget=15000 --screenshot="$output" \
  "http://127.0.0.1:$prometheus_port/graph?g0.expr=$query&g0.tab=0&g0.stacked=0&g0.show_exemplars=0&g0.range_input=2m" \
  >/dev/null 2>&1
echo "$output"
