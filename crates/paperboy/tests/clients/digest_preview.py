"""A digest as a mail client would show it: the HTML that `paperboy digest preview` wrote,
opened in headless Chromium at desktop and phone widths. Every link must be absolute on the
site, the text must meet WCAG AA contrast, and nothing may overflow a phone's width.

    python digest_preview.py PREVIEW_HTML SCREENSHOT_DIR BASE_URL
"""

import os
import sys

from selenium.webdriver.common.by import By

from chromium import console, driver, readable, text, wait

preview, shots, base = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(shots, exist_ok=True)

try:
    driver.get("file://" + os.path.abspath(preview))
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
    assert text("h1").startswith("Trending papers"), text("h1")
    papers = driver.find_elements(By.CSS_SELECTOR, "h2 a")
    assert papers, "no paper in the digest"
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a")]
    assert all(link.startswith(base + "/") or link == base or link == base + "/" for link in links), links
    assert any("/unsubscribe?token=" in link for link in links), links
    assert any("/subscription?token=" in link for link in links), links
    readable()
    driver.save_screenshot(os.path.join(shots, "digest-desktop.png"))

    driver.set_window_size(375, 800)
    wait.until(lambda d: d.execute_script("return window.innerWidth") <= 375)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the digest is {overflow}px wider than a phone"
    driver.save_screenshot(os.path.join(shots, "digest-phone.png"))

    errors = [entry for entry in console + driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
finally:
    driver.quit()

print(f"chromium: the digest preview reads well at 1280 and 375 pixels; screenshots in {shots}")
