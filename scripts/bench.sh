#!/usr/bin/env bash
# make bench: builds in release mode and measures, each figure beside a peer or a limit measured
# in the same run (bench/README.md says what each one is):
#  1. durable store commits/s (create + approve) beside a raw SQLite INSERT loop, same synchronous mode;
#  2. the same workload on the PostgreSQL store beside a prepared INSERT loop on the same server;
#  3. the HTTP read path with wrk: nginx serving a static file, /healthz, GET /v1/whoami and
#     GET /v1/requests/{id}, requests/s and p50/p99 latency;
#  4. idle RSS of countersignd against its 40 MB limit;
#  5. request commits/s of three countersignd on one PostgreSQL database beside one alone, then
#     the audit chain verified;
#  6. WebAuthn assertion verifications/s on one core beside the bare signature verify and
#     py_webauthn 3.0.1 (PyPI) on the same W3C vectors;
#  7. the whole hardware-key approval over loopback HTTP: p50/p99 latency, and approvals/s with
#     8 concurrent approvers;
#  8. SSH certificates issued per second in process beside a bare Ed25519 signing loop, one core;
#  9. the deploy gate, POST /v1/deploys/check, with wrk beside nginx and /healthz, then again with
#     a million more requests in the database;
# 10. the session recorder, countersign record uploading to a live countersignd: a 200 MB cat through
#     it beside script (to a file, and to /dev/null: the pty alone) and asciinema rec, then the
#     latency of one keystroke's echo through it beside the bare pty (bench/pty_bench.py drives both);
# 11. the notification outbox: the dispatcher's deliveries/s to a local webhook receiver (nginx
#     answering 204) beside a plain POST loop to it, and one page's enqueue-to-answer p50/p99;
# 12. break-glass against a live countersignd: from the call to the page's arrival at a local
#     PagerDuty receiver and to the credential's return (p50/p99), beside an ordinary request's
#     filing and a plain POST to the receiver (bench/break_glass_bench.py).
# PostgreSQL (the newest under /usr/lib/postgresql) and nginx are started here, on 127.0.0.1 at
# free ports, and stopped on exit. Results: bench/results.txt (appended with a timestamp).
#
# scripts/bench.sh [PART...] runs only the parts named, in the order above: store, postgres,
# read-path (3 and 4), gateways, webauthn, approval, certificates, deploy-check, recorder, outbox, break-glass, fuzz. With no
# PART, all.
set -euo pipefail
cd "$(dirname "$0")/.."
all_parts="store postgres read-path gateways webauthn approval certificates deploy-check recorder outbox break-glass fuzz"
parts=${*:-$all_parts}
for part in $parts; do
  case " $all_parts " in *" $part "*) ;; *) echo "unknown part $part (parts: $all_parts)" >&2; exit 2 ;; esac
