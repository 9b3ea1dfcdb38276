"""A reader opens a paper's full text in headless Chromium: the table of contents and the
paper's own links to sections and references lead where they say, the math is laid out, a
search of every paper's full text finds it and leads to the passage, and the pages pass the
checks every page passes, in dark mode and at a phone's width too.

    python reading.py BASE_URL PAPER_ID SCREENSHOT_DIR
"""

import os
import sys
import time

from selenium.webdriver.common.by import By

import chromium
from chromium import accessible_basics, console, driver, no_alert_and_no_injected_image, readable, text, wait

base, paper, shots = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(shots, exist_ok=True)


def shoot(name):
    driver.save_screenshot(os.path.join(shots, name + ".png"))


try:
    # Pages show a change to the catalog within a second: the full text was fetched just now.
    deadline = time.time() + 5
    chromium.visit(base, f"/papers/{paper}")
    while not driver.find_elements(By.LINK_TEXT, "Read the full text") and time.time() < deadline:
        time.sleep(0.25)
        chromium.visit(base, f"/papers/{paper}")
    driver.find_element(By.LINK_TEXT, "Read the full text").click()
    wait.until(lambda d: d.current_url.endswith("/read"))
    chromium.visit(base, f"/papers/{paper}/read")
    # The recorded arXiv page stands in for this paper's full text.
    assert text(".fulltext h2:not(#abstract)").startswith("1 Introduction"), text(".fulltext h2:not(#abstract)")
    formulas = driver.find_elements(By.CSS_SELECTOR, ".fulltext math")
    assert len(formulas) >= 150 and formulas[0].size["width"] > 0, "math is laid out"
    no_alert_and_no_injected_image()
    accessible_basics()
    readable()
    shoot("read")

    driver.find_element(By.CSS_SELECTOR, '.toc a[href="#S3.SS1"]').click()
    wait.until(lambda d: d.execute_script("return location.hash") == "#S3.SS1")
    assert text(":target").startswith("3.1"), text(":target")
    citation = driver.find_element(By.CSS_SELECTOR, '.fulltext a[href="#bib.bib7"]')
    driver.execute_script("arguments[0].click()", citation)
    wait.until(lambda d: d.execute_script("return location.hash") == "#bib.bib7")
    assert "Berglund" in text(":target"), text(":target")
    top = driver.execute_script("return document.querySelector(':target').getBoundingClientRect().top")
    assert -2 <= top < 200, f"the reference is scrolled into view ({top}px from the top)"

    box = driver.find_element(By.ID, "in-paper")
    box.send_keys("backdoor trigger")
    box.submit()
    wait.until(lambda d: "q=backdoor" in d.current_url)
    chromium.visit(base, driver.current_url[len(base):])
    assert "passages for" in text("#found-heading"), text("#found-heading")
    assert driver.find_elements(By.CSS_SELECTOR, ".found mark"), "the words are marked"
    accessible_basics()
    readable()
    shoot("read-search")

    # Searching every paper's full text from the search page finds this one by its body, and
    # its best passage leads to its section in the reading view.
    chromium.visit(base, "/search")
    driver.find_element(By.CSS_SELECTOR, 'input[name="scope"][value="fulltext"]').click()
    box = driver.find_element(By.ID, "q")
    box.send_keys("backdoor trigger")
    box.submit()
    wait.until(lambda d: "scope=fulltext" in d.current_url)
    found = driver.current_url[len(base):]
    deadline = time.time() + 5
    chromium.visit(base, found)
    while not driver.find_elements(By.CSS_SELECTOR, ".card .passage a") and time.time() < deadline:
        time.sleep(0.25)
        chromium.visit(base, found)
    link = driver.find_element(By.CSS_SELECTOR, ".card .passage a")
    assert f"/papers/{paper}/read#" in link.get_attribute("href"), link.get_attribute("href")
    assert driver.find_elements(By.CSS_SELECTOR, ".card .passage mark"), "the words are marked"
    accessible_basics()
    readable()
    shoot("search-fulltext")
    section = link.text
    link.click()
    wait.until(lambda d: "/read#" in d.current_url and d.find_elements(By.CSS_SELECTOR, ":target"))
    assert text(":target").startswith(section.split()[0]), (section, text(":target"))

    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    readable()
    shoot("read-dark")

    driver.set_window_size(390, 844)
    chromium.visit(base, f"/papers/{paper}/read")
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    wide = driver.execute_script("""
        return [...document.querySelectorAll('.reading *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll, .equation, pre'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 60));
    """)
    assert overflow <= 0, f"the page is {overflow}px wider than a phone: {wide}"
    shoot("read-phone")

    errors = [entry for entry in console if entry["level"] == "SEVERE"]
    assert not errors, errors
finally:
    driver.quit()

print(f"chromium: the reading view, its contents and references, dark and on a phone; screenshots in {shots}")
