"""The report page as an analyst opens it: Debian's Chromium (Selenium), no network, tables sorted by a click
and filtered by typing. Screenshots go to ``$STANCEKIT_ARTIFACTS``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser import CHROMEDRIVER, CHROMIUM, missing_browser
from stancekit.reporting import ReportConfig, build_report
from stancekit.tagging import TagConfig, tag
from test_tagging import make_coverage

pytestmark = [pytest.mark.browser, pytest.mark.skipif(missing_browser() is not None, reason=missing_browser() or "")]


@pytest.fixture(scope="module")
def page(tmp_path_factory, seed_text, tiny_stance_model_dir, seed_actors_path) -> Path:
    folder = tmp_path_factory.mktemp("browser-report")
    tags = folder / "tags.jsonl"
    tag(TagConfig(inputs=[make_coverage(folder / "news.jsonl", seed_text, 12)], model=tiny_stance_model_dir,
                  actors=seed_actors_path, output=tags, progress=False))
    build_report(ReportConfig(tags=tags, output_dir=folder / "report"))
    return folder / "report" / "report.html"


@pytest.fixture
def driver(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900",
                "--disable-background-networking", "--lang=en-US"):
        options.add_argument(arg)
    chrome = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield chrome
    chrome.quit()


def shot(driver, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("STANCEKIT_ARTIFACTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(folder / f"report-{name}.png"))


def column(driver, table: str, index: int) -> list[str]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")
    return [r.find_elements(By.TAG_NAME, "td")[index].get_attribute("data-value") or
            r.find_elements(By.TAG_NAME, "td")[index].text for r in rows if r.is_displayed()]


def test_actor_table_sorts_on_click_and_filters_as_typed(page, driver, tmp_path):
    from selenium.webdriver.common.by import By

    driver.get(page.as_uri())
    assert driver.title == "Stance per actor"
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0  # nothing fetched
    header = driver.find_elements(By.CSS_SELECTOR, "#actors-table thead th")
    names = [h.text.rstrip(" ↕▲▼") for h in header]
    assert names[:4] == ["Actor", "Mentions", "Articles", "Favor %"]
    initial = [int(v) for v in column(driver, "actors-table", 1)]
    assert initial == sorted(initial, reverse=True)  # most mentioned first
    header[1].click()
    assert header[1].get_attribute("aria-sort") == "ascending"
    assert [int(v) for v in column(driver, "actors-table", 1)] == sorted(initial)
    header[1].click()
    assert [int(v) for v in column(driver, "actors-table", 1)] == sorted(initial, reverse=True)
    header[6].click()  # "Net": numbers first, rows without a share last
    nets = column(driver, "actors-table", 6)
    numbers = [float(v) for v in nets if v not in ("", "—")]
    assert numbers == sorted(numbers) and nets[:len(numbers)] == [n for n in nets if n not in ("", "—")]
    shot(driver, "sorted-by-net", tmp_path)
    box = driver.find_element(By.CSS_SELECTOR, "input[data-filter='actors-table']")
    box.send_keys("russia")
    visible = column(driver, "actors-table", 0)
    assert visible and all("russia" in v.lower() for v in visible)
    shot(driver, "filtered", tmp_path)


def test_page_reads_on_a_phone(page, driver, tmp_path):
    from selenium.webdriver.common.by import By

    driver.set_window_size(390, 844)
    driver.get(page.as_uri())
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 400  # the page does not scroll sideways: wide tables scroll inside their own box
    assert driver.find_element(By.ID, "methods").is_displayed()
    shot(driver, "phone", tmp_path)