done
wants() { case " $parts " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
# Release builds keep to their own folder: the debug one stays as make test left it.
release=(-c release --scratch-path .build-release)
if wants read-path || wants gateways || wants deploy-check || wants recorder || wants break-glass; then swift build "${release[@]}" --product countersignd; fi
if wants recorder || wants break-glass; then swift build "${release[@]}" --product countersign; fi
if wants store; then swift build "${release[@]}" --product countersign-bench-store; fi
if wants postgres; then swift build "${release[@]}" --product countersign-bench-store-postgres; fi
if wants webauthn; then
  swift build "${release[@]}" --product countersign-bench-webauthn
  python3 -m pip install -q 'webauthn==3.0.1' 2>/dev/null || python3 -m pip install -q --break-system-packages 'webauthn==3.0.1'
fi
if wants approval; then swift build "${release[@]}" --product countersign-bench-approval; fi
if wants certificates; then swift build "${release[@]}" --product countersign-bench-certificates; fi
if wants outbox; then swift build "${release[@]}" --product countersign-bench-outbox; fi
bin=$(swift build "${release[@]}" --show-bin-path)
out=bench/results.txt
work=$(mktemp -d)
# Apart from $work (mode 0700): PostgreSQL runs as the postgres user when we are root, and
# nginx's workers as an unprivileged user; each must reach its own directory.
pgdir=$(mktemp -d)
webroot=$(mktemp -d)
chmod 755 "$webroot"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_started=no
pids=()

# PostgreSQL refuses to run as root: then its binaries run as the postgres user.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$pg_started" = yes ]; then as_postgres "$pg_bin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$work" "$pgdir" "$webroot"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# start_gateway LOG ARGS...: a countersignd with the example policies and the demo PAM users;
# sets started_pid and started_url once it listens.
start_gateway() {
  local log=$1
  shift
  : >"$log"
  "$bin/countersignd" --listen 127.0.0.1:0 --policies policies --pam-config-dir "$work/pam" --log-level error "$@" >"$log" 2>&1 &
  started_pid=$!
  pids+=("$started_pid")
  for _ in $(seq 300); do
    grep -q "listening on" "$log" && break
    kill -0 "$started_pid" 2>/dev/null || break
    sleep 0.1
  done
  started_url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 || true)
  if [ -z "$started_url" ]; then echo "countersignd did not start: $(cat "$log")" >&2; exit 1; fi
}
# login URL USER: a session token for a demo user.
login() {
  curl -sf -H 'Content-Type: application/json' -d "{\"username\":\"$2\",\"password\":\"$2-demo-pw\"}" "$1/v1/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
request_body='{"kind":"deploy","service":"payments-api","environment":"production","commit":"0123456789abcdef0123456789abcdef01234567","reason":"Benchmark the gateway","ticket":"CHG-1"}'

# start_nginx FILE: nginx on a free port serving $webroot (once per run), ready when FILE answers.
nginx_port=""
start_nginx() {
  if [ -z "$nginx_port" ]; then
    nginx_port=$(free_port)
    mkdir "$work/nginx"
    cat >"$work/nginx/nginx.conf" <<NGINX
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log error;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  default_type application/json;
  server {
    listen 127.0.0.1:$nginx_port;
    root $webroot;
    # The outbox part's webhook receiver: takes any POST, answers 204 as a receiver that
    # accepted the notice would.
    location = /hook { return 204; }
  }
}
NGINX
    nginx -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" &
    pids+=("$!")
  fi
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/$1" && break; sleep 0.1; done
}

# read_path FILE NAME URL [wrk options]: one wrk run; appends "NAME requests/s p50_ms p99_ms non_2xx" to FILE.
read_path() {
  local file=$1 name=$2 target=$3
  shift 3
  wrk -t2 -c32 -d10s --latency "$@" "$target" >"$work/wrk.$name"
  awk -v name="$name" '
    function ms(v) { n = v + 0; if (v ~ /us$/) return n / 1000; if (v ~ /ms$/) return n; if (v ~ /s$/) return n * 1000; return n }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    END { printf "%s %s %.2f %.2f %d\n", name, rps, p50, p99, bad }' "$work/wrk.$name" >>"$file"
}
echo "== $(date -u +%FT%TZ) on $(nproc) cores, $(uname -r)$([ "$parts" = "$all_parts" ] || echo ", parts: $parts")" | tee -a "$out"
if wants store; then
{
  echo "-- store vs raw SQLite (commits/s, WAL, same synchronous mode, 2000 commits each)"
  "$bin/countersign-bench-store" 2000 full
  "$bin/countersign-bench-store" 2000 normal
} | tee -a "$out"
fi

if wants postgres || wants gateways; then
# PostgreSQL as it ships (fsync on, synchronous_commit on), trusting local connections only.
[ "$(id -u)" -ne 0 ] || chown postgres:postgres "$pgdir"
pg_port=$(free_port)
as_postgres "$pg_bin/initdb" -D "$pgdir/data" -A trust -U countersign >"$work/initdb.log" 2>&1
as_postgres "$pg_bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
  -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pgdir" start >"$work/pg_ctl.log" 2>&1
pg_started=yes
for database in store_bench gateways; do
  "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U countersign -d postgres -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $database"
