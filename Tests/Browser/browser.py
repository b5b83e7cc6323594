"""Headless Debian Chromium driven by Selenium, with a virtual security key attached through
the DevTools protocol (WebAuthn domain): CTAP2 over USB, with user verification."""

import os
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = os.environ.get("COUNTERSIGN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("COUNTERSIGN_CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = Path(os.environ.get("COUNTERSIGN_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"))


class Browser:
    def __init__(self, gateway, with_key=False):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        self.gateway = gateway
        self.authenticator = None
        if with_key:
            self.driver.execute_cdp_cmd("WebAuthn.enable", {"enableUI": False})
            self.plug_in_new_key()

    def plug_in_new_key(self):
        """Replaces the virtual key with a new one; credentials made by the old one go with it."""
        if self.authenticator:
            self.driver.execute_cdp_cmd("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.authenticator})
        self.authenticator = self.driver.execute_cdp_cmd("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "usb", "hasResidentKey": False,
            "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True,
        }})["authenticatorId"]

    def quit(self):
        self.driver.quit()

    def override(self, **bits):
        """WebAuthn.setResponseOverrideBits: isBogusSignature, isBadUV, isBadUP."""
        flags = {"isBogusSignature": False, "isBadUV": False, "isBadUP": False}
        flags.update(bits)
        self.driver.execute_cdp_cmd("WebAuthn.setResponseOverrideBits", {"authenticatorId": self.authenticator, **flags})

    def open(self, path):
        self.driver.get(self.gateway.origin + path)

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_for(self, css, timeout=15):
        return WebDriverWait(self.driver, timeout).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def wait_for_text(self, css, text, timeout=15):
        """Waits until the element holds the text. A ceremony ends by loading another page, and an
        element read while the old page goes away raises; that counts as "not yet"."""
        def holds_text(driver):
            try:
                return text in driver.find_element(By.CSS_SELECTOR, css).text
            except WebDriverException:
                return False
        WebDriverWait(self.driver, timeout).until(holds_text)
        return self.find(css).text

    def log_in(self, user):
        self.open("/login")
        self.find("#username").send_keys(user)
        self.find("#password").send_keys(f"{user}-demo-pw")
        self.find("#login-button").click()
        self.wait_for("#signed-in-user")

    def enrol_key(self, invite_code, name):
        self.open("/keys")
        form = self.wait_for("#enrol-form")
        form.find_element(By.ID, "invite-code").send_keys(invite_code)
        form.find_element(By.ID, "key-name").send_keys(name)
        self.find("#enrol-button").click()

    def api_from_page(self, method, path):
        """A fetch made by the page itself, with its session cookie and anti-forgery header."""
        return self.driver.execute_async_script("""
            const [method, path, done] = arguments;
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const body = method === "GET" ? undefined : "{}";
            fetch(path, {method, credentials: "same-origin", headers: {"Content-Type": "application/json", "X-CSRF-Token": token}, body})
              .then(async (response) => done({status: response.status, body: await response.json().catch(() => null)}))
              .catch((error) => done({status: 0, body: String(error)}));
        """, method, path)

    def screenshot(self, name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.driver.save_screenshot(str(path))
        return path
