#!/usr/bin/env python3
"""Break-glass latency against a live countersignd (make bench, part break-glass).

Starts a PagerDuty Events v2 receiver on 127.0.0.1 that notes when each page arrives, a
countersignd (the release build) paging it, and then, one call at a time: POST /v1/break-glass
as an on-call SRE (page wait 5 s, the default), timing the page's arrival at the receiver and the
credential's return from the moment the call is sent. Beside it, in the same run: POST
/v1/requests for an ordinary SSH request (the same commit, no page, no certificate) and one
plain POST to the receiver. Each grant is ended after it is timed, so open grants do not pile up.

Usage: break_glass_bench.py COUNTERSIGND COUNTERSIGN_CLI PAM_DIR WORK_DIR [SAMPLES]
"""
import http.client
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time

PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl bench"


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The answer's headers and body go out in two writes: without this, Nagle's algorithm holds
    # the second until the client's delayed ACK, 40 ms later, on every request.
    disable_nagle_algorithm = True
    arrivals = {}
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        now = time.monotonic()
        try:
            event = json.loads(body)
            key = (event.get("dedup_key"), event.get("event_action"))
        except ValueError:
            key = (None, None)
        with Receiver.lock:
            Receiver.arrivals.setdefault(key, now)
        answer = b'{"status":"success","message":"Event processed"}'
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    daemon, cli, pam, work = sys.argv[1:5]
    samples = int(sys.argv[5]) if len(sys.argv) > 5 else 200
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver_port = server.server_address[1]

    notifications = os.path.join(work, "break-glass-notifications.yaml")
    with open(notifications, "w") as f:
        f.write(f"""channels:
  oncall-pagerduty:
    kind: pagerduty
    routing_key: R0UT1NGKEY0123456789ABCDEF012345
    events_url: http://127.0.0.1:{receiver_port}/v2/enqueue
""")
    os.chmod(notifications, 0o600)
    port = free_port()
    log = open(os.path.join(work, "break-glass-gateway.log"), "w")
    gateway = subprocess.Popen([
        daemon, "--listen", f"127.0.0.1:{port}", "--data-dir", os.path.join(work, "break-glass-data"), "--policies", "policies",
        "--pam-config-dir", pam, "--log-level", "error", "--notifications", notifications,
        "--recorder-command", f"{cli} record --gateway http://127.0.0.1:{port}",
    ], stdout=log, stderr=subprocess.STDOUT)
    try:
        connection = None
        for _ in range(300):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                break
            except OSError:
                connection = None
                time.sleep(0.1)
        if connection is None:
            sys.exit("countersignd did not start")

        def call(method, path, body=None, token=None):
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            if response.status >= 300:
                sys.exit(f"{method} {path} answered {response.status}: {data.decode(errors='replace')}")
            return json.loads(data) if data else None

        token = call("POST", "/v1/login", {"username": "carol", "password": "carol-demo-pw"})["token"]
        to_page, to_credential, undelivered = [], [], 0
        for index in range(samples + 5):
            ask = {"host": f"web-{index % 50}.prod.internal", "login": "deploy", "incident": f"INC-{1000 + index}",
                   "reason": "Checkout is down; restarting the payment worker", "public_key": PUBLIC_KEY}
            start = time.monotonic()
            granted = call("POST", "/v1/break-glass", ask, token)
            returned = time.monotonic()
            grant = granted["grant"]["request"]["id"]
            if granted.get("certificate") is None:
                sys.exit("a grant came back without its certificate")
            with Receiver.lock:
                arrived = Receiver.arrivals.get((grant, "trigger"))
            call("POST", f"/v1/break-glass/{grant}/end", {"reason": "benchmark"}, token)
            if index < 5:
                continue  # warm-up: connections, caches, the first page's client
            if arrived is None:
                undelivered += 1
                continue
            to_page.append((arrived - start) * 1000)
            to_credential.append((returned - start) * 1000)

        ordinary = []
        for index in range(samples + 5):
            body = {"kind": "ssh", "host": f"web-{index % 50}.prod.internal", "login": "deploy", "duration_seconds": 1800,
                    "reason": "Restart the payment worker after the incident", "ticket": f"INC-{1000 + index}"}
            start = time.monotonic()
            call("POST", "/v1/requests", body, token)
            if index >= 5:
                ordinary.append((time.monotonic() - start) * 1000)

        plain = http.client.HTTPConnection("127.0.0.1", receiver_port, timeout=30)
        posts = []
        for index in range(samples + 5):
            start = time.monotonic()
            plain.request("POST", "/v2/enqueue", body=json.dumps({"dedup_key": f"plain-{index}", "event_action": "trigger"}),
                          headers={"Content-Type": "application/json"})
            plain.getresponse().read()
            if index >= 5:
                posts.append((time.monotonic() - start) * 1000)

        def figures(name, values):
            return f"{name}_p50_ms={percentile(values, 0.5):.2f} {name}_p99_ms={percentile(values, 0.99):.2f}"

        print("break_glass_latency", figures("call_to_page", to_page), figures("call_to_credential", to_credential),
              f"samples={len(to_page)} undelivered_within_wait={undelivered}")
        print("break_glass_peers", figures("ordinary_request", ordinary), figures("plain_post_to_receiver", posts))
        print("break_glass_ratios",
              f"credential_over_ordinary_request_p50={percentile(to_credential, 0.5) / percentile(ordinary, 0.5):.2f}",
              f"page_over_plain_post_p50={percentile(to_page, 0.5) / percentile(posts, 0.5):.2f}",
              f"credential_p99_over_page_wait={percentile(to_credential, 0.99) / 5000:.4f}")
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)
        server.shutdown()


if __name__ == "__main__":
    main()
