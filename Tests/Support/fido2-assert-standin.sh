#!/bin/bash
# A security key in software behind libfido2's `fido2-assert -G` contract (fido2-assert(1)), for
# the end-to-end tests of `countersign --authenticator-command`: the same arguments
# (-G [-p] [-v] DEVICE), the same input (client data hash, relying party id, credential id, one a
# line, base64 where binary) and the same output (the hash, the relying party, the authenticator
# data as base64 of a CBOR byte string, the signature), or libfido2's message and exit 1.
#
# It signs authenticatorData || clientDataHash with ECDSA P-256 over SHA-256 (COSE ES256, DER
# signature) using openssl and the PEM key the test enrolled. Set by the environment:
#   STANDIN_KEY         the PEM private key (required)
#   STANDIN_CREDENTIAL  the base64 credential id this key holds; any other is answered
#                       FIDO_ERR_NO_CREDENTIALS. Unset: it answers for any credential id.
#   STANDIN_COUNTER     a file keeping its signature counter, which grows by one per signature
#   STANDIN_LOG         a file each call appends its arguments and credential id to
#   STANDIN_BEHAVIOUR   sign (default); sign-other: signs another client data hash than the
#                       one given, and echoes the given one; unwrapped: prints the authenticator
#                       data bare, not in its CBOR byte string; hang: never answers; garbage:
#                       prints something that is not an assertion and exits 0; flood: prints
#                       without end
set -euo pipefail

arguments="$*"
[ "${1:-}" = "-G" ] || { echo "fido2-assert: usage: fido2-assert -G [-pv] device" >&2; exit 1; }
shift
while getopts "pv" option; do
    case "$option" in
        p|v) ;;
        *) echo "fido2-assert: usage: fido2-assert -G [-pv] device" >&2; exit 1 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "fido2-assert: usage: fido2-assert -G [-pv] device" >&2; exit 1; }

IFS= read -r hash || { echo "fido2-assert: input error" >&2; exit 1; }
IFS= read -r rp || { echo "fido2-assert: input error" >&2; exit 1; }
IFS= read -r credential || { echo "fido2-assert: input error" >&2; exit 1; }
[ -n "${STANDIN_LOG:-}" ] && echo "$arguments | $credential" >> "$STANDIN_LOG"

if [ -n "${STANDIN_CREDENTIAL:-}" ] && [ "$credential" != "$STANDIN_CREDENTIAL" ]; then
    echo "fido2-assert: fido_dev_get_assert: FIDO_ERR_NO_CREDENTIALS" >&2
    exit 1
fi
case "${STANDIN_BEHAVIOUR:-sign}" in
    hang) exec sleep 600 ;;
    garbage) echo "this is not an assertion"; exit 0 ;;
    flood) exec yes "this is not an assertion either" ;;
esac

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
counter=$(( $(cat "${STANDIN_COUNTER:?}" 2>/dev/null || echo 0) + 1 ))
echo "$counter" > "$STANDIN_COUNTER"

# authenticatorData: SHA-256(rpId), flags UP|UV, the counter big-endian (WebAuthn §6.1).
printf '%s' "$rp" | openssl dgst -sha256 -binary > "$scratch/authdata"
printf '\x05' >> "$scratch/authdata"
printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((counter >> 24 & 255)) $((counter >> 16 & 255)) $((counter >> 8 & 255)) $((counter & 255)))" >> "$scratch/authdata"
if [ "${STANDIN_BEHAVIOUR:-sign}" = "sign-other" ]; then
    printf 'some other client data' | openssl dgst -sha256 -binary > "$scratch/hash"
else
    printf '%s' "$hash" | base64 -d > "$scratch/hash"
fi
cat "$scratch/authdata" "$scratch/hash" > "$scratch/signed"
openssl dgst -sha256 -sign "${STANDIN_KEY:?}" -out "$scratch/signature" "$scratch/signed"

echo "$hash"
echo "$rp"
# libfido2 hands authenticator data out CBOR-encoded: a byte string of 37 bytes is 0x58 0x25.
if [ "${STANDIN_BEHAVIOUR:-sign}" = "unwrapped" ]; then
    base64 -w0 < "$scratch/authdata"; echo
else
    { printf '\x58\x25'; cat "$scratch/authdata"; } | base64 -w0; echo
fi
base64 -w0 < "$scratch/signature"; echo
