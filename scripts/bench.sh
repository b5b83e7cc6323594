#!/usr/bin/env bash
# make bench: builds in release mode and measures
#  1. durable store commits/s (create + approve) beside a raw SQLite INSERT loop, same synchronous mode;
#  2. GET /v1/requests/{id} requests/s over loopback with wrk, against a real countersignd;
#  3. idle RSS of countersignd;
#  4. WebAuthn assertion verifications/s on one core beside the bare signature verify and
#     py_webauthn 3.0.1 (PyPI) on the same W3C vectors;
#  5. the whole hardware-key approval over loopback HTTP: p50/p99 latency, and approvals/s with
#     8 concurrent approvers.
# Results: bench/results.txt (appended with a timestamp).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product countersignd
swift build -c release --product countersign-bench-store
swift build -c release --product countersign-bench-webauthn
swift build -c release --product countersign-bench-approval
python3 -m pip install -q 'webauthn==3.0.1' 2>/dev/null || python3 -m pip install -q --break-system-packages 'webauthn==3.0.1'
bin=$(swift build -c release --show-bin-path)
out=bench/results.txt
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

{
  echo "== $(date -u +%FT%TZ) on $(nproc) cores, $(uname -r)"
  echo "-- store vs raw SQLite (commits/s, WAL, same synchronous mode, 2000 commits each)"
  "$bin/countersign-bench-store" 2000 full
  "$bin/countersign-bench-store" 2000 normal
} | tee -a "$out"

scripts/demo-pam.sh "$work/pam" >/dev/null
"$bin/countersignd" --listen 127.0.0.1:0 --data-dir "$work/data" --policies policies \
  --pam-config-dir "$work/pam" --log-level error >"$work/daemon.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/daemon.out" && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/daemon.out" | head -1)
sleep 2
idle_rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

token=$(curl -sf -H 'Content-Type: application/json' -d '{"username":"alice","password":"alice-demo-pw"}' "$url/v1/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
id=$(curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
  -d '{"kind":"deploy","service":"payments-api","environment":"production","commit":"0123456789abcdef0123456789abcdef01234567","reason":"Benchmark the read path","ticket":"CHG-1"}' \
  "$url/v1/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
cat >"$work/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
{
  echo "-- GET /v1/requests/{id} over loopback: wrk -t2 -c16 -d10s (server and wrk share the 2 cores)"
  wrk -t2 -c16 -d10s -s "$work/auth.lua" "$url/v1/requests/$id" | grep -E 'Requests/sec|Latency|requests in'
  echo "-- countersignd idle RSS after start: ${idle_rss} kB; after the wrk run: $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") kB"
} | tee -a "$out"

vectors=Tests/WebAuthnTests/Vectors/webauthn-spec.json
{
  echo "-- WebAuthn assertion verification, one core (taskset -c 0), W3C §16 vectors, 3 s per measurement"
  taskset -c 0 "$bin/countersign-bench-webauthn" "$vectors" 3
  taskset -c 0 python3 bench/py_webauthn_bench.py "$vectors" 3
} | tee -a "$out"

{
  echo "-- hardware-key approval over loopback HTTP (real server and store, synchronous=FULL; client and server share the 2 cores)"
  "$bin/countersign-bench-approval" 200
} | tee -a "$out"

{
  echo "-- long fuzz run: mutated W3C vectors and random bytes through the CBOR decoder and both ceremonies"
  start=$(date +%s)
  COUNTERSIGN_FUZZ_ITERATIONS=300000 swift test --filter FuzzTests 2>&1 | grep -E "Test run|✘" | tail -3
  echo "fuzz_iterations_per_kind=300000 seconds=$(( $(date +%s) - start ))"
} | tee -a "$out"
