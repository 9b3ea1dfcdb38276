"""A person's visit to Paperboy in headless Chromium: the home page, a day page, a paper page
with math, a search, trending, dark mode and a phone-sized window. Asserts what they would see,
that hostile text stays text, and that the console shows no errors; saves screenshots.

    python browser.py BASE_URL SCREENSHOT_DIR
"""

import os
import sys

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

base, shots = sys.argv[1], sys.argv[2]
os.makedirs(shots, exist_ok=True)

options = webdriver.ChromeOptions()
options.binary_location = os.environ.get("PAPERBOY_TEST_CHROMIUM", "/usr/bin/chromium")
for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]:
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
service = Service(os.environ.get("PAPERBOY_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
driver = webdriver.Chrome(options=options, service=service)
wait = WebDriverWait(driver, 10)
console = []


def visit(path):
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
    assert not driver.find_elements(By.CSS_SELECTOR, "img"), "markup from the catalog became an image"


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


def shoot(name):
    driver.save_screenshot(os.path.join(shots, name + ".png"))


try:
    visit("/")
    assert "Paperboy" in driver.title, driver.title
    assert text("h1") == "Monday, 18 May 2026", text("h1")
    assert "Robots that grasp" in text("ol.cards"), text("ol.cards")
    accessible_basics()
    shoot("home")

    driver.find_element(By.CSS_SELECTOR, "a[rel=prev]").click()
    wait.until(ready.url_contains("/papers/date/2026-05-17"))
    console.extend(driver.get_log("browser"))
    assert "No papers are on the feed of Sunday, 17 May 2026" in text("main"), text("main")
    visit("/papers/date/2026-05-12")
    cards = text("ol.cards")
    assert "<script>alert(1)</script> Bounds for" in cards, cards
    no_alert_and_no_injected_image()
    readable()
    shoot("day")

    visit("/papers/2605.00005")
    assert text("h1").startswith("<script>alert(1)</script> Bounds for"), text("h1")
    formulas = driver.find_elements(By.CSS_SELECTOR, ".abstract math")
    assert formulas and formulas[0].size["width"] > 0, "math is laid out"
    assert "price of $5" in text(".abstract"), text(".abstract")
    no_alert_and_no_injected_image()
    copy = driver.find_element(By.CSS_SELECTOR, "button[data-copy]")
    assert copy.is_displayed(), "the copy button appears when scripts run"
    copy.click()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".copy-status").text != "")
    assert "@misc{author2026script," in text("#bibtex"), text("#bibtex")
    accessible_basics()
    readable()
    shoot("paper")

    visit("/")
    box = driver.find_element(By.ID, "site-search")
    box.send_keys("graph networks")
    box.submit()
    wait.until(ready.url_contains("/search?q=graph"))
    console.extend(driver.get_log("browser"))
    assert "Graph networks" in text("ol.cards li:first-child h3"), text("ol.cards")
    assert driver.find_elements(By.CSS_SELECTOR, "ol.cards mark"), "matches are highlighted"
    accessible_basics()
    shoot("search")

    driver.find_element(By.LINK_TEXT, "Trending").click()
    wait.until(ready.url_contains("/papers/trending"))
    console.extend(driver.get_log("browser"))
    assert text("h1") == "Trending papers", text("h1")
    assert driver.find_element(By.LINK_TEXT, "Trending").get_attribute("aria-current") == "page"
    shoot("trending")

    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 20, 23)", background
    readable()
    visit("/papers/2605.00005")
    readable()
    visit("/search?q=graph")
    readable()
    shoot("search-dark")

    driver.set_window_size(390, 844)
    visit("/papers/2605.00005")
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a phone"
    shoot("paper-phone")

    errors = [entry for entry in console if entry["level"] == "SEVERE"]
    assert not errors, errors
finally:
    driver.quit()

print(f"chromium: six pages as a reader sees them, no console errors; screenshots in {shots}")
