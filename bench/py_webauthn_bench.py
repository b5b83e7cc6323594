"""py_webauthn 3.0.1 verifying the same accepted W3C §16 assertions as countersign-bench-webauthn,
one core, the same way: operations per second over about N seconds per vector.
Usage: python3 bench/py_webauthn_bench.py VECTORS.json [seconds]"""
import base64, json, sys, time

from webauthn import verify_authentication_response
from webauthn.helpers.structs import AuthenticationCredential, AuthenticatorAssertionResponse

def b64(hex_text):
    return base64.urlsafe_b64encode(bytes.fromhex(hex_text)).rstrip(b"=").decode()

vectors = json.load(open(sys.argv[1]))
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
for vector in vectors["authentication"]:
    if vector["expect"] != "accept":
        continue
    credential = AuthenticationCredential(
        id=b64(vector["credentialID"]), raw_id=bytes.fromhex(vector["credentialID"]),
        response=AuthenticatorAssertionResponse(
            client_data_json=bytes.fromhex(vector["clientDataJSON"]),
            authenticator_data=bytes.fromhex(vector["authenticatorData"]),
            signature=bytes.fromhex(vector["signature"]),
        ),
    )
    arguments = dict(
        credential=credential, expected_challenge=bytes.fromhex(vector["challenge"]), expected_rp_id=vectors["rp_id"],
        expected_origin=vectors["origin"], credential_public_key=bytes.fromhex(vector["credentialPubKey"]),
        credential_current_sign_count=0, require_user_verification=False,
    )
    verify_authentication_response(**arguments)
    operations, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            verify_authentication_response(**arguments)
        operations += 200
    print(f"vector={vector['name']} py_webauthn_verifications_per_second={operations / (time.perf_counter() - start):.0f}")
