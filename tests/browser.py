"""An annotator's browser for the tests: Debian's Chromium driven by Selenium through chromedriver.

Selenium rather than Playwright: Playwright drives its own Chromium builds (downloaded at run time)
and supports a system Chromium only as far as its protocol version matches; Debian's ``chromium``
and ``chromium-driver`` come from one source package, so the driver always matches the browser.
Both paths are given explicitly (``STANCEKIT_CHROMIUM``, ``STANCEKIT_CHROMEDRIVER`` override them),
so Selenium Manager never looks for or downloads a browser.

Screenshots go to ``$STANCEKIT_ARTIFACTS`` (default: the test's tmp_path).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path(os.environ.get("STANCEKIT_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("STANCEKIT_CHROMEDRIVER", "/usr/bin/chromedriver"))
WAIT_SECONDS = 60


def missing_browser() -> str | None:
    """Why the browser tests cannot run here (the browser or its driver is not installed), or None."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if not missing:
        return None
    return (f"browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; "
            f".ci/run installs them): not found: {', '.join(missing)}")


class LabelingPage:
    """One annotator's Chromium on Label Studio's labeling page, with what an annotator does there."""

    def __init__(self, base_url: str, artifacts: Path, who: str):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                    "--lang=en-US"):
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        self.base_url = base_url.rstrip("/")
        self.artifacts = artifacts
        self.who = who
        self.shots = 0

    # -- accounts ------------------------------------------------------------------------------
    def sign_up(self, invite_url: str, email: str, password: str) -> None:
        """Join through the invite link, as the README tells annotators to."""
        from selenium.webdriver.common.by import By

        self.driver.get(invite_url)
        self.driver.find_element(By.NAME, "email").send_keys(email)
        self.driver.find_element(By.NAME, "password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait(lambda d: "/user/signup" not in d.current_url, "the signup to finish")

    def log_in(self, email: str, password: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.get(f"{self.base_url}/user/login/")
        self.driver.find_element(By.NAME, "email").send_keys(email)
        self.driver.find_element(By.NAME, "password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.wait(lambda d: "/user/login" not in d.current_url, "the login to finish")

    # -- the label stream ----------------------------------------------------------------------
    def open_stream(self, project_id: int, *, keyboard: bool = False) -> None:
        """'Label All Tasks': the label stream; the instructions pop up first and are closed."""
        self.driver.get(f"{self.base_url}/projects/{project_id}/data?labeling=1")
        self.wait_for_task()
        close = self.css("button[aria-label='Close modal']")
        if close:
            if keyboard:
                self.keys(self.Keys.ESCAPE)
            else:
                close[0].click()
            self.wait(lambda d: not self.css("button[aria-label='Close modal']"), "the instructions to close")

    def wait_for_task(self, previous: str | None = None) -> str:
        """Wait until a task (other than ``previous``) is on the page; returns its sentence."""
        self.wait(lambda d: self.css(".sk-sentence .htx-highlight") and self.sentence() != previous,
                  "a task in the label stream")
        time.sleep(0.5)  # the editor binds its hotkeys right after the task renders
        return self.sentence()

    def sentence(self) -> str:
        found = self.css(".sk-sentence")
        return found[0].text.strip() if found else ""

    def highlights(self) -> list[tuple[str, str]]:
        """(text, actor label) of every highlighted span, in order."""
        return [(h.text, (h.get_attribute("data-label") or "").split(":", 1)[-1])
                for h in self.css(".sk-sentence .htx-highlight")]

    def selected(self) -> str | None:
        active = self.css(".sk-sentence .htx-highlight.__active")
        return active[0].text if active else None

    def checked(self, group: str) -> list[str]:
        """The ticked choices of 'stance' (the selected span's) or 'sentiment'."""
        return [c.get_attribute("name") for c in self.css(f".sk-{group} input[type=checkbox]") if c.is_selected()]

    def top(self, css: str) -> int:
        return self.css(css)[0].location["y"]

    # -- doing things ----------------------------------------------------------------------------
    @property
    def Keys(self):  # noqa: N802 - selenium's key names
        from selenium.webdriver.common.keys import Keys

        return Keys

    def keys(self, *keys: str) -> None:
        """Type on the page (what has the focus gets the keys, as for a person)."""
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).send_keys(*keys).perform()
        time.sleep(0.3)

    def chord(self, modifier: str, key: str) -> None:
        """A key pressed with a modifier held down (Alt+., Ctrl+Enter)."""
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).key_down(modifier).send_keys(key).key_up(modifier).perform()
        time.sleep(0.3)

    def next_span(self) -> str | None:
        """Alt+. : Label Studio's 'cycle through regions'."""
        self.chord(self.Keys.ALT, ".")
        return self.selected()

    def submit_by_keyboard(self) -> None:
        """Ctrl+Enter: Label Studio's 'submit annotation'."""
        self.chord(self.Keys.CONTROL, self.Keys.ENTER)

    def select_span_by_keyboard(self, text: str) -> None:
        for _ in range(len(self.highlights()) + 1):
            if self.next_span() == text:
                return
        raise AssertionError(f"Alt+. never selected {text!r}; spans: {self.highlights()}")

    def click_span(self, text: str) -> None:
        """Select a span with the mouse (clicking the selected span would unselect it: left alone)."""
        if self.selected() == text:
            return
        spans = [h for h in self.css(".sk-sentence .htx-highlight") if h.text == text]
        assert spans, f"no highlighted span {text!r}; spans: {self.highlights()}"
        spans[0].click()
        self.wait(lambda d: self.selected() == text, f"span {text!r} to be selected")

    def add_span(self, label: str, word: str) -> None:
        """With the mouse: pick the actor label, then double-click the word in the sentence."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By

        button = self.driver.find_element(By.XPATH, f"//div[contains(@class,'sk-actors')]//span[text()='{label}']")
        button.click()
        container = self.css(".sk-sentence")[0]
        box = self.driver.execute_script(
            """const root = arguments[0], word = arguments[1];
               const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
               for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                 const at = node.textContent.indexOf(word);
                 if (at < 0) continue;
                 const range = document.createRange(); range.setStart(node, at); range.setEnd(node, at + word.length);
                 const r = range.getBoundingClientRect(), c = root.getBoundingClientRect();
                 return [r.left - c.left + r.width / 2, r.top - c.top + r.height / 2, c.width, c.height];
               }
               return null;""", container, word)
        assert box is not None, f"{word!r} is not in the sentence {self.sentence()!r}"
        x, y, width, height = box
        ActionChains(self.driver).move_to_element_with_offset(container, int(x - width / 2), int(y - height / 2)) \
            .double_click().perform()
        self.wait(lambda d: any(text == word for text, _ in self.highlights()), f"a span on {word!r}")

    def delete_selected_span(self) -> None:
        self.css("button[aria-label='Delete selected region']")[0].click()
        time.sleep(0.3)

    def submit(self) -> None:
        self.css("button[aria-label='Submit current annotation']")[0].click()

    def skip(self) -> None:
        self.css("button[aria-label='skip-task']")[0].click()

    def shot(self, name: str) -> Path:
        """A screenshot of the page as the annotator sees it, numbered in the order taken."""
        self.shots += 1
        path = self.artifacts / f"{self.who}-{self.shots:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    # -- plumbing ----------------------------------------------------------------------------
    def css(self, selector: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def wait(self, condition, what: str) -> None:
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            WebDriverWait(self.driver, WAIT_SECONDS).until(condition)
        except TimeoutException:
            shot = self.shot("timeout")
            raise AssertionError(f"{self.who}: waited {WAIT_SECONDS} s for {what}; page {self.driver.current_url}, "
                                 f"screenshot {shot}") from None

    def close(self) -> None:
        self.driver.quit()


@contextmanager
def labeling_page(base_url: str, artifacts: Path, who: str) -> Iterator[LabelingPage]:
    page = LabelingPage(base_url, artifacts, who)
    try:
        yield page
    finally:
        page.close()


def artifacts_dir(tmp_path: Path) -> Path:
    """Where screenshots go: $STANCEKIT_ARTIFACTS (kept by CI) or the test's tmp_path."""
    folder = Path(os.environ["STANCEKIT_ARTIFACTS"]) if os.environ.get("STANCEKIT_ARTIFACTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def refresh_readme_picture(shot: Path, repo: Path) -> None:
    """With STANCEKIT_REFRESH_DOCS=1, the README's picture of the labeling page is this screenshot."""
    if os.environ.get("STANCEKIT_REFRESH_DOCS") == "1":
        shutil.copyfile(shot, repo / "docs" / "labelstudio-labeling.png")
