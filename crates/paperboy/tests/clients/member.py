"""A member's visit in headless Chromium: sign up with the form, confirm through the emailed
link (read from the server's mail directory), upvote a paper without the page reloading,
comment in Markdown, save a paper to the reading list and to a new collection, and sign out. Asserts the console stays free of errors (the site's
Content-Security-Policy included) and saves screenshots.

    python member.py BASE_URL SCREENSHOT_DIR MAIL_DIR
"""

import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready

import chromium
from chromium import accessible_basics, console, driver, link_in_mail, readable, text, wait

base, shots, mail_dir = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(shots, exist_ok=True)


def visit(path):
    chromium.visit(base, path)


def fill(form, **fields):
    for name, value in fields.items():
        box = driver.find_element(By.CSS_SELECTOR, f"{form} [name={name}]")
        box.clear()
        box.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    console.extend(driver.get_log("browser"))


try:
    visit("/signup")
    fill("form[action='/signup']", name="grace", email="grace@example.org", password="correct horse battery")
    assert "Check your inbox" in text("h1"), text("main")
    driver.save_screenshot(os.path.join(shots, "signup-sent.png"))

    driver.get(link_in_mail(mail_dir, "grace@example.org", "/links/confirm"))
    assert text("h1") == "Confirm your address", text("main")
    accessible_basics()
    readable()
    driver.find_element(By.CSS_SELECTOR, "form[action='/links/confirm'] button").click()
    wait.until(ready.url_contains("/settings"))
    assert "grace@example.org" in text("main"), text("main")
    assert text("div.account a[href='/settings']") == "grace"

    # Voting without a reload: the page keeps a marker the script set before the click.
    visit("/papers/2605.00003")
    accessible_basics()
    readable()
    before = int(text("[data-vote-count]"))
    driver.execute_script("window.__stayed = true")
    driver.find_element(By.CSS_SELECTOR, "form[data-vote] button").click()
    wait.until(lambda d: int(d.find_element(By.CSS_SELECTOR, "[data-vote-count]").text) == before + 1)
    assert driver.execute_script("return window.__stayed === true"), "the page reloaded"
    assert text("[data-vote-label]") == "Upvoted"
    assert driver.find_element(By.CSS_SELECTOR, "form[data-vote] button").get_attribute("aria-pressed") == "true"
    driver.save_screenshot(os.path.join(shots, "voted.png"))
    visit("/papers/2605.00003")
    assert int(text("[data-vote-count]")) == before + 1, "the vote is stored"
    assert "grace" in text(".upvoters"), text(".upvoters")

    fill("form[action='/papers/2605.00003/comments']:not(:has(input[name=parent]))",
         body="**Worth reading.** <script>alert(1)</script> [x](javascript:alert(2))")
    wait.until(ready.url_contains("#comment-"))
    assert driver.find_element(By.CSS_SELECTOR, ".comment-body strong").text == "Worth reading."
    assert "<script>alert(1)</script>" in text(".comment-body")
    assert not driver.find_elements(By.CSS_SELECTOR, ".comment-body a[href^='javascript']")
    assert "Discussion (1)" in text("#comments-heading")
    accessible_basics()
    readable()
    driver.save_screenshot(os.path.join(shots, "commented.png"))

    # Saving: a card's "Save" leads to the reading list and the collections; a new collection
    # takes the paper with a note, and its page shows it.
    visit("/papers/date/2026-05-11")
    driver.find_element(By.CSS_SELECTOR, "a.save[href='/papers/2605.00001/save']").click()
    wait.until(ready.url_contains("/papers/2605.00001/save"))
    accessible_basics()
    readable()
    fill("form[action='/papers/2605.00001/save']")
    wait.until(lambda d: "Take it off your reading list" in text("main"))
    fill("form[action='/collections']", title="Worth keeping", note="Read the proofs first.")
    wait.until(ready.url_contains("/collections/grace/worth-keeping-"))
    assert text("h1") == "Worth keeping", text("main")
    assert "Read the proofs first." in text(".note"), text("main")
    accessible_basics()
    readable()
    driver.save_screenshot(os.path.join(shots, "collection.png"))
    driver.find_element(By.CSS_SELECTOR, "div.account a[href='/reading-list']").click()
    wait.until(ready.url_contains("/collections/grace/reading-list-"))
    assert "1 paper" in text(".summary") and "private" in text(".summary"), text("main")

    driver.find_element(By.CSS_SELECTOR, "div.account form button").click()
    wait.until(lambda d: d.find_elements(By.LINK_TEXT, "Sign in"))
    assert not driver.find_elements(By.CSS_SELECTOR, "div.account a[href='/settings']")

    errors = [entry for entry in console if entry["level"] == "SEVERE"]
    assert not errors, errors
finally:
    driver.quit()

print(f"chromium: a member signed up, voted without a reload, commented and saved papers; screenshots in {shots}")
