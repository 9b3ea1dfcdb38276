"""What the Chromium scripts share: a headless browser with its console recorded, and the
checks every page must pass (landmarks and labels, WCAG AA contrast)."""

import email
import email.policy
import os
import re
import time

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

options = webdriver.ChromeOptions()
options.binary_location = os.environ.get("PAPERBOY_TEST_CHROMIUM", "/usr/bin/chromium")
for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]:
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
service = Service(os.environ.get("PAPERBOY_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
driver = webdriver.Chrome(options=options, service=service)
# Waits that read the page while a click's navigation replaces it retry instead of failing.
wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
console = []


def visit(base, path):
    driver.get(base + path)
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    console.extend(driver.get_log("browser"))


def text(selector):
    return driver.find_element(By.CSS_SELECTOR, selector).text


def no_alert_and_no_injected_image():
    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        pass
    else:
        raise AssertionError("a script from the catalog ran")
    assert not driver.find_elements(By.CSS_SELECTOR, "img:not([src$=\"/thumbnail\"])"), "markup from the catalog became an image"


def accessible_basics():
    """Landmarks, a language, and a label for every field: what a screen reader needs first."""
    problems = driver.execute_script("""
        const problems = [];
        if (!document.documentElement.lang) problems.push("no lang on <html>");
        for (const landmark of ["header", "nav", "main", "footer"])
            if (!document.querySelector(landmark)) problems.push("no <" + landmark + ">");
        for (const field of document.querySelectorAll("input:not([type=hidden]), select, textarea"))
            if (!field.labels || field.labels.length === 0) problems.push("unlabelled field " + field.name);
        for (const link of document.querySelectorAll("a"))
            if (!link.textContent.trim() && !link.getAttribute("aria-label")) problems.push("empty link " + link.href);
        return problems;
    """)
    assert not problems, (driver.current_url, problems)


CONTRAST = """
    function rgb(text) { return (text.match(/[\\d.]+/g) || []).map(Number); }
    function luminance([r, g, b]) {
        const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    }
    function background(element) {
        for (let e = element; e; e = e.parentElement) {
            const color = rgb(getComputedStyle(e).backgroundColor);
            if (color.length === 3 || color[3] > 0) return color.slice(0, 3);
        }
        return [255, 255, 255];
    }
    const worst = [];
    for (const element of document.querySelectorAll("body *")) {
        const hasText = [...element.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        if (!hasText || element.closest("[hidden], .visually-hidden, .skip") || element.offsetParent === null) continue;
        const fg = luminance(rgb(getComputedStyle(element).color)), bg = luminance(background(element));
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        if (ratio < 4.5) worst.push(element.tagName + "." + element.className + ": " + ratio.toFixed(2));
    }
    return worst;
"""


def readable():
    """Every visible piece of text meets WCAG AA contrast (4.5:1) against what is behind it."""
    low = driver.execute_script(CONTRAST)
    assert not low, (driver.current_url, low)


def link_in_mail(mail_dir, to, path):
    """The `path?token=...` link in the newest message to `to` in the server's mail directory
    (the plain part, decoded as a mail client would), waiting up to 10 s for it to arrive."""
    deadline = time.time() + 10
    while time.time() < deadline:
        names = sorted(n for n in os.listdir(mail_dir) if n.endswith(".eml")) if os.path.isdir(mail_dir) else []
        for name in reversed(names):
            with open(os.path.join(mail_dir, name), "rb") as file:
                message = email.message_from_binary_file(file, policy=email.policy.default)
            if message["To"] == to:
                body = message.get_body(preferencelist=("plain",)).get_content()
                found = re.search(r"https?://\S+" + re.escape(path) + r"\?token=[\w.-]+", body)
                assert found, body
                return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no mail to {to}")
