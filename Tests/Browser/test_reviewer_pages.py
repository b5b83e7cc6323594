"""The reviewer pages in a real headless Chromium against a real countersignd, with virtual
security keys: enrolment with an invite, approval by key, the requester's own request, refused
ceremonies (bad user verification, bogus signature), forged form posts, and the page headers.
Run by `make test`; screenshots land in test-artifacts/browser/."""

import http.server
import threading
import unittest
import urllib.request

from selenium.webdriver.common.keys import Keys

from browser import Browser
from gateway import Gateway


class ReviewerPagesTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gateway = Gateway()
        cls.browsers = []
        try:
            # dave (sre) reviews with an enrolled key; alice (engineering) files requests.
            cls.dave = cls.browser(with_key=True)
            cls.dave.log_in("dave")
            cls.dave.enrol_key(cls.gateway.invite("dave"), "dave's virtual key")
            cls.dave.wait_for_text("#notice", "enrolled")
            cls.alice = cls.browser()
            cls.alice.log_in("alice")
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
        cls.gateway.stop()

    def tearDown(self):
        self.dave.override()

    # Enrolment

    def test_enrol_a_key_with_an_invite(self):
        carol = self.browser(with_key=True)
        carol.log_in("carol")
        carol.enrol_key("not-the-code", "carol's key")
        message = carol.wait_for_text("#ceremony-status", "Refused")
        self.assertIn("invite", message)
        self.assertEqual(self.gateway.call("GET", "/v1/keys", user="carol")[1]["keys"], [])

        carol.enrol_key(self.gateway.invite("carol"), "carol's key")
        carol.wait_for_text("#notice", "Your security key was enrolled.")
        self.assertEqual([key.text for key in carol.all(".key-name")], ["carol's key"])
        keys = self.gateway.call("GET", "/v1/keys", user="carol")[1]["keys"]
        self.assertEqual([key["name"] for key in keys], ["carol's key"])

    def test_the_same_key_cannot_be_enrolled_twice_and_a_key_is_removed_with_a_touch_of_another(self):
        bob = self.browser(with_key=True)
        bob.log_in("bob")
        bob.enrol_key(self.gateway.invite("bob"), "first key")
        bob.wait_for_text("#notice", "enrolled")
        self.assertIn("Removing your only key takes an admin", bob.find("main").text)
        self.assertEqual(bob.all('button[data-ceremony="remove-key"]'), [])

        bob.enrol_key(self.gateway.invite("bob"), "first key again")
        self.assertIn("already enrolled", bob.wait_for_text("#ceremony-status", "already"))

        bob.plug_in_new_key()
        bob.enrol_key(self.gateway.invite("bob"), "second key")
        bob.wait_for_text("#notice", "enrolled")
        keys = self.gateway.call("GET", "/v1/keys", user="bob")[1]["keys"]
        first_id = next(key["credential_id"] for key in keys if key["name"] == "first key")

        # The second key confirms the removal of the first.
        bob.find(f'button[data-ceremony="remove-key"][data-credential-id="{first_id}"]').click()
        bob.wait_for_text("#notice", "The security key was removed.")
        self.assertEqual([key.text for key in bob.all(".key-name")], ["second key"])
        names = [key["name"] for key in self.gateway.call("GET", "/v1/keys", user="bob")[1]["keys"]]
        self.assertEqual(names, ["second key"])

    # Reviewing

    def test_reviewer_denies_with_a_reason(self):
        request_id = self.gateway.file_deploy()
        self.dave.open(f"/requests/{request_id}")
        self.dave.find("#deny-reason").send_keys("Not during the change freeze")
        self.dave.find("#deny-button").click()
        self.dave.wait_for_text("#notice", "The request was denied.")
        self.assertIn("Denied by dave: Not during the change freeze", self.dave.find("#history").text)
        stored = self.gateway.request(request_id)
        self.assertEqual((stored["state"], stored["denial"]["reason"]), ("denied", "Not during the change freeze"))

    def test_review_list_shows_a_new_request_without_a_reload(self):
        self.dave.open("/reviews")
        self.dave.wait_for("#review-list")
        self.dave.driver.execute_script("window.countersignSamePage = true")
        request_id = self.gateway.file_deploy(service="ledger-api")
        self.dave.wait_for(f'#review-list [data-request-id="{request_id}"]')
        self.assertTrue(self.dave.driver.execute_script("return window.countersignSamePage === true"), "the page was reloaded")
        self.assertIn("new request", self.dave.find("#review-list-status").get_attribute("textContent"))

    def test_second_user_approves_by_touching_the_key(self):
        request_id = self.gateway.file_deploy()
        self.dave.open(f"/requests/{request_id}")
        self.assertIn("sre: 0 of 1", self.dave.find("#requirement-summary").text)
        self.dave.screenshot("request-page-pending.png")
        # By keyboard, as a reviewer without a mouse would.
        self.dave.find("#approve-with-key").send_keys(Keys.ENTER)
        self.dave.wait_for_text("#notice", "Your approval was recorded.")
        self.assertEqual(self.dave.find("#request-state").text, "Approved")
        self.assertIn("Approved by dave with a security key", self.dave.find("#history").text)
        path = self.dave.screenshot("request-page-approved.png")
        self.assertEqual(path.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")

        stored = self.gateway.request(request_id)
        self.assertEqual(stored["state"], "approved")
        self.assertEqual([(a["approver"], a["method"]) for a in stored["approvals"]], [("dave", "hardware_key")])
        status, report = self.gateway.call("GET", "/v1/audit/verify-approvals", user="erin")
        self.assertEqual(status, 200, report)
        self.assertEqual(report["faults"], [], report)

    def test_requester_sees_no_approve_button_and_the_api_refuses(self):
        request_id = self.gateway.file_deploy()
        self.alice.open(f"/requests/{request_id}")
        self.alice.wait_for("#own-request")
        self.assertEqual(self.alice.all("#approve-with-key"), [])
        self.assertEqual(self.alice.all("#deny-form"), [])
        answer = self.alice.api_from_page("POST", f"/v1/requests/{request_id}/approval-options")
        self.assertEqual((answer["status"], answer["body"]["error"]["code"]), (403, "self_approval"), answer)
        self.alice.screenshot("request-page-own.png")

    def test_bad_user_verification_is_refused_with_a_clear_message(self):
        request_id = self.gateway.file_deploy()
        self.dave.override(isBadUV=True)
        self.dave.open(f"/requests/{request_id}")
        self.dave.find("#approve-with-key").click()
        message = self.dave.wait_for_text("#ceremony-status", "Refused")
        self.assertIn("did not verify the user", message)
        self.assertEqual(self.gateway.request(request_id)["state"], "pending")
        self.assertTrue(self.dave.find("#approve-with-key").is_enabled(), "the reviewer can try again")

    def test_bogus_signature_is_refused_with_a_clear_message(self):
        request_id = self.gateway.file_deploy()
        self.dave.override(isBogusSignature=True)
        self.dave.open(f"/requests/{request_id}")
        self.dave.find("#approve-with-key").click()
        message = self.dave.wait_for_text("#ceremony-status", "Refused")
        self.assertIn("signature does not verify", message)
        self.assertEqual(self.gateway.request(request_id)["state"], "pending")

    # Forgery

    def test_form_post_without_the_csrf_token_is_refused(self):
        request_id = self.gateway.file_deploy()
        self.dave.open(f"/requests/{request_id}")
        self.dave.driver.execute_script("document.querySelector('#deny-form input[name=csrf]').remove()")
        self.dave.find("#deny-reason").send_keys("forged")
        self.dave.find("#deny-button").click()
        message = self.dave.wait_for_text("#error-message", "did not come from the gateway's own page")
        self.assertIn("reload the page", message)
        self.assertEqual(self.gateway.request(request_id)["state"], "pending")

    def test_form_post_from_another_site_carries_no_session(self):
        request_id = self.gateway.file_deploy()
        target = f"{self.gateway.origin}/requests/{request_id}/deny"
        page = (f'<!doctype html><form method="post" action="{target}"><input name="reason" value="forged">'
                '<button id="go">Win a prize</button></form>').encode()

        class AttackerPage(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AttackerPage)
        threading.Thread(target=attacker.serve_forever, daemon=True).start()
        try:
            self.dave.driver.get(f"http://127.0.0.1:{attacker.server_address[1]}/")
            self.dave.find("#go").click()
            self.dave.wait_for("#login-form")
        finally:
            attacker.shutdown()
            attacker.server_close()
        self.assertEqual(self.gateway.request(request_id)["state"], "pending")

    def test_a_forged_cookie_only_api_call_gets_no_identity(self):
        self.dave.open("/reviews")
        answer = self.dave.driver.execute_async_script("""
            const done = arguments[0];
            fetch("/v1/whoami", {credentials: "same-origin"}).then(async (r) => done({status: r.status, body: await r.json()}));
        """)
        self.assertEqual((answer["status"], answer["body"]["error"]["code"]), (401, "unauthenticated"), answer)
        self.assertIn("anti-forgery", answer["body"]["error"]["message"])
        answer = self.dave.api_from_page("GET", "/v1/whoami")
        self.assertEqual((answer["status"], answer["body"]["username"]), (200, "dave"), answer)

    # Pages

    def test_pages_carry_the_security_headers(self):
        with urllib.request.urlopen(f"{self.gateway.api}/login") as response:
            headers = response.headers
            cookie = headers["Set-Cookie"]
        policy = headers["Content-Security-Policy"]
        self.assertIn("frame-ancestors 'none'", policy)
        self.assertIn("script-src 'self'", policy)
        self.assertNotIn("unsafe-inline", policy)
        self.assertEqual(headers["Cache-Control"], "no-store")
        self.assertEqual(headers["X-Frame-Options"], "DENY")
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(attribute, cookie)

    def test_pages_fit_a_phone_screen(self):
        phone = self.browser()
        phone.driver.set_window_size(390, 844)
        phone.log_in("carol")
        request_id = self.gateway.file_deploy(service="a-service-with-a-rather-long-name-for-a-phone")
        for path in ("/reviews", f"/requests/{request_id}", "/history", "/keys"):
            phone.open(path)
            overflow = phone.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            self.assertLessEqual(overflow, 0, f"{path} scrolls sideways on a phone")
            unlabelled = phone.driver.execute_script("""
                return [...document.querySelectorAll("input:not([type=hidden]), textarea, button")]
                  .filter((control) => !(control.labels?.length || control.getAttribute("aria-label") || control.textContent.trim()))
                  .map((control) => control.outerHTML);
            """)
            self.assertEqual(unlabelled, [], f"{path} has controls without a label")
        phone.screenshot("request-page-phone.png")


if __name__ == "__main__":
    unittest.main()
