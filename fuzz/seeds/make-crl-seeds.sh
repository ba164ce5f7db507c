#!/usr/bin/env bash
# Makes the CRL seeds (see README.md beside this script): a throwaway CA revokes one of two
# clients with `openssl ca -revoke` and writes its CRL with `openssl ca -gencrl`, once with and
# once without entries. make-seeds.sh runs it; it can run alone:
#   bash fuzz/seeds/make-crl-seeds.sh
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
o() { openssl "$@" 2>/dev/null; }
mkdir "$work/db"
touch "$work/db/index.txt"
echo 01 > "$work/db/crlnumber"
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $work/db/index.txt
new_certs_dir = $work/db
certificate = $work/ca.pem
private_key = $work/ca.key
crlnumber = $work/db/crlnumber
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = p
rand_serial = yes
crl_extensions = e
[p]
commonName = supplied
[e]
authorityKeyIdentifier = keyid:always
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
o req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" \
  -out "$work/ca.pem" -days 3650 -subj "/O=mtlskit seeds/CN=Seed CRL CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
o ca -config "$work/ca.cnf" -gencrl -out "$work/empty.pem"
for name in kept gone; do
  o req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/$name.key" \
    -out "$work/$name.csr" -subj "/CN=$name"
  o ca -batch -notext -config "$work/ca.cnf" -extensions client -in "$work/$name.csr" \
    -out "$work/$name.pem"
done
o ca -config "$work/ca.cnf" -revoke "$work/gone.pem" -crl_reason keyCompromise
o ca -config "$work/ca.cnf" -gencrl -out "$work/crl.pem"
rm -f crl/seed-* inspect/seed-crl.pem inspect_many/seed-ca-crl-client.bin diagnose/seed-ca-client-crl.bin
o crl -in "$work/crl.pem" -outform DER -out crl/seed-crl.der
o crl -in "$work/empty.pem" -outform DER -out crl/seed-crl-empty.der
cp "$work/crl.pem" inspect/seed-crl.pem
# inspect_many and diagnose: the split_sources layout (see make-seeds.sh's `many`).
with_lengths() {
  printf "\\x$(printf %02x "$1")" > "$2"
  shift 2
  while [ $# -gt 1 ]; do
    n=$(wc -c < "$1")
    printf "\\x$(printf %02x $((n & 255)))\\x$(printf %02x $((n >> 8)))" >> "$out"
    cat "$1" >> "$out"
    shift
  done
  cat "$1" >> "$out"
}
out=inspect_many/seed-ca-crl-client.bin
with_lengths 2 "$out" "$work/ca.pem" "$work/crl.pem" "$work/gone.pem"
out=diagnose/seed-ca-client-crl.bin
with_lengths 2 "$out" "$work/ca.pem" "$work/gone.pem" "$work/crl.pem"
echo "CRL seeds written under $(pwd)"
