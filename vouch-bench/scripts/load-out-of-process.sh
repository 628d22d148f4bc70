#!/usr/bin/env bash
# Starts `bin/vouch server` (H2 by default, plain HTTP on 127.0.0.1, a scratch data dir) and runs the
# out-of-process load generators against it: `bin/vouch bench kbs` and `bin/vouch bench attest`,
# each at the arrival rates given, and `bin/vouch bench hosts` (simulated TPM hosts that enroll and
# are polled over NATS), with the server's CPU read from /proc. Results: one summary line per run on
# stdout and RESULTS_DIR/<workload>-<rate>.json (hosts: RESULTS_DIR/hosts-<N>.json).
#
#   vouch-bench/scripts/load-out-of-process.sh [RESULTS_DIR]
#   env: RATES="100 200 400" (open model, per second; cN is a closed loop of N clients, e.g. c4)
#        DURATION=20  WARMUP=5
#        WORKLOADS="kbs attest" (add or give "hosts")  JDBC_URL=jdbc:postgresql://127.0.0.1:5432/DB
#        (default: H2)
#        hosts: HOSTS=2000 (one count: the hosts stay enrolled on the server), POLL=60 (the server's
#        hosts.poll_seconds), HOSTS_WARMUP (default one poll), DURATION as above; a nats-server on a
#        free port and the bench EK CA (`bin/vouch bench hosts-ca`, trusted by the server through
#        registrar.ek_roots and registrar.ek_crls) are set up here
#        SERVER_JAVA_OPTS (extra JVM flags of the server only, e.g. a JFR recording),
#        VOUCH_SERVER_HEAP, VOUCH_JAVA_OPTS (as bin/vouch reads them)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d /tmp/vouch-load-XXXXXX)}
mkdir -p "$out"
data=$(mktemp -d /tmp/vouch-load-data-XXXXXX)
token="load-admin-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$token" >"$data.token"
chmod 600 "$data.token"
# the KBS admin key that stores the bench secret
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$data.kbs.key" 2>/dev/null
openssl pkey -in "$data.kbs.key" -pubout -out "$data.kbs.pub" 2>/dev/null

export VOUCH_TLS_MODE=off VOUCH_HTTP_HOST=127.0.0.1 VOUCH_ADMIN_TOKEN="$token"
export VOUCH_KBS_TEES=tpm VOUCH_KBS_ADMIN_KEY_FILES="$data.kbs.pub"
# every load client is 127.0.0.1: the per-client limits would measure themselves
export VOUCH_KBS_AUTH_RATE_PER_SECOND=0 VOUCH_KBS_ATTEST_RATE_PER_SECOND=0 VOUCH_HTTP_ATTEST_RATE_PER_SECOND=0
[ -n "${JDBC_URL:-}" ] && export VOUCH_STORAGE_JDBC_URL="$JDBC_URL" VOUCH_STORAGE_USERNAME="${JDBC_USER:-postgres}"

case " ${WORKLOADS:-kbs attest} " in
  *" hosts "*)
    "$here/bin/vouch" bench hosts-ca "$data.ekca" >/dev/null
    mkdir -p "$data.nats"
    nats-server -a 127.0.0.1 -p -1 --ports_file_dir "$data.nats" >"$data.nats/log" 2>&1 &
    nats_pid=$!
    trap 'kill "$nats_pid" 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do
      nats_url=$(cat "$data.nats"/*.ports 2>/dev/null | sed -n 's/.*"\(nats:\/\/[^"]*\)".*/\1/p' | head -1 || true)
      [ -n "$nats_url" ] && break
      sleep 0.1
    done
    [ -n "${nats_url:-}" ] || { echo "nats-server did not start" >&2; exit 3; }
    export VOUCH_HOSTS_NATS_URL="$nats_url" VOUCH_HOSTS_POLL_SECONDS="${POLL:-60}"
    export VOUCH_REGISTRAR_EK_ROOTS="$data.ekca/ek-ca.pem" VOUCH_REGISTRAR_EK_CRLS="$data.ekca/ek-ca.crl"
    ;;
esac

VOUCH_JAVA_OPTS="${SERVER_JAVA_OPTS:-}" "$here/bin/vouch" server --data-dir "$data" --port 0 >"$data.out" 2>"$data.log" &
pid=$!
trap 'kill "$pid" ${nats_pid:-} 2>/dev/null || true; wait "$pid" ${nats_pid:-} 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  url=$(sed -n 's/^vouch server listening on //p' "$data.out" 2>/dev/null | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$data.log" >&2; exit 3; }
  sleep 0.2
done
[ -n "$url" ] || { echo "the server did not start" >&2; exit 3; }
# the java process itself (bin/vouch execs, so it is $pid)
echo "server pid $pid at $url, data $data, results $out" >&2

for w in ${WORKLOADS:-kbs attest}; do
  if [ "$w" = hosts ]; then
    warm=()
    [ -n "${HOSTS_WARMUP:-}" ] && warm=(--warmup "$HOSTS_WARMUP")
    "$here/bin/vouch" bench hosts --server "$url" --nats "$nats_url" --ek-ca "$data.ekca" \
      --hosts "${HOSTS:-2000}" --poll-seconds "${POLL:-60}" --duration "${DURATION:-20}" "${warm[@]}" \
      --server-pid "$pid" --admin-token-file "$data.token" --out "$out/hosts-${HOSTS:-2000}.json" || true
    continue
  fi
  for r in ${RATES:-100 200 400}; do
    extra=()
    [ "$w" = kbs ] && extra=(--kbs-admin-key "$data.kbs.key")
    case "$r" in c*) model=(--concurrency "${r#c}") ;; *) model=(--rate "$r") ;; esac
    "$here/bin/vouch" bench "$w" --url "$url" "${model[@]}" --duration "${DURATION:-20}" \
      --warmup "${WARMUP:-5}" --server-pid "$pid" --admin-token-file "$data.token" \
      --out "$out/$w-$r.json" "${extra[@]}" || true
  done
done
