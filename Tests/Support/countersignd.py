"""A real countersignd for the Python-driven tests (the browser tests, the contract run), started
as `make run` starts the demo: its own data, policy and PAM directories (the PAM one from
scripts/demo-pam.sh), a free port on 127.0.0.1 and the public origin http://localhost:PORT, so the
hardware-key routes answer as in production. Also the JSON API, as the CLI speaks it."""

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


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Countersignd:
    def __init__(self, prefix, write_policies, extra_arguments=(), launcher=(), environment=None):
        """`write_policies(directory)` fills the (not yet existing) policy directory. `launcher`
        goes before the command and `environment` replaces the inherited one (a moved clock)."""
        self.directory = tempfile.TemporaryDirectory(prefix=prefix)
        base = Path(self.directory.name)
        policies = base / "policies"
        write_policies(policies)
        subprocess.run([ROOT / "scripts" / "demo-pam.sh", base / "pam"], check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        self.api = f"http://127.0.0.1:{self.port}"
        self.log = open(base / "countersignd.log", "w+b")
        self.process = subprocess.Popen(
            [
                *launcher, BIN / "countersignd", "--listen", f"127.0.0.1:{self.port}", "--data-dir", base / "data",
                "--policies", policies, "--pam-service", "countersign", "--pam-config-dir", base / "pam",
                "--public-url", self.origin, "--durability", "normal", *extra_arguments,
            ],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment,
        )
        self._wait_until_ready()

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
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        self.directory.cleanup()

    def send(self, method, path, body=None, token=None):
        """The status and the decoded JSON answer (None when empty) of one API call."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as error:
            text = error.read()
            return error.code, (json.loads(text) if text else None)

    def login(self, user):
        """A fresh session token of a demo user (README: the password is USER-demo-pw)."""
        status, answer = self.send("POST", "/v1/login", {"username": user, "password": f"{user}-demo-pw"})
        if status != 200:
            raise RuntimeError(f"login of {user} answered {status}: {answer}")
        return answer["token"]
