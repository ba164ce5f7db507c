#!/usr/bin/env bash
# Makes testdata/crl: a CA, two client certificates, and CRLs made by `openssl ca -gencrl` (one
# client revoked with reason keyCompromise), as operators make them. Throwaway keys, deleted
# afterwards. Run from anywhere: bash testdata/make-crl.sh (testdata/make.sh runs it too).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
c=$root/testdata/crl
rm -rf "$c"
mkdir -p "$c"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
cd "$work"
for ca in main other; do
  mkdir "$ca"
  touch "$ca/index.txt"
  echo 01 > "$ca/crlnumber"
  cat > "$ca/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $ca/index.txt
new_certs_dir = $ca
certificate = $ca/ca.pem
private_key = $ca/ca.key
crlnumber = $ca/crlnumber
serial = $ca/serial
default_md = sha256
default_days = 36500
default_crl_days = 3650
policy = p
unique_subject = no
copy_extensions = none
crl_extensions = crl_ext
[p]
commonName = supplied
[crl_ext]
authorityKeyIdentifier = keyid:always
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
  # Both CAs carry the same name: the other one's CRL is a CRL not signed by the issuer.
  openssl req -x509 "${ec[@]}" -keyout "$ca/ca.key" -out "$ca/ca.pem" -days 36500 \
    -subj "/CN=mtlskit CRL test CA" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
done
serial=4096
for name in good revoked; do
  openssl req -new "${ec[@]}" -keyout "$name.key" -out "$name.csr" -subj "/CN=$name client" 2>/dev/null
  printf "%x\n" "$serial" > main/serial
  serial=$((serial + 1))
  openssl ca -batch -notext -config main/ca.cnf -extensions client -in "$name.csr" -out "$c/$name.pem" 2>"$work/ca.log" || { cat "$work/ca.log" >&2; exit 1; }
done
openssl ca -config main/ca.cnf -revoke "$c/revoked.pem" -crl_reason keyCompromise 2>/dev/null
openssl ca -config main/ca.cnf -gencrl -out "$c/crl.pem" 2>/dev/null
openssl crl -in "$c/crl.pem" -outform DER -out "$c/crl.der"
openssl ca -config other/ca.cnf -gencrl -out "$c/other-crl.pem" 2>/dev/null
cp main/ca.pem "$c/ca.pem"
echo "testdata/make-crl.sh: wrote $c"
