"""The contract run: a real gateway, the demo users logged in, and Schemathesis driving every
operation of the document the gateway itself serves (GET /openapi.yaml). It fails on a server
error, a status the document does not list, a body or content type that does not match it, or
input the document calls invalid that the gateway accepts; and when the gateway dies under it.

Usage: python run_contract.py [extra `st run` arguments]   (exit status: Schemathesis's, or 1)
"""

import os
import subprocess
import sys
from pathlib import Path

from gateway import Gateway

HERE = Path(__file__).resolve().parent
USERS = ["alice", "bob", "carol", "dave", "erin"]


def main(arguments):
    gateway = Gateway()
    try:
        environment = dict(os.environ)
        environment["SCHEMATHESIS_HOOKS"] = str(HERE / "hooks.py")
        for user in USERS:
            environment[f"CONTRACT_TOKEN_{user.upper()}"] = gateway.login(user)
        command = [
            Path(sys.executable).parent / "st", "--config-file", HERE / "schemathesis.toml", "run",
            f"{gateway.api}/openapi.yaml", "--url", gateway.api, *arguments,
        ]
        # Hypothesis and Schemathesis keep state in the working directory: the gateway's temporary one.
        status = subprocess.run(command, env=environment, stdin=subprocess.DEVNULL, cwd=gateway.directory.name).returncode
        if gateway.process.poll() is not None:
            print(f"countersignd died during the contract run (status {gateway.process.returncode}):", file=sys.stderr)
            status = status or 1
        if status != 0:
            print("--- countersignd log (last 60 lines) ---", file=sys.stderr)
            print("\n".join(gateway.output().splitlines()[-60:]), file=sys.stderr)
        return status
    finally:
        gateway.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
