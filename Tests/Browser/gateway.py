"""A real countersignd for the browser tests: its own data, policy and PAM directories, a free
port on 127.0.0.1, and the public origin http://localhost:PORT the browser opens (rpId localhost).
Also a small JSON client for what the pages do not do (filing requests, invites)."""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("COUNTERSIGN_BIN", ROOT / ".build" / "debug"))

GROUPS = """\
groups:
  engineering: [alice, bob, carol, dave]
  sre: [carol, dave]
  admins: [erin]
  auditors: [erin]
"""

# hardware_key is left out: the default, every approval made with an enrolled key.
RULES = """\
rules:
  - name: staging-deploy
    kind: deploy
    match:
      environment: staging
    requesters: [engineering]
    approvals:
      - { count: 1, group: sre }
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gateway:
    def __init__(self):
        self.directory = tempfile.TemporaryDirectory(prefix="countersign-browser-")
        base = Path(self.directory.name)
        policies = base / "policies"
        policies.mkdir()
        (policies / "groups.yaml").write_text(GROUPS)
        (policies / "deploy.yaml").write_text(RULES)
        subprocess.run([ROOT / "scripts" / "demo-pam.sh", base / "pam"], check=True, stdout=subprocess.DEVNULL)
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        self.api = f"http://127.0.0.1:{self.port}"
        self.log = open(base / "countersignd.log", "w+b")
        self.process = subprocess.Popen(
            [
                BIN / "countersignd", "--listen", f"127.0.0.1:{self.port}", "--data-dir", base / "data",
                "--policies", policies, "--pam-service", "countersign", "--pam-config-dir", base / "pam",
                "--public-url", self.origin, "--durability", "normal", "--review-refresh", "1s",
            ],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        self._wait_until_ready()
        self.tokens = {}

    def _wait_until_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("countersignd exited at start:\n" + self.output())
            try:
                with urllib.request.urlopen(f"{self.api}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("countersignd did not answer within 30 s:\n" + self.output())

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        self.directory.cleanup()

    # The JSON API, as the CLI uses it.

    def call(self, method, path, body=None, user=None):
        headers = {"Content-Type": "application/json"}
        if user:
            headers["Authorization"] = "Bearer " + self.token(user)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as error:
            text = error.read()
            return error.code, (json.loads(text) if text else None)

    def token(self, user):
        if user not in self.tokens:
            status, answer = self.call("POST", "/v1/login", {"username": user, "password": f"{user}-demo-pw"})
            assert status == 200, answer
            self.tokens[user] = answer["token"]
        return self.tokens[user]

    def invite(self, user):
        status, answer = self.call("POST", "/v1/admin/invites", {"username": user}, user="erin")
        assert status == 201, answer
        return answer["code"]

    def file_deploy(self, requester="alice", service="billing-api"):
        status, answer = self.call("POST", "/v1/requests", {
            "kind": "deploy", "service": service, "environment": "staging",
            "commit": "0123456789abcdef0123456789abcdef01234567",
            "reason": "Roll out the settlement fix", "ticket": "CHG-7",
        }, user=requester)
        assert status == 201, answer
        return answer["id"]

    def request(self, request_id, user="erin"):
        status, answer = self.call("GET", f"/v1/requests/{request_id}", user=user)
        assert status == 200, answer
        return answer