done
pg_url="postgres://countersign@127.0.0.1:$pg_port"
fi
if wants postgres; then
{
  echo "-- PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') store vs a prepared INSERT loop on one connection to the same server (commits/s, 2000 commits each)"
  "$bin/countersign-bench-store-postgres" "$pg_url/store_bench" 2000 5
} | tee -a "$out"
fi

scripts/demo-pam.sh "$work/pam" >/dev/null
if wants read-path; then
start_gateway "$work/daemon.out" --data-dir "$work/data"
pid=$started_pid
url=$started_url
sleep 2
idle_rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
# Where the idle pages are: resident KB per mapped file (anonymous memory together), largest first.
idle_mappings=$(awk '
  /^[0-9a-f]+-[0-9a-f]+ / { n = split($6, path, "/"); name = (NF >= 6 && $6 !~ /^\[/) ? path[n] : "[anon]" }
  /^Rss:/ { rss[name] += $2 }
  END { for (name in rss) if (rss[name] >= 256) printf "%d %s\n", rss[name], name }' "/proc/$pid/smaps" |
  sort -rn | awk '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1 }')

token=$(login "$url" alice)
id=$(curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -d "$request_body" "$url/v1/requests" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
cat >"$work/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
# nginx serves the very bytes the gateway answers for the request read, from a file.
curl -sf -H "Authorization: Bearer $token" "$url/v1/requests/$id" >"$webroot/request.json"
chmod 644 "$webroot/request.json"
start_nginx request.json

read_path "$work/read_path" nginx "http://127.0.0.1:$nginx_port/request.json"
read_path "$work/read_path" healthz "$url/healthz"
read_path "$work/read_path" whoami "$url/v1/whoami" -s "$work/auth.lua"
read_path "$work/read_path" request "$url/v1/requests/$id" -s "$work/auth.lua"
{
  echo "-- HTTP read path over loopback: wrk -t2 -c32 -d10s --latency each, one after the other (server and wrk share the $(nproc) cores);"
  echo "   nginx $(nginx -v 2>&1 | sed 's|.*/||') serves the bytes of the request read from a file; whoami and the request read carry a bearer token"
  awk '
    { name[NR] = $1; rps[NR] = $2; p50[NR] = $3; p99[NR] = $4; bad[NR] = $5; if ($1 == "nginx") nginx = $2; if ($1 == "healthz") healthz = $2 }
    END { for (i = 1; i <= NR; i++) printf "read_path target=%s requests_per_second=%.0f p50_ms=%.2f p99_ms=%.2f non_2xx=%d ratio_to_nginx=%.2f ratio_to_healthz=%.2f\n", name[i], rps[i], p50[i], p99[i], bad[i], rps[i] / nginx, rps[i] / healthz }' "$work/read_path"
  echo "read_path_goal ratio_to_nginx>=0.25 for whoami and request"
  echo "-- countersignd (SQLite) resident memory: 2 s after start, and after the wrk runs"
  echo "idle_rss_kb=$idle_rss limit_kb=40960 within_limit=$([ "$idle_rss" -le 40960 ] && echo yes || echo no)"
  echo "idle_rss_by_mapping_kb $idle_mappings"
  echo "rss_after_wrk_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
} | tee -a "$out"
kill "$pid"
fi

if wants gateways; then
# Three gateways on one database, sharing the data directory (the checkpoint key); started one
# after the other, so the first migrates the schema alone.
gateway_urls=()
for n in 1 2 3; do
  start_gateway "$work/gateway$n.out" --database "$pg_url/gateways" --data-dir "$work/shared"
  gateway_urls+=("$started_url")
  cat >"$work/post$n.lua" <<LUA
wrk.method = "POST"
wrk.body = '$request_body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $(login "$started_url" alice)"
LUA
done
stored_requests() {
  "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U countersign -d gateways -At -c "SELECT count(*) FROM requests"
}
now() { date +%s.%N; }
# commits_per_second N: POST /v1/requests for 5 s over 24 connections in all, spread over the
# first N gateways (one wrk each, all at once); each created request is one commit. Prints the
# commits per second and the failed requests.
commits_per_second() {
  local gateways=$1 before start end n
  before=$(stored_requests)
  start=$(now)
  for n in $(seq "$gateways"); do
    wrk -t$((3 / gateways)) -c$((24 / gateways)) -d5s -s "$work/post$n.lua" "${gateway_urls[$((n - 1))]}/v1/requests" >"$work/post$n.wrk" &
  done
  wait
  end=$(now)
  awk -v commits="$(( $(stored_requests) - before ))" -v seconds="$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')" \
    'BEGIN {printf "%.0f", commits / seconds}'
  # Refusals and socket errors, which the commit count alone would hide.
  cat $(seq -f "$work/post%g.wrk" "$gateways") | awk '/Non-2xx/ {bad += $NF} /Socket errors/ {gsub(",", ""); bad += $4 + $6 + $8 + $10} END {printf " %d\n", bad}'
}
{
  echo "-- three countersignd on one PostgreSQL database beside one alone (the other two idle): POST /v1/requests for 5 s,"
  echo "   24 connections in all (one wrk -t3 -c24, or one wrk -t1 -c8 per gateway), rounds alternate; commits counted in the database"
  ratios=()
  for round in 1 2 3; do
    read -r one one_failed < <(commits_per_second 1)
    read -r three three_failed < <(commits_per_second 3)
    ratio=$(awk -v a="$three" -v b="$one" 'BEGIN {printf "%.2f", a / b}')
    ratios+=("$ratio")
    echo "round=$round one_gateway_commits_per_second=$one three_gateways_commits_per_second=$three ratio=$ratio failed_requests=$((one_failed + three_failed))"
  done
  echo "gateways_median_ratio=$(printf '%s\n' "${ratios[@]}" | sort -n | sed -n 2p) goal=1.00 rounds=3"
  verdict=$(curl -sf -H "Authorization: Bearer $(login "${gateway_urls[2]}" erin)" "${gateway_urls[2]}/v1/audit/verify")
  echo "audit_verify ok=$(python3 -c 'import json,sys; print(str(json.load(sys.stdin)["ok"]).lower())' <<<"$verdict") response=$verdict"
} | tee -a "$out"
fi

if wants webauthn; then
vectors=Tests/WebAuthnTests/Vectors/webauthn-spec.json
{
  echo "-- WebAuthn assertion verification, one core (taskset -c 0), W3C §16 vectors, 3 s per measurement"
  taskset -c 0 "$bin/countersign-bench-webauthn" "$vectors" 3
  taskset -c 0 python3 bench/py_webauthn_bench.py "$vectors" 3
} | tee -a "$out"
fi

if wants approval; then
{
  echo "-- hardware-key approval over loopback HTTP (real server and store, synchronous=FULL; client and server share the 2 cores)"
  "$bin/countersign-bench-approval" 200
} | tee -a "$out"
fi

if wants certificates; then
{
  echo "-- SSH certificates issued in process (parse, grant, encode, sign through the keyring, unit of work) beside bare Ed25519 signs of the same bytes, one core (taskset -c 0), 3 s each"
  taskset -c 0 "$bin/countersign-bench-certificates" 3
} | tee -a "$out"
fi

if wants deploy-check; then
# A staging deploy approved with a session (the rule allows it), then checked over and over.
commit=0123456789abcdef0123456789abcdef01234567
start_gateway "$work/gate.out" --data-dir "$work/gate"
alice=$(login "$started_url" alice)
bob=$(login "$started_url" bob)
id=$(curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $alice" \
  -d "{\"kind\":\"deploy\",\"service\":\"payments-api\",\"environment\":\"staging\",\"commit\":\"$commit\",\"reason\":\"Benchmark the deploy gate\",\"ticket\":\"CHG-2\"}" \
  "$started_url/v1/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sf -X POST -H "Authorization: Bearer $bob" "$started_url/v1/requests/$id/approve" >/dev/null
# Deploy tooling's own credential, as the issue measures it: a machine token with deploy:check.
ci=$(curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $(login "$started_url" erin)" \
  -d '{"name":"ci-bench","scopes":["deploy:check"],"services":["payments-*"]}' "$started_url/v1/admin/tokens" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
check_body="{\"service\":\"payments-api\",\"environment\":\"staging\",\"commit\":\"$commit\"}"
check_script() {
  cat >"$work/check.lua" <<LUA
wrk.method = "POST"
wrk.body = '$check_body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $1"
LUA
}
check_script "$ci"
curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $ci" -d "$check_body" "$started_url/v1/deploys/check" >"$webroot/check.json"
chmod 644 "$webroot/check.json"
start_nginx check.json
read_path "$work/gate_path" nginx "http://127.0.0.1:$nginx_port/check.json"
read_path "$work/gate_path" healthz "$started_url/healthz"
read_path "$work/gate_path" check "$started_url/v1/deploys/check" -s "$work/check.lua"
kill "$started_pid"
wait "$started_pid" 2>/dev/null || true
# A million more requests, for other services, copied from the approved one's row straight into
# the file: the gate must still find its one request by index.
sqlite3 "$work/gate/countersign.sqlite" <<SQL
PRAGMA journal_mode = WAL;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
INSERT INTO requests (id, kind, requester, target, reason, ticket, created_at, content_digest, rule_name, requirement,
    pending_expires_at, access_duration_seconds, state, updated_at, access_expires_at, certificate_terms)
SELECT printf('%020d', i), kind, requester,
    json_object('commit', json_extract(target, '\$.commit'), 'environment', 'staging', 'service', 'svc-' || (i % 5000)),
    reason, ticket, created_at - i, content_digest, rule_name, requirement, pending_expires_at, access_duration_seconds,
    'expired', updated_at, access_expires_at, certificate_terms
FROM n, (SELECT * FROM requests WHERE id = '$id');
SQL
start_gateway "$work/gate.out" --data-dir "$work/gate"
read_path "$work/gate_path" check_1m "$started_url/v1/deploys/check" -s "$work/check.lua"
rows=$(sqlite3 "$work/gate/countersign.sqlite" 'SELECT count(*) FROM requests')
{
  echo "-- deploy gate over loopback: POST /v1/deploys/check with a machine token, wrk -t2 -c32 -d10s --latency each;"
  echo "   nginx serves the bytes of the gate's answer from a file; check_1m is the same check with $rows requests in the database"
  awk '
    { name[NR] = $1; rps[NR] = $2; p50[NR] = $3; p99[NR] = $4; bad[NR] = $5; if ($1 == "nginx") nginx = $2; if ($1 == "healthz") healthz = $2; if ($1 == "check") check = $2 }
    END { for (i = 1; i <= NR; i++) printf "deploy_check target=%s requests_per_second=%.0f p50_ms=%.2f p99_ms=%.2f non_2xx=%d ratio_to_nginx=%.2f ratio_to_healthz=%.2f ratio_to_small_db=%.2f\n", name[i], rps[i], p50[i], p99[i], bad[i], rps[i] / nginx, rps[i] / healthz, rps[i] / check }' "$work/gate_path"
  echo "deploy_check_goal check ratio_to_nginx>=0.25; check_1m ratio_to_small_db>=0.80"
} | tee -a "$out"
kill "$started_pid"
fi

if wants recorder; then
rec="$work/recorder"
mkdir -p "$rec/spool" "$rec/asciinema"
# 200 MB of base64 lines (76 columns): text, as a log dump prints it; read once so that every
# contender finds it in the page cache.
head -c 150000000 /dev/urandom | base64 >"$rec/output.txt"
truncate -s 200000000 "$rec/output.txt"
cat "$rec/output.txt" >/dev/null
# Every byte a contender's terminal must show: the session's pty turns each LF into CR LF.
terminal_bytes=$(( $(stat -c %s "$rec/output.txt") + $(wc -l <"$rec/output.txt") ))
# The example policies with a recorded SSH rule first, as the end-to-end tests have it (what is
# typed is recorded too, as for break-glass).
cp -r policies "$rec/policies"
awk '{ print } /^rules:$/ && !done { done = 1
  print "  - name: recorded-ssh\n    kind: ssh\n    match: { host: \"rec-*.prod.internal\" }\n    requesters: [engineering]"
  print "    approvals: [{ count: 1, group: sre }]\n    hardware_key: false\n    certificate: { lifetime: 30m, record: true, record_input: true }" }' \
  policies/ssh.yaml >"$rec/policies/ssh.yaml"
# The last --policies is the one taken. The forced command only goes into the certificates (no
# sshd here runs it): the script starts the recorder itself, pointed at this gateway.
start_gateway "$rec/gateway.out" --data-dir "$rec/data" --policies "$rec/policies" \
  --recorder-command "$bin/countersign record --gateway http://127.0.0.1:8080 --spool-dir $rec/spool"
rec_url=$started_url
rec_bob=$(login "$rec_url" bob)
rec_id=$(curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $rec_bob" \
  -d '{"kind":"ssh","host":"rec-1.prod.internal","login":"deploy","duration_seconds":1800,"reason":"Benchmark the session recorder","ticket":"CHG-3"}' \
  "$rec_url/v1/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sf -X POST -H "Authorization: Bearer $(login "$rec_url" dave)" "$rec_url/v1/requests/$rec_id/approve" >/dev/null
export TERM=xterm-256color ASCIINEMA_CONFIG_HOME="$rec/asciinema"

# recorded COMMAND PTY_BENCH_ARG...: countersign record on the driver's terminal as sshd runs it
# (SSH_USER_AUTH names the certificate, SSH_ORIGINAL_COMMAND is COMMAND), for a new certificate of
# bob's request, so a recording of its own; fails unless the recorder says the gateway holds it
# complete. The spool is removed afterwards, the gateway's copy kept.
recorded() {
  local command=$1 recording
  shift
  rm -f "$rec/key" "$rec/key.pub"
  ssh-keygen -q -t ed25519 -N '' -C bench -f "$rec/key"
  recording=$(python3 -c 'import json,sys; print(json.dumps({"public_key": open(sys.argv[1]).read().strip()}))' "$rec/key.pub" |
    curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $rec_bob" -d @- "$rec_url/v1/requests/$rec_id/ssh-certificate" |
    python3 -c 'import json,sys; view = json.load(sys.stdin); open(sys.argv[1], "w").write("publickey " + " ".join(view["certificate"].split()[:2]) + "\n"); print(view["recording_id"])' "$rec/auth")
  SSH_USER_AUTH="$rec/auth" SSH_ORIGINAL_COMMAND="$command" \
    python3 bench/pty_bench.py "$@" "$bin/countersign" record --gateway "$rec_url" --spool-dir "$rec/spool"
  # The session's state file, beside its spool: <recording id>[.<session>].state.
  if ! cat "$rec/spool/$recording"*.state 2>/dev/null | grep -q '"complete":true'; then
    echo "recording $recording is not complete on the gateway: $(cat "$rec/spool/$recording"*.state 2>&1)" >&2
    exit 1
  fi
  rm -f "$rec/spool/$recording"*
}
# throughput NAME: one timed cat of the file by contender NAME on a fresh terminal; appends the
# seconds until it ended to $rec/seconds.NAME, and for the recorder the seconds until the last
# byte was shown (the rest is its final upload) to $rec/seconds.recorder_shown.
throughput() {
  local file="$rec/output.txt"
  # What the last contender left to write back would otherwise slow this one's syncs.
  sync
  case $1 in
    recorder) recorded "cat $file" throughput ;;
    script_file) python3 bench/pty_bench.py throughput script -q -c "cat $file" "$rec/script.log" ;;
    pty_alone) python3 bench/pty_bench.py throughput script -q -c "cat $file" /dev/null ;;
    asciinema) python3 bench/pty_bench.py throughput asciinema rec -q --overwrite -c "cat $file" "$rec/asciinema.cast" ;;
    terminal_only) python3 bench/pty_bench.py throughput cat "$file" ;;
  esac >"$rec/run.out"
  rm -f "$rec/script.log" "$rec/asciinema.cast"
  # asciinema 2.2 stops reading when its command exits, so the last KB still in its pty never
  # reach the terminal; it is timed all the same. Every other contender shows every byte.
  local shown least=$terminal_bytes
  shown=$(sed -n 's/.* bytes=\([0-9]*\) .*/\1/p' "$rec/run.out")
  [ "$1" != asciinema ] || least=$((terminal_bytes - 1048576))
  if [ -z "$shown" ] || [ "$shown" -lt "$least" ] || [ "$shown" -gt "$terminal_bytes" ]; then
    echo "$1 showed $(cat "$rec/run.out"), not the $terminal_bytes bytes of the file" >&2
    exit 1
  fi
  sed -n 's/^seconds=\([0-9.]*\) .*/\1/p' "$rec/run.out" >>"$rec/seconds.$1"
  [ "$1" != recorder ] || sed -n 's/.* shown_seconds=\([0-9.]*\)$/\1/p' "$rec/run.out" >>"$rec/seconds.recorder_shown"
}
last() { tail -1 "$rec/seconds.$1"; }
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
# met VALUE <=|>= GOAL: yes or no.
met() { awk -v v="$1" -v op="$2" -v goal="$3" 'BEGIN { print ((op == "<=" ? v <= goal : v >= goal) ? "yes" : "no") }'; }
contenders=(recorder script_file pty_alone asciinema terminal_only)
rounds=5
{
  echo "-- session recorder: cat of a 200 MB file ($terminal_bytes bytes on the terminal) on a fresh pty driven by bench/pty_bench.py"
  echo "   (each contender makes its own pty for cat and relays it to that one), $rounds rounds in rotating order; countersign record"
  echo "   spools and uploads to a live countersignd on the same $(nproc) cores. recorder_s: until the session ended (the recorder"
  echo "   exits once the gateway holds the whole recording), recorder_shown_s: until its last byte was shown; ratios of seconds,"
  echo "   each the median of the rounds' ratios"
  for round in $(seq "$rounds"); do
    line="round=$round"
    for n in $(seq 0 $(( ${#contenders[@]} - 1 ))); do
      name=${contenders[$(( (n + round - 1) % ${#contenders[@]} ))]}
      throughput "$name"
      line="$line ${name}_s=$(last "$name")"
    done
    echo "recorder_throughput $line recorder_shown_s=$(last recorder_shown)"
    for measured in recorder recorder_shown; do
      echo "$(ratio "$(last "$measured")" "$(last script_file)")" >>"$rec/ratio.$measured.script"
      echo "$(ratio "$(last "$measured")" "$(last pty_alone)")" >>"$rec/ratio.$measured.pty"
      echo "$(ratio "$(last asciinema)" "$(last "$measured")")" >>"$rec/ratio.$measured.asciinema"
    done
  done
  medians=""
  for name in "${contenders[@]}" recorder_shown; do medians="$medians ${name}_s=$(median <"$rec/seconds.$name")"; done
  echo "recorder_throughput_median$medians recorder_mb_per_s=$(awk -v s="$(median <"$rec/seconds.recorder")" 'BEGIN { printf "%.0f", 200 / s }')"
  for measured in recorder recorder_shown; do
    over_script=$(median <"$rec/ratio.$measured.script")
    over_pty=$(median <"$rec/ratio.$measured.pty")
    asciinema_over=$(median <"$rec/ratio.$measured.asciinema")
    echo "${measured}_ratios ${measured}_over_script=$over_script ${measured}_over_pty_alone=$over_pty asciinema_over_${measured}=$asciinema_over" \
      "goals: over_script<=1.00:$(met "$over_script" "<=" 1.00) over_pty_alone<=1.20:$(met "$over_pty" "<=" 1.20) asciinema_over>=1.50:$(met "$asciinema_over" ">=" 1.50)"
  done

  # One keystroke's echo: the program puts its terminal in raw mode and echoes each byte itself,
  # as a shell's line editor does; bare on the driver's pty, under the recorder (two more hops
  # through it), and under script to /dev/null (the same hops through a plain relay).
  echo_count=2000
  # dd writes each byte as it reads it (head would hold them in stdio's buffer).
  echo_program="stty raw -echo; printf READY; dd bs=1 count=$((echo_count + 200)) status=none"
  echo "-- keystroke echo: one byte written, its echo awaited, $echo_count times after 200 to warm up; $rounds rounds; p50/p99 in microseconds"
  for round in $(seq "$rounds"); do
    sync
    python3 bench/pty_bench.py echo "$echo_count" sh -c "$echo_program" >"$rec/echo.bare"
    recorded "$echo_program" echo "$echo_count" >"$rec/echo.recorder"
    python3 bench/pty_bench.py echo "$echo_count" script -q -c "$echo_program" /dev/null >"$rec/echo.script"
    line="round=$round"
    for name in bare recorder script; do
      read -r p50 p99 _ < <(sed 's/[a-z0-9_]*=//g' "$rec/echo.$name")
      echo "$p50" >>"$rec/p50.$name"
      echo "$p99" >>"$rec/p99.$name"
      line="$line ${name}_p50_us=$p50 ${name}_p99_us=$p99"
    done
    echo "recorder_echo $line"
  done
  for q in p50 p99; do
    bare=$(median <"$rec/$q.bare")
    recorder=$(median <"$rec/$q.recorder")
    script=$(median <"$rec/$q.script")
    echo "recorder_echo_median_$q bare_us=$bare recorder_us=$recorder script_us=$script" \
      "recorder_added_us=$(awk -v a="$recorder" -v b="$bare" 'BEGIN { printf "%.1f", a - b }')" \
      "script_added_us=$(awk -v a="$script" -v b="$bare" 'BEGIN { printf "%.1f", a - b }')" \
      "recorder_over_bare=$(ratio "$recorder" "$bare") recorder_over_script=$(ratio "$recorder" "$script")"
  done
} | tee -a "$out"
kill "$started_pid"
fi

if wants outbox; then
# nginx is the receiver for both contenders: a process of its own, as a real webhook receiver
# would be, so neither pays for the other's server in its own process.
start_nginx hook
{
  echo "-- notification outbox: OutboxDispatcher (batch 64, 8 in flight) on a SQLite store (synchronous=full) delivering"
  echo "   signed webhook POSTs to nginx answering 204, beside a plain POST loop of the same requests, same client settings,"
  echo "   8 in flight; then one page at a time: enqueue (its commit) to the receiver's answer, beside one plain POST"
  "$bin/countersign-bench-outbox" "http://127.0.0.1:$nginx_port/hook" 20000 3 200
} | tee -a "$out"
fi

if wants break-glass; then
{
  echo "-- break-glass: POST /v1/break-glass one at a time as an on-call SRE on a live countersignd (SQLite, full durability,"
  echo "   page wait 5 s), paging a local PagerDuty Events v2 receiver; from the call to the page's arrival and to the"
  echo "   credential's return, beside an ordinary SSH request's filing and a plain POST to the receiver, same run"
  python3 bench/break_glass_bench.py "$bin/countersignd" "$bin/countersign" "$work/pam" "$work" 200
} | tee -a "$out"
fi

if wants fuzz; then
{
  echo "-- long fuzz run: mutated W3C vectors and random bytes through the CBOR decoder and both ceremonies"
  start=$(date +%s)
  COUNTERSIGN_FUZZ_ITERATIONS=300000 swift test --filter FuzzTests 2>&1 | grep -E "Test run|✘" | tail -3
  echo "fuzz_iterations_per_kind=300000 seconds=$(( $(date +%s) - start ))"
} | tee -a "$out"
fi
