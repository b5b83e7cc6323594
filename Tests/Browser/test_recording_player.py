"""The request page's recordings in a real headless Chromium against a real countersignd: each
recording listed with its state (an incomplete one as an alarm), played in the page by the
shipped player under the strict CSP, a search that jumps to the screen of a match, output that
looks like HTML painted as text, and who sees which recording. Run by `make test`."""

import unittest

from browser import Browser
from gateway import Gateway
from recordings import RecordedSessions

# What bob's session showed: a prompt, a typed command, its output (with markup that must stay
# text), and a last line that only a played-to-the-end screen holds.
SESSION = [
    [[0.1, "o", "deploy@rec-1:~$ "]],
    [[0.6, "i", "g"], [0.7, "i", "rep needle-42 /etc/app.conf\r"], [0.8, "o", "grep needle-42 /etc/app.conf\r\n"]],
    [[1.2, "o", "needle-42 = <img src=x onerror=\"document.title='owned'\"><b>bold</b>\r\n"]],
    [[4.5, "o", "deploy@rec-1:~$ "], [5.0, "o", "logout\r\nthe last line of the session\r\n"]],
]


class RecordingPlayerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gateway = Gateway()
        cls.browsers = []
        try:
            sessions = RecordedSessions(cls.gateway)
            cls.request_id = sessions.approved_request(requester="bob", reviewer="dave")
            cls.complete = sessions.upload(sessions.certificate(cls.request_id), SESSION, final_exit_status=0)
            # A second session whose recorder lost 4 KiB before its first chunk: a gap.
            cls.incomplete = sessions.upload(sessions.certificate(cls.request_id), [[], [[0.2, "o", "after the gap\r\n"]]], final_exit_status=0, lost_bytes=4096)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def browser(cls, user):
        browser = Browser(cls.gateway)
        cls.browsers.append(browser)
        browser.log_in(user)
        return browser

    @classmethod
    def tearDownClass(cls):
        for browser in cls.browsers:
            browser.quit()
        cls.gateway.stop()

    def screen(self, browser):
        return browser.find("#player-screen").text

    def test_the_request_page_lists_each_recording_with_its_state_and_the_incomplete_one_loudly(self):
        bob = self.browser("bob")
        bob.open(f"/requests/{self.request_id}")
        self.assertIn("Sessions are recorded (output and input).", bob.find("#recording-notice").text)
        complete = bob.find(f"#recording-{self.complete}")
        self.assertEqual(complete.get_attribute("data-state"), "complete")
        self.assertIn("Complete", complete.text)
        self.assertNotIn("alarm", complete.get_attribute("class").split())
        incomplete = bob.find(f"#recording-{self.incomplete}")
        self.assertEqual(incomplete.get_attribute("data-state"), "incomplete")
        self.assertIn("alarm", incomplete.get_attribute("class").split())
        # The stylesheet writes states in capitals; the words are the page's.
        self.assertIn("ALARM: incomplete", incomplete.find_element("css selector", ".recording-state").get_attribute("textContent"))
        self.assertIn("4.0 KiB lost in 1 gap", incomplete.text)
        bob.screenshot("request-recordings.png")

    def test_a_recording_plays_in_the_page_to_its_last_screen_and_markup_in_it_stays_text(self):
        bob = self.browser("bob")
        bob.open(f"/requests/{self.request_id}")
        bob.find(f'button[data-watch-recording="{self.complete}"]').click()
        bob.wait_for_text("#player-recording", self.complete)
        bob.find("#player-speed").send_keys("4x")
        bob.wait_for("#player-toggle").click()
        bob.wait_for_text("#player-status", "Played to the end.", timeout=30)
        screen = self.screen(bob)
        self.assertIn("the last line of the session", screen)
        self.assertIn("needle-42 = <img src=x onerror=\"document.title='owned'\"><b>bold</b>", screen)
        self.assertEqual(bob.all("#player-screen img, #player-screen b"), [])
        self.assertNotEqual(bob.driver.title, "owned")
        self.assertIn("5.0 s of 5.0 s", bob.find("#player-progress").text)
        bob.screenshot("recording-played.png")

    def test_the_search_box_jumps_to_the_screen_where_the_text_was_typed(self):
        bob = self.browser("bob")
        bob.open(f"/requests/{self.request_id}")
        bob.wait_for("#recording-search-input").send_keys("needle-42")
        bob.find("#recording-search-button").click()
        bob.wait_for_text("#recording-search-status", "match")
        matches = bob.all("#recording-matches button.match")
        kinds = [match.find_element("css selector", ".match-kind").get_attribute("textContent") for match in matches]
        self.assertEqual(sorted(kinds), ["output", "output", "typed"], [match.text for match in matches])
        # The moment the command was typed: the prompt on the screen, its echo not yet.
        matches[kinds.index("typed")].click()
        bob.wait_for_text("#player-status", "Jumped to +0.7 s")
        self.assertIn("deploy@rec-1:~$", self.screen(bob))
        self.assertNotIn("grep", self.screen(bob))
        # The moment its output was shown: that line on the screen, nothing the session printed later.
        output = next(match for match in matches if "needle-42 = " in match.text)
        output.click()
        bob.wait_for_text("#player-status", "Jumped to +1.2 s")
        screen = self.screen(bob)
        self.assertIn("grep needle-42 /etc/app.conf", screen)
        self.assertIn("needle-42 = <img", screen)
        self.assertNotIn("the last line of the session", screen)

    def test_others_see_none_of_bob_s_recordings_and_an_auditor_sees_them_all(self):
        carol = self.browser("carol")
        carol.open(f"/requests/{self.request_id}")
        self.assertEqual(carol.all("#recording-list li"), [])
        self.assertIn("your own sessions", carol.find("#recording-audience").text)
        answer = carol.api_from_page("GET", f"/v1/recordings/{self.complete}/frames")
        self.assertEqual((answer["status"], answer["body"]["error"]["code"]), (404, "not_found"), answer)

        erin = self.browser("erin")
        erin.open(f"/requests/{self.request_id}")
        self.assertEqual({row.get_attribute("data-recording-id") for row in erin.all("#recording-list li")}, {self.complete, self.incomplete})
        self.assertIn("every session", erin.find("#recording-audience").text)
        answer = erin.api_from_page("GET", f"/v1/recordings/{self.complete}/frames?limit=1")
        self.assertEqual(answer["status"], 200, answer)
        self.assertEqual(answer["body"]["next"], 1)

    def test_the_page_runs_no_inline_script_or_style(self):
        bob = self.browser("bob")
        bob.open(f"/requests/{self.request_id}")
        inline = bob.driver.execute_script("""
            return [...document.querySelectorAll("script:not([src]), [style], [onclick], [onload]")].map((node) => node.outerHTML);
        """)
        self.assertEqual(inline, [])
        sources = [script.get_attribute("src") for script in bob.all("script[src]")]
        self.assertTrue(all(source.startswith(self.gateway.origin + "/static/") for source in sources), sources)


if __name__ == "__main__":
    unittest.main()
