#!/usr/bin/env bash
# The proxy side by side with nginx (issue 14): one run, both servers, the same certificates and
# the same config (nginx's from docs/architecture.md's block, mtlskit's from `mtlskit
# import-nginx` of that block), each pinned to core 0 with the load on core 1, in alternating
# rounds (A B A B). Not part of CI: the figures want a quiet machine.
#
# The block is the architecture's, with TLS 1.3 allowed beside 1.2, h2 on the listener and a
# 300 s keep-alive (so the idle figure's connections stay open): the clients pick the version.
# Figures, each as a rate and per server CPU-second (utime + stime from /proc, every process of
# the server counted), with the ratio mtlskit / nginx:
#   full12 full13        full mTLS handshakes, openssl s_time -new -tls1_2 / -tls1_3
#   resumed12 resumed13  resumed handshakes (session tickets), openssl s_time -reuse (TLS 1.3:
#                        with -www /, as s_time reads the ticket only then; each fewer than
#                        90% resumed is reported)
#   keep                 keep-alive proxied requests over HTTP/1.1, oha with 16 connections, both
#                        hops mTLS, nginx with an upstream keepalive pool (the proxy pools itself)
#   keep_h2              the same over h2 (oha --http2, 16 connections)
#   conn                 one request per connection, oha --disable-keepalive
#   transfer             one download of TRANSFER_MB MiB through the proxy (curl), MiB/s
# and, not per CPU-second:
#   latency              p50 and p99 at RATE requests/s (below saturation), HTTP/1.1, 16 conns
#   idle                 memory per idle keep-alive mTLS connection: RSS with IDLE connections
#                        open (bench/idle_clients.py) minus RSS before, divided by IDLE
#   rss                  RSS at rest (after start, before any load) and after the run
#   floor                the crypto floor of one full TLS 1.2 handshake from `openssl speed`:
#                        the server's signature, two X25519 operations, two ECDSA P-256
#                        verifications (client certificate and CertificateVerify)
#
# usage: bench/proxy.sh            environment: MTLSKIT_BIN (cargo xtask bench sets it),
#        SECONDS_PER_ROUND (5), ROUNDS (2), KEY (rsa2048 | p256: the server key, default
#        rsa2048), RATE (2000), IDLE (10000), TRANSFER_MB (1024), FIGURES (a space-separated
#        subset of the names above; default all), IDENTITY (1: both pass the client's identity
#        headers upstream, the default; 0: neither does), TICKETS (1: session tickets on, as
#        the block has them; 0: both servers with tickets off, so resumed12 resumes by session
#        ID from the session cache and resumed13 by the server's stateful tickets), PROFILE (a folder: perf-record mtlskit
#        during each figure of the first round and write FIGURE.svg flamegraphs and
#        FIGURE.folded stacks there; needs linux-perf and inferno, which `cargo xtask setup`
#        installs for benchmarks; the recording costs CPU, so take figures from runs without it),
#        ALLOC_ENV (1: mtlskit runs with the allocator settings of deploy/'s unit and image, the
#        default; 0: without), AGAINST (the path of another mtlskit binary: it takes nginx's
#        place, serving the same proxy.toml, so one run compares two builds round by round; the
#        ratios are MTLSKIT_BIN / AGAINST and no goal applies. Two runs of one build this way
#        measured 1.00x and 1.01x: the tool for changes of a few per cent, which the spread of
#        nginx's own figure between runs hides)
# Prints a Markdown table; exits 1 when a goal of issue 14 is missed (handshakes per CPU-second
# at least 2x nginx; keep-alive requests at least 1.3x with p99 no higher; memory per idle
# connection no more than nginx's; RSS at rest at most 2x; full TLS 1.2 handshakes within 1.5x
# of the crypto floor).
# Everything started here is stopped at exit (nginx with SIGQUIT, then waited for).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mtlskit=${MTLSKIT_BIN:?"set MTLSKIT_BIN, or run cargo xtask bench proxy"}
seconds=${SECONDS_PER_ROUND:-5}
rounds=${ROUNDS:-2}
key=${KEY:-rsa2048}
rate_limit=${RATE:-2000}
idle=${IDLE:-10000}
transfer_mb=${TRANSFER_MB:-1024}
all_figures="full12 full13 resumed12 resumed13 keep keep_h2 conn transfer latency idle"
figures=${FIGURES:-$all_figures}
profile=${PROFILE:-}
identity=${IDENTITY:-1}
tickets=${TICKETS:-1}
against=${AGAINST:-}
anchor=nginx
[ -z "$against" ] || anchor="AGAINST"
command -v oha >/dev/null || { echo "bench/proxy.sh: oha is missing: cargo xtask setup (for benchmarks)" >&2; exit 2; }
command -v nginx >/dev/null || { echo "bench/proxy.sh: nginx is missing: cargo xtask setup" >&2; exit 2; }
if [ -n "$profile" ]; then
  command -v perf >/dev/null && command -v inferno-flamegraph >/dev/null \
    || { echo "bench/proxy.sh: PROFILE needs perf and inferno: cargo xtask bench sets them up" >&2; exit 2; }
  mkdir -p "$profile"; profile=$(cd "$profile" && pwd)
