"""The Mini App in a real browser: headless Chromium and chromedriver from Debian's packages, driven by Selenium.

Selenium is given both paths, so Selenium Manager never looks for (or downloads) a browser. Outside CI a
machine without Chromium skips these tests with the reason; in CI (CI=true) a missing Chromium fails them.
Selenium blocks, the bot runs on the test's event loop: every browser call goes through a thread.
"""

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from tests.support.harness import LEADER_ID
from tests.support.harness import PIC_ID

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
DOCS = Path(__file__).resolve().parents[2] / "docs"
WIDTH, HEIGHT = 360, 780

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the browser, not the database


@pytest.fixture(scope="module")
def browser():
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        reason = (f"headless Chromium is not installed ({CHROMIUM}, {CHROMEDRIVER}): "
                  "apt-get install -y chromium chromium-driver")
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager: never reach the network
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={WIDTH},{HEIGHT}", "--hide-scrollbars", "--lang=id"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    # A phone's viewport exactly (a window size would include the browser's own frame).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": True})
    yield driver
    driver.quit()


async def _in_browser(fn, *args):
    return await asyncio.to_thread(fn, *args)


def _wait(driver, css: str, text: str | None = None) -> str:
    """The text of the element `css` once it is shown (and holds `text`): WebDriverWait polls for it, up to
    10 s. The text is read inside the poll: the page re-renders a card when an answer comes, and an element
    read after the wait may already have been replaced (a stale one is polled again)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(d):
        for el in d.find_elements(By.CSS_SELECTOR, css):
            shown = el.text if el.is_displayed() else None
            if shown is not None and (text is None or text in shown):
                return (shown,)  # truthy even for an element without text (an image)
        return False

    return WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(found)[0]


def _viewport(driver) -> tuple[int, int]:
    return driver.execute_script("return [window.innerWidth, window.innerHeight]")


def _type(driver, name: str, value: str, kegiatan: int) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.CSS_SELECTOR, f"#k{kegiatan} [name='{name}']")
    field.clear()
    field.send_keys(value)


async def test_a_pic_fills_and_saves_a_kegiatan_and_a_word_is_refused(browser, webapp, fake, small_plan):
    kegiatan = small_plan["kegiatan"][0]
    a1, a2 = small_plan["aksi"][kegiatan][:2]
    await _in_browser(browser.get, webapp.url(PIC_ID))
    await _in_browser(_wait, browser, f"#k{kegiatan} h2", "Pendidikan dan Pelatihan Teknis")
    assert await _in_browser(_viewport, browser) == [WIDTH, HEIGHT]
    await _in_browser(_type, browser, f"a{a1}", "lima puluh", kegiatan)
    await _in_browser(_type, browser, f"a{a2}", "60", kegiatan)
    await _in_browser(_type, browser, "budget", "125jt", kegiatan)
    await _in_browser(lambda: browser.find_element("css selector", f"#k{kegiatan} button").click())
    error = await _in_browser(_wait, browser, f"#k{kegiatan} .err[data-for='a{a1}']", "bukan angka")
    assert error == "“lima puluh” bukan angka. Ketik angkanya, dengan atau tanpa satuan: misalnya 75, 75%, 45 orang, 1.250 atau 3,5."
    await _in_browser(_wait, browser, f"#k{kegiatan} .status", "tidak ada yang disimpan")

    await _in_browser(_type, browser, f"a{a1}", "50%", kegiatan)
    await _in_browser(lambda: browser.find_element("css selector", f"#k{kegiatan} button").click())
    await _in_browser(_wait, browser, f"#k{kegiatan} .status", "Tersimpan ✅")
    card = await _in_browser(_wait, browser, f"#k{kegiatan}")
    assert "✅ Lengkap" in card and "Tersimpan: 50%" in card and "Tersimpan: Rp125.000.000" in card
    await fake.wait_idle()
    assert fake.messages_to(PIC_ID)[-1]["text"].startswith("Tersimpan ✅ Pendidikan dan Pelatihan Teknis")
    await _in_browser(browser.execute_script, "window.scrollTo(0, 0)")
    await _in_browser(browser.save_screenshot, str(DOCS / "webapp-pic.png"))


async def test_a_forged_init_data_is_refused_in_the_browser(browser, webapp, small_plan):
    forged = webapp.url(PIC_ID).replace("3001", "3002")  # Budi's signature over Sari's id
    await _in_browser(browser.get, "about:blank")  # a new page: sessionStorage of the last one is not reused
    await _in_browser(browser.get, forged)
    refused = await _in_browser(_wait, browser, "#refused")
    assert "tidak sah" in refused and "Simpan" not in browser.page_source


async def test_the_leadership_page_in_a_phone_screen(browser, webapp, small_plan):
    kegiatan = small_plan["kegiatan"][0]
    a1, a2 = small_plan["aksi"][kegiatan][:2]
    await webapp.post("save", {"kegiatan_id": kegiatan, "quarter": 2,
                               "fields": {f"a{a1}": "50%", f"a{a2}": "45", "budget": "300jt"}},
                      init_data=webapp.init_data(PIC_ID))
    await _in_browser(browser.get, "about:blank")
    await _in_browser(browser.get, webapp.url(LEADER_ID))
    await _in_browser(_wait, browser, "#chart")
    digest = await _in_browser(_wait, browser, "#digest")
    assert "Pendidikan" in digest or "IKU" in digest
    late = await _in_browser(_wait, browser, "#late")
    assert "Sari Dewi" in late
    width = await _in_browser(browser.execute_script, "return document.documentElement.scrollWidth")
    assert width <= WIDTH  # nothing wider than the phone
    await _in_browser(browser.save_screenshot, str(DOCS / "webapp-leadership.png"))
