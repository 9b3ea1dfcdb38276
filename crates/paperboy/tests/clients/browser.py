"""A person's visit to Paperboy in headless Chromium: the home page, a day page, a paper page
with math, a search, trending, dark mode and a phone-sized window. Asserts what they would see,
that hostile text stays text, and that the console shows no errors; saves screenshots.

    python browser.py BASE_URL SCREENSHOT_DIR
"""

import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready

import chromium
from chromium import accessible_basics, console, driver, no_alert_and_no_injected_image, readable, text, wait

base, shots = sys.argv[1], sys.argv[2]
os.makedirs(shots, exist_ok=True)


def visit(path):
    chromium.visit(base, path)


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