fi
wants() { case " $figures " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
# IDLE connections, each a socket in a server and in the client: as many files as allowed.
ulimit -n "$(ulimit -Hn)"
[ "$idle" -lt "$(($(ulimit -n) - 512))" ] || { echo "IDLE=$idle needs more open files than ulimit -Hn allows" >&2; exit 2; }

w=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    if [ -f "$w/$p.nginx" ]; then kill -QUIT "$p" 2>/dev/null || true; else kill -TERM "$p" 2>/dev/null || true; fi
  done
  for p in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$w"
}
trap cleanup EXIT
cd "$w"

# --- PKI: a P-256 CA; the server key as asked; P-256 client and upstream certificates. ------
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 30 -subj "/CN=bench CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
case $key in
  rsa2048) skey=(-newkey rsa:2048 -nodes) ;;
  p256) skey=("${ec[@]}") ;;
  *) echo "KEY must be rsa2048 or p256" >&2; exit 2 ;;
esac
printf '[s]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n[c]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' > ext.cnf
leaf() { # name subject section keyargs...
  local name=$1 subj=$2 sect=$3; shift 3
  openssl req -new "$@" -keyout "$name.key" -out "$name.csr" -subj "$subj" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile ext.cnf -extensions "$sect" -out "$name.pem" 2>/dev/null
}
leaf server /CN=localhost s "${skey[@]}"
leaf upstream /CN=localhost s "${ec[@]}"
leaf client "/CN=bench client" c "${ec[@]}"
chmod 600 ./*.key

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }
up_port=$(port); nginx_port=$(port); mtlskit_port=$(port)

nginx_conf() { # file body
  cat > "$1" <<EOF
worker_processes 1;
worker_rlimit_nofile $(ulimit -n);
pid $w/$1.pid;
error_log $w/$1.err error;
events { worker_connections 30000; }
http {
  access_log off;
  client_body_temp_path $w/tmp; proxy_temp_path $w/tmp; fastcgi_temp_path $w/tmp;
  uwsgi_temp_path $w/tmp; scgi_temp_path $w/tmp;
$2
}
EOF
}
start_nginx() { # conf cpu; sets started (not in $(...): nginx would hold its output open)
  taskset -c "$2" nginx -p "$w" -c "$w/$1" -g 'daemon off;' > "$w/$1.out" 2>&1 &
  started=$!
  pids+=("$started"); touch "$w/$started.nginx"
}
mkdir -p tmp files
# The upstream's workers (nginx's unprivileged user) read the file.
chmod 755 "$w" files
# The transfer's file: sparse, so making it costs nothing; both proxies relay the same bytes.
truncate -s "${transfer_mb}M" files/big.bin

# --- the mTLS upstream (both proxies use it) -------------------------------------------------
nginx_conf upstream.conf "  server {
    listen 127.0.0.1:$up_port ssl;
    ssl_certificate $w/upstream.pem; ssl_certificate_key $w/upstream.key;
    ssl_client_certificate $w/ca.pem; ssl_verify_client on;
    keepalive_requests 100000;
    location = / { return 200 \"ok\\n\"; }
    location /files/ { root $w; }
  }"
start_nginx upstream.conf 1
wait_port "$up_port"

# --- nginx: docs/architecture.md's block, on this machine's ports, with an upstream pool -----
# Both proxies tell the upstream who the client is, as an mTLS front must (IDENTITY=0: neither
# does): mtlskit's default identity headers (docs/config.md) and their nginx spelling, plus the
# X-Forwarded-* and X-Real-IP that mtlskit always sets.
identity_headers=""
if [ "$identity" = 1 ]; then
  identity_headers='    proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
    proxy_set_header X-SSL-Client-S-DN $ssl_client_s_dn;
    proxy_set_header X-SSL-Client-I-DN $ssl_client_i_dn;
    proxy_set_header X-SSL-Client-Serial $ssl_client_serial;
    proxy_set_header X-SSL-Client-Fingerprint $ssl_client_fingerprint;
    proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;
    proxy_set_header X-SSL-Client-Not-Before $ssl_client_v_start;
    proxy_set_header X-SSL-Client-Not-After $ssl_client_v_end;
    proxy_set_header X-SSL-Client-V-Remain $ssl_client_v_remain;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $host;
    proxy_set_header X-Real-IP $remote_addr;'
fi
block="server {
  listen 127.0.0.1:$nginx_port ssl http2;
  ssl_certificate $w/server.pem; ssl_certificate_key $w/server.key;
  ssl_client_certificate $w/ca.pem; ssl_verify_client on;
  ssl_session_cache shared:SSL:1m; ssl_session_timeout 5m;$([ "$tickets" = 1 ] || printf '\n  ssl_session_tickets off;')
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_prefer_server_ciphers on;
  keepalive_timeout 300s;
  location / {
    proxy_ssl_certificate $w/client.pem; proxy_ssl_certificate_key $w/client.key;
    proxy_ssl_trusted_certificate $w/ca.pem; proxy_ssl_verify on; proxy_ssl_name localhost;
    proxy_ssl_session_reuse on;
$identity_headers
    proxy_pass https://127.0.0.1:$up_port;
  }
}"
echo "$block" > block.conf
# nginx keeps upstream connections alive only with an upstream{} pool and HTTP/1.1.
nginx_block=${block/proxy_pass https:\/\/127.0.0.1:$up_port;/proxy_pass https://up; proxy_http_version 1.1; proxy_set_header Connection \"\";}
nginx_conf front.conf "  upstream up { server 127.0.0.1:$up_port; keepalive 32; }
  keepalive_requests 100000;
$nginx_block"

# --- mtlskit: the same block through import-nginx --------------------------------------------
"$mtlskit" import-nginx block.conf 2>/dev/null > proxy.toml
# The same block, on mtlskit's own port; access log off as nginx's; as many connections as
# nginx's worker_connections (the default, 1024, would refuse the idle figure's).
sed -i "s/127.0.0.1:$nginx_port/127.0.0.1:$mtlskit_port/" proxy.toml
sed -i '0,/^\[server\]$/s//[server]\nmax_connections = 30000/' proxy.toml
[ "$identity" = 1 ] || sed -i '/^\[\[.*location\]\]$/a identity_headers = []' proxy.toml
printf '\n[log]\naccess = "off"\nerror = "stderr"\nlevel = "error"\n' >> proxy.toml
"$mtlskit" check --config proxy.toml >/dev/null

# CPU ticks (utime + stime) of a process and its children.
ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    read -r -a f < "/proc/$p/stat"
    total=$((total + f[13] + f[14]))
  done
  echo "$total"
}
rss_kib() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$p/status")))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)

# As deployed: the systemd unit and the image set mimalloc's options (docs/deploy.md, "Memory");
# ALLOC_ENV=0 runs without them.
if [ "${ALLOC_ENV:-1}" = 1 ]; then export MIMALLOC_PURGE_DELAY=0 MIMALLOC_ARENA_EAGER_COMMIT=0; fi
if [ -z "$against" ]; then
  start_nginx front.conf 0
  nginx_pid=$started
else
  # The other build in nginx's place: the same config on nginx's port.
  sed "s/127.0.0.1:$mtlskit_port/127.0.0.1:$nginx_port/" proxy.toml > against.toml
  taskset -c 0 "$against" serve --config against.toml 2> against.err &
  nginx_pid=$!
  pids+=("$nginx_pid")
fi
wait_port "$nginx_port"
taskset -c 0 "$mtlskit" serve --config proxy.toml 2> mtlskit.err &
mtlskit_pid=$!
pids+=("$mtlskit_pid")
wait_port "$mtlskit_port"
declare -A rest
rest[nginx]=$(rss_kib "$nginx_pid"); rest[mtlskit]=$(rss_kib "$mtlskit_pid")

# oha's JSON -> "requests p50_ms p99_ms" (200 answers only; anything else is a failure).
oha_json() {
  python3 -c '
import json, sys
d = json.load(sys.stdin)
codes = d.get("statusCodeDistribution", {})
ok = sum(v for k, v in codes.items() if k == "200")
# Requests still in flight when the duration ends are cut by oha, not failed by the server.
errors = {k: v for k, v in d.get("errorDistribution", {}).items() if k != "aborted due to deadline"}
bad = sum(v for k, v in codes.items() if k != "200") + sum(errors.values())
if bad:
    print("oha: %d failed requests: %s %s" % (bad, codes, errors), file=sys.stderr)
p = d.get("latencyPercentiles", {})
print(ok, 1000 * (p.get("p50") or 0), 1000 * (p.get("p99") or 0))'
}

# One measurement: prints "count cpu_seconds p50_ms p99_ms wall_seconds" (wall: the transfer's).
measure() { # server_pid port figure
  local pid=$1 port=$2 figure=$3 before after n=0 p50=0 p99=0 wall=0
  before=$(ticks "$pid")
  case $figure in
    full12|full13|resumed12|resumed13)
      local flag=-new version=-tls1_${figure: -1} www=() out reused
      case $figure in resumed*) flag=-reuse ;; esac
      # A TLS 1.3 ticket comes after the handshake: s_time only reads it when it asks for a
      # page, so the TLS 1.3 resumed figure is a resumption plus one proxied request.
      [ "$figure" = resumed13 ] && www=(-www /)
      out=$(taskset -c 1 openssl s_time -connect "127.0.0.1:$port" $flag "$version" -time "$seconds" \
            "${www[@]}" -cert client.pem -key client.key -CAfile ca.pem 2>/dev/null)
      n=$(awk '/connections in/ && /real seconds/ {print $1; exit}' <<< "$out")
      # s_time prints r for each resumed connection: a "resumed" figure must be resumptions.
      case $figure in
        resumed*)
          reused=$(grep -v 'connections' <<< "$out" | tr -cd 'r' | wc -c)
          if [ "$reused" -lt $(( ${n:-0} * 9 / 10 )) ]; then
            echo "$figure: only $reused of ${n:-0} connections resumed" >&2
          fi
          ;;
      esac
      ;;
    keep|keep_h2|conn|latency)
      local extra=()
      case $figure in
        conn) extra=(--disable-keepalive) ;;
        keep_h2) extra=(--http2) ;;
        latency) extra=(-q "$rate_limit") ;;
      esac
      read -r n p50 p99 < <(taskset -c 1 oha -z "${seconds}s" -c 16 --no-tui --output-format json "${extra[@]}" \
            --cacert ca.pem --cert client.pem --key client.key \
            "https://localhost:$port/" 2>/dev/null | oha_json)
      ;;
    transfer)
      local status got
      read -r status got wall < <(taskset -c 1 curl -sS --cacert ca.pem --cert client.pem --key client.key \
              -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' "https://localhost:$port/files/big.bin")
      [ "$status" = 200 ] || echo "transfer: HTTP $status" >&2
      # The rate is in MiB: the figure's count is the MiB moved.
      n=$(python3 -c "print($got / 1048576)")
      ;;
  esac
  after=$(ticks "$pid")
  echo "${n:-0} $(python3 -c "print(($after - $before) / $hz)") ${p50:-0} ${p99:-0} ${wall:-0}"
}

# perf-records mtlskit while a figure runs and writes its flamegraph (PROFILE=folder).
profiled() { # figure
  if [ -z "$profile" ]; then measure "$mtlskit_pid" "$mtlskit_port" "$1"; return; fi
  perf record -F 999 -g --call-graph dwarf,16384 -p "$mtlskit_pid" -o "$w/perf.data" -- sleep "$((seconds + 1))" >/dev/null 2>&1 &
  local rec=$! measured
  measured=$(measure "$mtlskit_pid" "$mtlskit_port" "$1")
  wait "$rec" || true
  perf script -i "$w/perf.data" 2>/dev/null | inferno-collapse-perf > "$profile/$1.folded" 2>/dev/null || true
  inferno-flamegraph --minwidth 0.5 --title "mtlskit serve: $1" < "$profile/$1.folded" > "$profile/$1.svg" 2>/dev/null || true
  # The measurement last: the caller reads this line and goes on (at the end, to the cleanup
  # that removes the work folder), so the profile is written before it.
  echo "$measured"
}

declare -A rate cpu p50 p99 wall
timed="full12 full13 resumed12 resumed13 keep keep_h2 conn transfer latency"
for figure in $timed; do
  for server in nginx mtlskit; do rate[$server.$figure]=0; cpu[$server.$figure]=0; p50[$server.$figure]=0; p99[$server.$figure]=0; wall[$server.$figure]=0; done
done
for round in $(seq "$rounds"); do
  for figure in $timed; do
    wants "$figure" || continue
    for server in nginx mtlskit; do
      if [ "$server" = nginx ]; then
        read -r n c l50 l99 t < <(measure "$nginx_pid" "$nginx_port" "$figure")
      elif [ "$round" = 1 ]; then
        read -r n c l50 l99 t < <(profiled "$figure")
      else
        read -r n c l50 l99 t < <(measure "$mtlskit_pid" "$mtlskit_port" "$figure")
      fi
      rate[$server.$figure]=$(python3 -c "print(${rate[$server.$figure]} + $n)")
      cpu[$server.$figure]=$(python3 -c "print(${cpu[$server.$figure]} + $c)")
      wall[$server.$figure]=$(python3 -c "print(${wall[$server.$figure]} + $t)")
      # Latency: the worst round's percentiles.
      p50[$server.$figure]=$(python3 -c "print(max(${p50[$server.$figure]}, $l50))")
      p99[$server.$figure]=$(python3 -c "print(max(${p99[$server.$figure]}, $l99))")
    done
  done
  echo "round $round of $rounds done" >&2
done

# --- memory per idle connection: IDLE keep-alive connections open at once, one server at a time
declare -A per_idle
for server in nginx mtlskit; do
  wants idle || break
  if [ "$server" = nginx ]; then pid=$nginx_pid p=$nginx_port; else pid=$mtlskit_pid p=$mtlskit_port; fi
  before=$(rss_kib "$pid")
  coproc IDLE_CLIENTS { taskset -c 1 python3 "$root/bench/idle_clients.py" "$p" "$idle" ca.pem client.pem client.key; }
  line=""
  while read -r line <&"${IDLE_CLIENTS[0]}"; do
    case $line in failed*) echo "idle ($server): $line" >&2 ;; open*) break ;; esac
  done
  held=${line#open }
  # Idle means idle: mtlskit parks an HTTP/1.1 connection 1 s after its last request (nginx
  # frees its buffers at once), so both servers get 2 s before their RSS is read.
  sleep 2
  during=$(rss_kib "$pid")
  per_idle[$server]=$(python3 -c "print(($during - $before) / max(1, ${held:-0}))")
  echo "idle ($server): ${held:-0} connections open, RSS $before -> $during KiB" >&2
  exec {IDLE_CLIENTS[1]}>&-
  wait "$IDLE_CLIENTS_PID" || true
done

total=$((seconds * rounds))
echo
echo "Server key $key, $rounds rounds of ${seconds}s, $(nproc) cores, $(uname -r), nginx $(nginx -v 2>&1 | sed 's/.*\///'), $(openssl version | cut -d' ' -f1-2)"
[ -z "$against" ] || echo "AGAINST: $against (in nginx's place; ratios: $mtlskit / AGAINST)"
echo
echo "| figure | $anchor /s | mtlskit /s | $anchor per CPU-s | mtlskit per CPU-s | ratio per CPU-s |"
echo "|---|---:|---:|---:|---:|---:|"
missed=0
row() { # python prints a row; a row with "missed" fails the run
  local line
  line=$(python3 - "$@")
  # Two builds compared (AGAINST): no goal applies.
  [ -z "$against" ] || line=$(sed -E 's/ ?\(goal[^)]*\)//; s/, missed//' <<< "$line")
  echo "$line"
  case $line in *missed*) missed=1 ;; esac
}
for figure in $timed; do
  wants "$figure" || continue
  [ "$figure" = latency ] && continue
  row "$figure" "${rate[nginx.$figure]}" "${cpu[nginx.$figure]}" "${rate[mtlskit.$figure]}" "${cpu[mtlskit.$figure]}" "$total" "${wall[nginx.$figure]}" "${wall[mtlskit.$figure]}" "$transfer_mb" <<'EOF'
import sys
import os
fig, nr, nc, mr, mc, t, nw, mw, mb = sys.argv[1], *map(float, sys.argv[2:])
tickets = os.environ.get("TICKETS", "1") != "0"
names = {
    "full12": "full mTLS handshakes, TLS 1.2", "full13": "full mTLS handshakes, TLS 1.3",
    "resumed12": "resumed handshakes, TLS 1.2 (%s)" % ("ticket" if tickets else "session ID"),
    "resumed13": "resumed handshakes + one request, TLS 1.3 (%s)" % ("ticket" if tickets else "stateful ticket"),
    "keep": "keep-alive proxied requests, HTTP/1.1", "keep_h2": "keep-alive proxied requests, h2",
    "conn": "one request per connection", "transfer": "a %d MiB download, MiB" % mb,
}
per = lambda r, c: r / c if c else 0.0
if fig == "transfer":
    # One download per round: its own wall time, not the round's.
    nr, mr, t = per(nr, nw), per(mr, mw), 1.0
ratio = per(mr, mc) / per(nr, nc) if per(nr, nc) else 0.0
goal = {"full12": 2.0, "full13": 2.0, "resumed12": 2.0, "resumed13": 2.0, "keep": 1.3, "keep_h2": 1.3}.get(fig)
mark = "" if goal is None else (" (goal %.1fx%s)" % (goal, "" if ratio >= goal else ", missed"))
print("| %s | %.0f | %.0f | %.0f | %.0f | %.2fx%s |" % (names.get(fig, fig), nr / t, mr / t, per(nr, nc), per(mr, mc), ratio, mark))
EOF
done
echo
echo "| figure | $anchor | mtlskit | ratio |"
echo "|---|---:|---:|---:|"
if wants latency; then
  row "${p50[nginx.latency]}" "${p99[nginx.latency]}" "${p50[mtlskit.latency]}" "${p99[mtlskit.latency]}" "$rate_limit" <<'EOF'
import sys
n50, n99, m50, m99, r = map(float, sys.argv[1:])
print("| p50 at %.0f requests/s, HTTP/1.1 (worst round) | %.2f ms | %.2f ms | %.2fx |" % (r, n50, m50, m50 / n50 if n50 else 0))
print("| p99 at %.0f requests/s (goal: no higher) | %.2f ms | %.2f ms | %.2fx%s |" % (r, n99, m99, m99 / n99 if n99 else 0, "" if m99 <= n99 else ", missed"))
EOF
fi
if wants idle; then
  row "${per_idle[nginx]:-0}" "${per_idle[mtlskit]:-0}" "$idle" <<'EOF'
import sys
n, m, count = map(float, sys.argv[1:])
print("| memory per idle keep-alive mTLS connection (%d open; goal: no more) | %.1f KiB | %.1f KiB | %.2fx%s |" % (count, n, m, m / n if n else 0, "" if m <= n else ", missed"))
EOF
fi
row "${rest[nginx]}" "${rest[mtlskit]}" "$(rss_kib "$nginx_pid")" "$(rss_kib "$mtlskit_pid")" <<'EOF'
import sys
nr, mr, na, ma = map(float, sys.argv[1:])
print("| RSS at rest (goal: at most 2x) | %.1f MB | %.1f MB | %.2fx%s |" % (nr / 1024, mr / 1024, mr / nr, "" if mr <= 2 * nr else ", missed"))
print("| RSS after the run | %.1f MB | %.1f MB | %.2fx |" % (na / 1024, ma / 1024, ma / na))
EOF

# --- the crypto floor of one full TLS 1.2 handshake, server side -----------------------------
if wants full12; then
  case $key in rsa2048) sign=rsa2048 ;; p256) sign=ecdsap256 ;; esac
  speed=$(taskset -c 0 openssl speed -seconds 3 -mr "$sign" ecdsap256 ecdhx25519 2>/dev/null | grep '^+F')
  echo
  row "$key" "${rate[mtlskit.full12]}" "${cpu[mtlskit.full12]}" "$speed" <<'EOF'
import sys
key, rate, cpu, speed = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
ops = {}
for line in speed.split():
    f = line[1:].split(":")
    ops[f[0], f[2]] = [float(x) for x in f[3:]]
sign = ops[("F2", "2048")][0] if key == "rsa2048" else ops[("F4", "256")][0]
verify = ops[("F4", "256")][1]
x25519 = ops[("F5", "253")][0]
# Per handshake: one signature, two X25519 (key share and shared secret), two verifications.
floor = 1 / (1 / sign + 2 / x25519 + 2 / verify)
measured = rate / cpu if cpu else 0.0
print("Crypto floor (openssl speed on core 0: %s sign %.0f/s, P-256 verify %.0f/s, X25519 %.0f/s): "
      "%.0f full TLS 1.2 handshakes per CPU-second; mtlskit %.0f, %.2fx the floor's cost (goal: within 1.5x%s)"
      % (key, sign, verify, x25519, floor, measured, floor / measured if measured else 0,
         "" if measured and floor / measured <= 1.5 else ", missed"))
EOF
fi
exit $missed
