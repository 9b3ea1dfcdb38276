"""A reader subscribing in headless Chromium: the form on the trending page, the confirmation
link from the email (read from the server's mail directory), the confirm button, and the
settings page the link leads to, where they switch to a weekly digest. Checks labels and
contrast on each page and saves screenshots.

    python subscriber.py BASE_URL SCREENSHOT_DIR MAIL_DIR
"""

import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import chromium
from chromium import accessible_basics, console, driver, link_in_mail, readable, text, wait

base, shots, mail_dir = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(shots, exist_ok=True)


def settled(heading):
    """Waits for the page whose heading is `heading`: a click's navigation may not have begun
    when the old page still reads as complete."""
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "h1").text == heading)
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    console.extend(driver.get_log("browser"))


try:
    chromium.visit(base, "/papers/trending")
    accessible_basics()
    readable()
    driver.find_element(By.CSS_SELECTOR, "form.subscribe-form [name=email]").send_keys("reader2@example.org")
    driver.find_element(By.CSS_SELECTOR, "form.subscribe-form button").click()
    settled("Check your inbox")

    driver.get(link_in_mail(mail_dir, "reader2@example.org", "/subscription/confirm"))
    settled("Confirm your subscription")
    driver.find_element(By.CSS_SELECTOR, "form[action='/subscription/confirm'] button").click()
    settled("You are subscribed")
    driver.find_element(By.LINK_TEXT, "Change the settings").click()
    settled("Your digest")
    accessible_basics()
    readable()
    Select(driver.find_element(By.ID, "digest-frequency")).select_by_value("weekly")
    Select(driver.find_element(By.ID, "digest-weekday")).select_by_value("tuesday")
    driver.find_element(By.CSS_SELECTOR, "#digest-settings button[type=submit]").click()
    wait.until(lambda d: "Saved." in text("main"))
    console.extend(driver.get_log("browser"))
    assert "every Tuesday at 08:00" in text("main"), text("main")
    driver.save_screenshot(os.path.join(shots, "digest-settings.png"))

    errors = [entry for entry in console if entry["level"] == "SEVERE"]
    assert not errors, errors
finally:
    driver.quit()

print(f"chromium: a reader subscribed from the trending page and chose a weekly digest; screenshots in {shots}")
