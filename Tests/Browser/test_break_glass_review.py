"""Break-glass on the reviewer pages in a real headless Chromium against a real countersignd: a
grant made through the API (paged to a webhook receiver, a session recorded), the reviewer who
enrols a key, sees the grant above the requests to approve, opens it, sees its recording and due
time and records a verdict with a key touch; the grant's own user, who sees no review form and
ends the grant; a cancelled touch and a refused verdict that record nothing; and a review that
becomes overdue when the gateway's clock moves on. Run by `make test`; screenshots land in
test-artifacts/browser/."""

import http.server
import json
import os
import tempfile
import threading
import unittest
from datetime import datetime
from pathlib import Path

from browser import Browser
from gateway import RECORDER, Gateway
from countersignd import Countersignd  # noqa: E402 (Tests/Support, put on the path by gateway)
from moved_clock import MovedClock
from recordings import RecordedSessions, public_key_line, recording_of

GROUPS = """\
groups:
  engineering: [alice, bob, carol, dave]
  sre: [carol, dave]
  payments-owners: [bob]
  auditors: [bob, erin]
  admins: [erin]
"""

# A staging deploy bob approves, so his list holds a request beside the grants.
RULES = """\
rules:
  - name: staging-deploy
    kind: deploy
    match:
      environment: staging
    requesters: [engineering]
    approvals:
      - { count: 1, group: payments-owners }
    hardware_key: false
"""

# On-call SREs on bg-* hosts, up to 4 hours, paged to the test's receiver, reviewed by the
# auditors within the shortest window a rule may have: 1 hour.
BREAK_GLASS = """\
break_glass:
  - name: browser-break-glass
    match:
      host: "bg-*.prod.internal"
      login: "*"
    on_call: [sre]
    max_duration: 4h
    incident_pattern: "^INC-[0-9]+$"
    page: [browser-hook]
    review_within: 1h
    reviewers: [auditors]
"""

# What carol's session showed and typed.
SESSION = [
    [[0.1, "o", "root@bg-1:~# "]],
    [[0.5, "i", "systemctl restart payments-worker\r"], [0.6, "o", "systemctl restart payments-worker\r\n"]],
    [[1.0, "o", "root@bg-1:~# "], [1.4, "o", "logout\r\n"]],
]


def write_policies(policies):
    policies.mkdir()
    (policies / "groups.yaml").write_text(GROUPS)
    (policies / "deploy.yaml").write_text(RULES)
    (policies / "break-glass.yaml").write_text(BREAK_GLASS)


