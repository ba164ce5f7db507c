#!/usr/bin/env bash
# The proxy side by side with nginx (issue 14): one run, both servers, the same certificates and
# the same config (nginx's from docs/architecture.md's block, mtlskit's from `mtlskit
# import-nginx` of that block), each pinned to core 0 with the load on core 1, in alternating
# rounds (A B A B). Not part of CI: the figures want a quiet machine.
#
# Figures, each as a rate and per server CPU-second (utime + stime from /proc, every process of
# the server counted), with the ratio mtlskit / nginx:
#   full     full mTLS handshakes, openssl s_time -new (TLS 1.2, the block's protocol)
#   resumed  resumed handshakes, openssl s_time -reuse
#   keep     keep-alive proxied requests, oha with 16 connections, both hops mTLS, nginx with an
#            upstream keepalive pool (the proxy pools by itself)
#   conn     one request per connection, oha --disable-keepalive
# and the servers' RSS after the run. The upstream is a third server (nginx, one worker,
# mTLS required) on core 1 with the load.
#
# usage: bench/proxy.sh            environment: MTLSKIT_BIN (cargo xtask bench sets it),
#        SECONDS_PER_ROUND (5), ROUNDS (2), KEY (rsa2048 | p256: the server key, default rsa2048)
# Prints a Markdown table; exits 1 when a goal of issue 14 is missed (full and resumed
# handshakes per CPU-second at least 2x nginx, keep-alive requests at least 1.3x).
# Everything started here is stopped at exit (nginx with SIGQUIT, then waited for).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mtlskit=${MTLSKIT_BIN:?"set MTLSKIT_BIN, or run cargo xtask bench proxy"}
seconds=${SECONDS_PER_ROUND:-5}
rounds=${ROUNDS:-2}
key=${KEY:-rsa2048}
command -v oha >/dev/null || { echo "bench/proxy.sh: oha is missing: cargo install oha --locked" >&2; exit 2; }
command -v nginx >/dev/null || { echo "bench/proxy.sh: nginx is missing: cargo xtask setup" >&2; exit 2; }

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
pid $w/$1.pid;
error_log $w/$1.err error;
events { worker_connections 4096; }
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
mkdir -p tmp

# --- the mTLS upstream (both proxies use it) -------------------------------------------------
nginx_conf upstream.conf "  server {
    listen 127.0.0.1:$up_port ssl;
    ssl_certificate $w/upstream.pem; ssl_certificate_key $w/upstream.key;
    ssl_client_certificate $w/ca.pem; ssl_verify_client on;
    keepalive_requests 100000;
    location / { return 200 \"ok\\n\"; }
  }"
start_nginx upstream.conf 1
wait_port "$up_port"

