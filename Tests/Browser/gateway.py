"""The browser tests' gateway: one staging rule that takes a key approval from an SRE, one SSH
rule whose sessions are recorded, the demo users, and a review page that refreshes every second.
Also what the pages do not do (filing requests, invites), through the JSON API."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))
from countersignd import Countersignd  # noqa: E402

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

# Every session on rec-*.prod.internal recorded with what is typed; one SRE's session approval.
SSH_RULES = """\
rules:
  - name: recorded-ssh
    kind: ssh
    match: { host: "rec-*.prod.internal" }
    requesters: [engineering]
    approvals: [{ count: 1, group: sre }]
    hardware_key: false
    certificate: { lifetime: 10m, record: true, record_input: true }
"""
# What a recorded certificate forces; no session is opened in these tests, so it never runs.
RECORDER = "/usr/local/bin/countersign record --gateway http://127.0.0.1:1"


def write_policies(policies):
    policies.mkdir()
    (policies / "groups.yaml").write_text(GROUPS)
    (policies / "deploy.yaml").write_text(RULES)
    (policies / "ssh.yaml").write_text(SSH_RULES)


class Gateway(Countersignd):
    def __init__(self):
        super().__init__("countersign-browser-", write_policies, extra_arguments=["--review-refresh", "1s", "--recorder-command", RECORDER])
        self.tokens = {}

    # The JSON API, as the CLI uses it.

    def call(self, method, path, body=None, user=None):
        return self.send(method, path, body, token=self.token(user) if user else None)

    def token(self, user):
        if user not in self.tokens:
            self.tokens[user] = self.login(user)
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