class PageReceiver:
    """The paging channel: a webhook receiver on 127.0.0.1 that takes every page."""

    def __init__(self):
        self.bodies = []
        received = self.bodies

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)) or b"null"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/countersign"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class BreakGlassGateway(Gateway):
    """The browser tests' gateway helpers, over this module's policies and paging channel."""

    def __init__(self, receiver, directory, clock=None):
        notifications = Path(directory) / "notifications.yaml"
        # 0600 from birth: the gateway refuses a channel secret anyone else may read.
        descriptor = os.open(notifications, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(f"channels:\n  browser-hook:\n    kind: webhook\n    url: {receiver.url}\n    secret: browser-test-hmac-secret-0123456789\n")
        arguments = ["--review-refresh", "1s", "--recorder-command", RECORDER, "--notifications", str(notifications)]
        Countersignd.__init__(
            self, "countersign-break-glass-", write_policies, extra_arguments=arguments,
            launcher=clock.launcher if clock else (), environment=clock.environment() if clock else None,
        )
        self.tokens = {}

    def break_glass(self, user="carol", host="bg-1.prod.internal", incident="INC-4242", hours=None):
        """A grant through the API; its id and its certificate."""
        status, answer = self.call("POST", "/v1/break-glass", {
            "host": host, "login": "root", "incident": incident, "reason": "Payments worker wedged; restarting it",
            "public_key": public_key_line(), **({"duration_seconds": int(hours * 3600)} if hours else {}),
        }, user=user)
        assert status == 201, answer
        return answer["grant"]["request"]["id"], answer["certificate"]["certificate"]

    def grant(self, grant_id, user="erin"):
        status, answer = self.call("GET", f"/v1/break-glass/{grant_id}", user=user)
        assert status == 200, answer
        return answer


def review_from_page(browser, grant_id, verdict, notes):
    """The review challenge asked for by the page itself, as its script asks for it."""
    return browser.driver.execute_async_script("""
        const [id, verdict, notes, done] = arguments;
        const token = document.querySelector('meta[name="csrf-token"]').content;
        fetch(`/v1/break-glass/${id}/review-challenge`, {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRF-Token": token}, body: JSON.stringify({verdict, notes})})
          .then(async (response) => done({status: response.status, body: await response.json().catch(() => null)}))
          .catch((error) => done({status: 0, body: String(error)}));
    """, grant_id, verdict, notes)


class BreakGlassReviewTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.browsers = []
        cls.scratch = tempfile.TemporaryDirectory(prefix="countersign-break-glass-browser-")
        cls.receiver = PageReceiver()
        cls.gateway = None
        try:
            cls.gateway = BreakGlassGateway(cls.receiver, cls.scratch.name)
            # bob audits (and approves staging deploys) with an enrolled key.
            cls.bob = cls.browser(with_key=True)
            cls.bob.log_in("bob")
            cls.bob.enrol_key(cls.gateway.invite("bob"), "bob's virtual key")
            cls.bob.wait_for_text("#notice", "enrolled")
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def browser(cls, with_key=False):
        browser = Browser(cls.gateway, with_key=with_key)
        cls.browsers.append(browser)
        return browser

    @classmethod
    def tearDownClass(cls):
        for browser in cls.browsers:
            browser.quit()
        if cls.gateway:
            cls.gateway.stop()
        cls.receiver.stop()
        cls.scratch.cleanup()

    def tearDown(self):
        self.bob.override()
        self.bob.driver.execute_cdp_cmd("WebAuthn.setUserVerified", {"authenticatorId": self.bob.authenticator, "isUserVerified": True})

    def choose(self, browser, verdict, notes):
        browser.find(f"#verdict-{verdict}").click()
        notes_field = browser.find("#review-notes")
        notes_field.clear()
        notes_field.send_keys(notes)
        browser.find("#review-button").click()

    def test_a_reviewer_sees_the_grant_first_watches_for_its_recording_and_records_a_verdict_by_a_key_touch(self):
        grant_id, certificate = self.gateway.break_glass()
        recording_id = RecordedSessions(self.gateway).upload(recording_of(certificate), SESSION, final_exit_status=0)
        request_id = self.gateway.file_deploy(requester="alice")

        self.bob.open("/reviews")
        self.bob.wait_for(f'#grants-to-review [data-request-id="{grant_id}"]')
        rows = [(row.get_attribute("data-request-id"), "grant-row" in row.get_attribute("class").split()) for row in self.bob.all("#review-list .request-row")]
        grants = [row_id for row_id, is_grant in rows if is_grant]
        self.assertEqual([is_grant for _, is_grant in rows], [True] * len(grants) + [False] * (len(rows) - len(grants)), "grants stand at the top")
        self.assertIn(grant_id, grants)
        self.assertIn(request_id, [row_id for row_id, is_grant in rows if not is_grant])
        self.assertIn("Review due by", self.bob.find(f'#grants-to-review [data-request-id="{grant_id}"] .review-due').text)
        self.bob.screenshot("break-glass-reviews-page.png")

        self.bob.find(f'#grants-to-review [data-request-id="{grant_id}"] a').click()
        self.bob.wait_for("#break-glass-banner")
        self.assertIn("BREAK-GLASS", self.bob.find(".break-glass-flag").text)
        self.assertIn("INC-4242", self.bob.find("#break-glass-banner").text)
        self.assertEqual(self.bob.find("#grant-target").text, "root@bg-1.prod.internal")
        self.assertEqual(self.bob.find("#request-state").text, "Active")
        recording = self.bob.find(f"#recording-{recording_id}")
        self.assertEqual(recording.get_attribute("data-state"), "complete")
        self.assertIn("carol, as root@bg-1.prod.internal", recording.text)
        due = self.bob.find("#review-due")
        self.assertIn("Review due by", due.text)
        shown = datetime.fromisoformat(due.find_element("css selector", "time").get_attribute("datetime"))
        self.assertEqual(shown, datetime.fromisoformat(self.gateway.grant(grant_id)["review_due_at"]).replace(microsecond=0))
        self.assertEqual(self.bob.all("#own-grant"), [])

        self.choose(self.bob, "justified", "Watched the session: one restart of the wedged worker")
        self.bob.wait_for_text("#notice", "Your review was recorded.")
        verdict = self.bob.find("#review-verdict").text
        self.assertIn("Justified", verdict)
        self.assertIn("bob", verdict)
        self.assertEqual(self.bob.find("#review-notes-recorded").text, "Watched the session: one restart of the wedged worker")
        self.assertEqual(self.bob.all("#review-form"), [])
        self.assertIn("Reviewed by bob: Justified", self.bob.find("#history").text)
        self.bob.driver.execute_script("document.getElementById('grant-review').scrollIntoView()")
        self.bob.screenshot("break-glass-grant-reviewed.png")

        review = self.gateway.grant(grant_id)["review"]
        self.assertEqual((review["reviewer"], review["verdict"]), ("bob", "justified"))
        self.bob.open("/reviews")
        self.bob.wait_for(f'#review-list [data-request-id="{request_id}"]')
        self.assertEqual(self.bob.all(f'#review-list [data-request-id="{grant_id}"]'), [], "a reviewed grant leaves the list")

    def test_the_grants_own_user_sees_no_review_form_and_ends_the_grant_from_its_page(self):
        grant_id, _ = self.gateway.break_glass(incident="INC-4343")
        carol = self.browser()
        carol.log_in("carol")
        carol.open(f"/requests/{grant_id}")
        carol.wait_for("#own-grant")
        self.assertEqual(carol.all("#review-form"), [])
        self.assertEqual(carol.all("#review-needs-key"), [])
        refused = review_from_page(carol, grant_id, "justified", "mine was fine")
        self.assertEqual((refused["status"], refused["body"]["error"]["code"]), (403, "self_approval"), refused)
        carol.open("/reviews")
        carol.wait_for("#review-list")
        self.assertEqual(carol.all(f'#review-list [data-request-id="{grant_id}"]'), [])

        carol.open(f"/requests/{grant_id}")
        carol.find("#end-reason").send_keys("Worker restarted, incident under control")
        carol.find("#end-button").click()
        carol.wait_for_text("#notice", "The grant was ended")
        self.assertIn("Ended early by carol (its user): Worker restarted, incident under control", carol.find("#grant-ending").text)
        self.assertEqual(carol.all("#end-form"), [])
        carol.screenshot("break-glass-grant-ended-by-its-user.png")
        self.assertEqual(self.gateway.grant(grant_id)["request"]["state"], "revoked")

    def test_a_cancelled_key_touch_records_nothing(self):
        grant_id, _ = self.gateway.break_glass(incident="INC-4444")
        self.bob.open(f"/requests/{grant_id}")
        self.bob.wait_for("#review-form")
        # The key refuses to verify its holder, as when the touch or PIN is cancelled.
        self.bob.driver.execute_cdp_cmd("WebAuthn.setUserVerified", {"authenticatorId": self.bob.authenticator, "isUserVerified": False})
        self.choose(self.bob, "justified", "looked fine")
        message = self.bob.wait_for_text("#ceremony-status", "not used")
        self.assertIn("The security key was not used", message)
        self.assertIsNone(self.gateway.grant(grant_id).get("review"))
        self.assertTrue(self.bob.find("#review-button").is_enabled(), "the reviewer can try again")

    def test_a_refused_verdict_shows_the_gateways_message_and_records_nothing(self):
        grant_id, _ = self.gateway.break_glass(incident="INC-4545")
        self.bob.open(f"/requests/{grant_id}")
        self.bob.wait_for("#review-form")
        self.choose(self.bob, "unjustified", " ")
        message = self.bob.wait_for_text("#ceremony-status", "Refused")
        self.assertIn("notes are required for an unjustified verdict", message)
        self.assertIsNone(self.gateway.grant(grant_id).get("review"))

    def test_the_grant_pages_fit_a_phone_screen_with_every_control_labelled(self):
        grant_id, certificate = self.gateway.break_glass(incident="INC-4646")
        RecordedSessions(self.gateway).upload(recording_of(certificate), SESSION, final_exit_status=0)
        phone = self.browser(with_key=True)
        phone.driver.set_window_size(390, 844)
        phone.log_in("erin")
        phone.enrol_key(self.gateway.invite("erin"), "erin's key")
        phone.wait_for_text("#notice", "enrolled")
        for path in ("/reviews", f"/requests/{grant_id}"):
            phone.open(path)
            overflow = phone.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            self.assertLessEqual(overflow, 0, f"{path} scrolls sideways on a phone")
            unlabelled = phone.driver.execute_script("""
                return [...document.querySelectorAll("input:not([type=hidden]), textarea, button")]
                  .filter((control) => !(control.labels?.length || control.getAttribute("aria-label") || control.textContent.trim()))
                  .map((control) => control.outerHTML);
            """)
            self.assertEqual(unlabelled, [], f"{path} has controls without a label")
        phone.wait_for("#review-form")
        phone.screenshot("break-glass-grant-phone.png")


class OverdueReviewTests(unittest.TestCase):
    """A gateway whose wall clock the test moves: a grant's 1-hour review window passes."""

    @classmethod
    def setUpClass(cls):
        cls.browsers = []
        cls.scratch = tempfile.TemporaryDirectory(prefix="countersign-break-glass-overdue-")
        cls.receiver = PageReceiver()
        cls.clock = MovedClock(cls.scratch.name)
        cls.gateway = None
        try:
            cls.gateway = BreakGlassGateway(cls.receiver, cls.scratch.name, clock=cls.clock)
            cls.bob = Browser(cls.gateway, with_key=True)
            cls.browsers.append(cls.bob)
            cls.bob.log_in("bob")
            cls.bob.enrol_key(cls.gateway.invite("bob"), "bob's virtual key")
            cls.bob.wait_for_text("#notice", "enrolled")
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for browser in cls.browsers:
            browser.quit()
        if cls.gateway:
            pid = cls.gateway.process.pid
            cls.gateway.stop()
            MovedClock.release(pid)
        cls.receiver.stop()
        cls.scratch.cleanup()

    def test_a_grant_past_its_review_window_is_overdue_first_and_marked_on_both_pages(self):
        late, _ = self.gateway.break_glass(incident="INC-5001", hours=3)
        self.clock.advance(hours=2)
        fresh, _ = self.gateway.break_glass(incident="INC-5002", hours=3)

        self.bob.open("/reviews")
        self.bob.wait_for(f'#grants-to-review [data-request-id="{fresh}"]')
        rows = self.bob.all("#grants-to-review .grant-row")
        self.assertEqual([row.get_attribute("data-request-id") for row in rows], [late, fresh])
        self.assertEqual([row.get_attribute("data-overdue") for row in rows], ["true", "false"])
        self.assertIn("overdue", rows[0].get_attribute("class").split())
        self.assertIn("OVERDUE since", rows[0].find_element("css selector", ".review-due").text)
        self.assertNotIn("OVERDUE", rows[1].text)
        self.assertEqual(self.bob.find("#overdue-summary").text, "1 overdue")
        self.bob.screenshot("break-glass-reviews-page-overdue.png")

        rows[0].find_element("css selector", "a").click()
        due = self.bob.wait_for_text("#review-due", "OVERDUE")
        self.assertIn("its review was due by", due)
        self.assertEqual(self.bob.find("#request-state").text, "Active", "overdue for review, still open")
        self.assertTrue(self.gateway.grant(late)["review_overdue"])
        self.assertIn("OVERDUE since", self.bob.find("#grant-review-state").text)
        self.bob.screenshot("break-glass-grant-overdue.png")
        self.bob.driver.execute_script("document.getElementById('grant-review').scrollIntoView()")
        self.assertTrue(self.bob.find("#review-form").is_displayed(), "an overdue grant is still reviewed")
        self.bob.screenshot("break-glass-grant-overdue-review.png")


if __name__ == "__main__":
    unittest.main()