# --- nginx: docs/architecture.md's block, on this machine's ports, with an upstream pool -----
block="server {
  listen 127.0.0.1:$nginx_port ssl;
  ssl_certificate $w/server.pem; ssl_certificate_key $w/server.key;
  ssl_client_certificate $w/ca.pem; ssl_verify_client on;
  ssl_session_cache shared:SSL:1m; ssl_session_timeout 5m;
  ssl_protocols TLSv1.2;
  ssl_prefer_server_ciphers on;
  location / {
    proxy_ssl_certificate $w/client.pem; proxy_ssl_certificate_key $w/client.key;
    proxy_ssl_trusted_certificate $w/ca.pem; proxy_ssl_verify on; proxy_ssl_name localhost;
    proxy_ssl_session_reuse on;
    proxy_pass https://127.0.0.1:$up_port;
  }
}"
echo "$block" > block.conf
# nginx keeps upstream connections alive only with an upstream{} pool and HTTP/1.1.
nginx_block=${block/proxy_pass https:\/\/127.0.0.1:$up_port;/proxy_pass https://up; proxy_http_version 1.1; proxy_set_header Connection \"\";}
nginx_conf front.conf "  upstream up { server 127.0.0.1:$up_port; keepalive 32; }
  keepalive_requests 100000;
$nginx_block"
start_nginx front.conf 0
nginx_pid=$started
wait_port "$nginx_port"

# --- mtlskit: the same block through import-nginx --------------------------------------------
"$mtlskit" import-nginx block.conf 2>/dev/null > proxy.toml
# The same block, on mtlskit's own port; access log off as nginx's.
sed -i "s/127.0.0.1:$nginx_port/127.0.0.1:$mtlskit_port/" proxy.toml
printf '\n[log]\naccess = "off"\nerror = "stderr"\nlevel = "error"\n' >> proxy.toml
"$mtlskit" check --config proxy.toml >/dev/null
taskset -c 0 "$mtlskit" serve --config proxy.toml 2> mtlskit.err &
mtlskit_pid=$!
pids+=("$mtlskit_pid")
wait_port "$mtlskit_port"

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

# One measurement: prints "count cpu_seconds".
measure() { # server_pid port figure
  local pid=$1 port=$2 figure=$3 before after n
  before=$(ticks "$pid")
  case $figure in
    full|resumed)
      local flag=-new; [ "$figure" = resumed ] && flag=-reuse
      n=$(taskset -c 1 openssl s_time -connect "127.0.0.1:$port" $flag -time "$seconds" \
            -cert client.pem -key client.key -CAfile ca.pem 2>/dev/null \
          | awk '/connections in/ && /real seconds/ {print $1; exit}')
      ;;
    keep|conn)
      local extra=(); [ "$figure" = conn ] && extra=(--disable-keepalive)
      n=$(taskset -c 1 oha -z "${seconds}s" -c 16 --no-tui --output-format json "${extra[@]}" \
            --cacert ca.pem --cert client.pem --key client.key \
            "https://localhost:$port/" 2>/dev/null \
          | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(v for k,v in d["statusCodeDistribution"].items() if k=="200"))')
      ;;
  esac
  after=$(ticks "$pid")
  echo "${n:-0} $(python3 -c "print(($after - $before) / $hz)")"
}

declare -A rate cpu
for figure in full resumed keep conn; do
  for server in nginx mtlskit; do rate[$server.$figure]=0; cpu[$server.$figure]=0; done
done
for round in $(seq "$rounds"); do
  for figure in full resumed keep conn; do
    for server in nginx mtlskit; do
      if [ "$server" = nginx ]; then pid=$nginx_pid p=$nginx_port; else pid=$mtlskit_pid p=$mtlskit_port; fi
      read -r n c < <(measure "$pid" "$p" "$figure")
      rate[$server.$figure]=$(python3 -c "print(${rate[$server.$figure]} + $n)")
      cpu[$server.$figure]=$(python3 -c "print(${cpu[$server.$figure]} + $c)")
    done
  done
  echo "round $round of $rounds done" >&2
done

total=$((seconds * rounds))
echo
echo "Server key $key, $rounds rounds of ${seconds}s, $(nproc) cores, $(uname -r), nginx $(nginx -v 2>&1 | sed 's/.*\///')"
echo
echo "| figure | nginx /s | mtlskit /s | nginx per CPU-s | mtlskit per CPU-s | ratio per CPU-s |"
echo "|---|---:|---:|---:|---:|---:|"
missed=0
for figure in full resumed keep conn; do
  line=$(python3 - "$figure" "${rate[nginx.$figure]}" "${cpu[nginx.$figure]}" "${rate[mtlskit.$figure]}" "${cpu[mtlskit.$figure]}" "$total" <<'EOF'
import sys
fig, nr, nc, mr, mc, t = sys.argv[1], *map(float, sys.argv[2:])
per = lambda r, c: r / c if c else 0.0
ratio = per(mr, mc) / per(nr, nc) if per(nr, nc) else 0.0
goal = {"full": 2.0, "resumed": 2.0, "keep": 1.3}.get(fig)
mark = "" if goal is None else (" (goal %.1fx%s)" % (goal, "" if ratio >= goal else ", missed"))
print("| %s | %.0f | %.0f | %.0f | %.0f | %.2fx%s |" % (fig, nr / t, mr / t, per(nr, nc), per(mr, mc), ratio, mark))
EOF
)
  echo "$line"
  case $line in *missed*) missed=1 ;; esac
done
echo "| RSS after the run | $(( $(rss_kib "$nginx_pid") / 1024 )) MB | $(( $(rss_kib "$mtlskit_pid") / 1024 )) MB | | | |"
exit $missed
