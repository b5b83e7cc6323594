"""Recorded sessions for the browser tests, made as a recorder makes them but without sshd: a
recorded request approved, a certificate issued for a fresh ssh-keygen key, its recording's id
and upload token read out of the certificate's extension, and the asciicast chunks uploaded."""

import base64
import json
import secrets
import struct
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

RECORDING_EXTENSION = "recording@countersign.dev"


def public_key_line():
    with tempfile.TemporaryDirectory() as directory:
        key = Path(directory) / "key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bob@laptop", "-f", key], check=True, stdin=subprocess.DEVNULL)
        return (key.with_suffix(".pub")).read_text().strip()


def _strings(data):
    """The SSH strings (uint32 length, bytes) one after another in `data`."""
    offset = 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        yield data[offset + 4:offset + 4 + length]
        offset += 4 + length


def recording_of(certificate_line):
    """(recording id, upload token) from an ssh-ed25519-cert-v01 certificate's extensions
    (PROTOCOL.certkeys): type, nonce, key, serial, type, key id, principals, validity, critical
    options, then the extensions; the extension's data is a string holding "<id> <token>"."""
    blob = base64.b64decode(certificate_line.split()[1])
    offset = 0

    def string():
        nonlocal offset
        (length,) = struct.unpack(">I", blob[offset:offset + 4])
        value = blob[offset + 4:offset + 4 + length]
        offset += 4 + length
        return value

    string(), string(), string()  # key type, nonce, public key
    offset += 8 + 4  # serial, certificate type
    string(), string()  # key id, principals
    offset += 16  # valid after, valid before
    string()  # critical options
    extensions = list(_strings(string()))
    for name, data in zip(extensions[0::2], extensions[1::2]):
        if name.decode() == RECORDING_EXTENSION:
            recording_id, token = next(_strings(data)).decode().split(" ")
            return recording_id, token
    raise AssertionError("the certificate carries no recording")


class RecordedSessions:
    def __init__(self, gateway):
        self.gateway = gateway

    def approved_request(self, requester="bob", reviewer="dave", host="rec-1.prod.internal"):
        status, answer = self.gateway.call("POST", "/v1/requests", {
            "kind": "ssh", "host": host, "login": "deploy", "duration_seconds": 1800,
            "reason": "Restart the stuck worker", "ticket": "INC-77",
        }, user=requester)
        assert status == 201, answer
        status, approved = self.gateway.call("POST", f"/v1/requests/{answer['id']}/approve", {}, user=reviewer)
        assert status == 200, approved
        return answer["id"]

    def certificate(self, request_id, requester="bob"):
        """A new certificate for the request: (recording id, upload token)."""
        status, answer = self.gateway.call("POST", f"/v1/requests/{request_id}/ssh-certificate", {"public_key": public_key_line()}, user=requester)
        assert status == 201, answer
        return recording_of(answer["certificate"])

    def _post(self, path, token, body, content_type):
        request = urllib.request.Request(self.gateway.api + path, data=body, method="POST", headers={
            "Authorization": "Bearer " + token, "Content-Type": content_type,
        })
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def upload(self, recording, chunks, final_exit_status=None, lost_bytes=0, columns=80, rows=24):
        """Starts the certificate's first session, which records to the certificate's own
        recording, and uploads `chunks` (lists of [seconds, code, data]); the header goes first
        in chunk 0, a gap before chunk 0 when `lost_bytes`."""
        recording_id, token = recording
        status, answer = self._post(f"/v1/recordings/{recording_id}/start", token, json.dumps({
            "session": secrets.token_hex(16), "host": "rec-1", "command": None, "pty": True, "width": columns, "height": rows,
        }).encode(), "application/json")
        assert status == 200, answer
        assert answer["recording_id"] == recording_id, answer
        for seq, events in enumerate(chunks):
            lines = [json.dumps({"version": 2, "width": columns, "height": rows})] if seq == 0 else []
            lines += [json.dumps(event) for event in events]
            query = []
            if seq == 0 and lost_bytes:
                query.append(f"lost_bytes={lost_bytes}")
            if seq == len(chunks) - 1 and final_exit_status is not None:
                query.append(f"final=true&exit_status={final_exit_status}")
            path = f"/v1/recordings/{recording_id}/chunks/{seq}" + ("?" + "&".join(query) if query else "")
            status, answer = self._post(path, token, "".join(line + "\n" for line in lines).encode(), "application/x-asciicast")
            assert status == 200, answer
        return recording_id
