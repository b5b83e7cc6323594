"""A real countersignd for the contract run, started as `make run` starts the demo: the example
policies (copied, so the run never touches the tree), a PAM directory from scripts/demo-pam.sh,
its own data directory, a free port on 127.0.0.1 and the public origin http://localhost:PORT so
the hardware-key routes answer as they do in production instead of 503."""

import json
import os
import shutil
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


class Gateway:
    def __init__(self):
        self.directory = tempfile.TemporaryDirectory(prefix="countersign-contract-")
        base = Path(self.directory.name)
        policies = base / "policies"
        shutil.copytree(ROOT / "policies", policies)
        subprocess.run([ROOT / "scripts" / "demo-pam.sh", base / "pam"], check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "countersignd.log"
        self.log = open(self.log_path, "w+b")
        self.process = subprocess.Popen(
            [
                BIN / "countersignd", "--listen", f"127.0.0.1:{self.port}", "--data-dir", base / "data",
                "--policies", policies, "--pam-service", "countersign", "--pam-config-dir", base / "pam",
                "--public-url", f"http://localhost:{self.port}", "--durability", "normal",
            ],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
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
        """Stops the daemon and answers its exit status (None when it had to be killed)."""
        status = self.process.poll()
        if status is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        self.directory.cleanup()
        return status

    def call(self, method, path, body=None, token=None):
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
        status, answer = self.call("POST", "/v1/login", {"username": user, "password": f"{user}-demo-pw"})
        if status != 200:
            raise RuntimeError(f"login of {user} answered {status}: {answer}")
        return answer["token"]
