"""The service's page in a real browser: Debian's Chromium, driven by Playwright (nothing downloaded).

A student signs in with their token, answers the seed homework the way the seed student did,
checks, reads the feedback beside each part, submits and finds the submission in their history;
a hostile answer runs no script; the page fits a phone and loads nothing from another host.
"""
from __future__ import annotations

import os
import re
import shutil

import pytest

from helpers import code_file
from service_helpers import ROOT, start_service

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and not os.environ.get("CI"):  # CI installs it (.ci/run): there, a missing browser fails
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

SEED_ID = "99522086"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    running = start_service(ROOT / "problems", ROOT / "submissions" / "rnn-attention.roster.csv",
                            tmp_path_factory.mktemp("page-data"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "chromium is not installed: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, served):
    context = browser.new_context()
    opened = context.new_page()
    elsewhere: list[str] = []
    opened.on("request", lambda r: None if r.url.startswith(served.url) else elsewhere.append(r.url))
    dialogs: list[str] = []
    opened.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    opened.elsewhere, opened.dialogs = elsewhere, dialogs
    yield opened
    context.close()
    assert not elsewhere, f"the page loaded from another host: {elsewhere}"


def sign_in(page: Page, served, student: str) -> None:
    page.goto(served.url + "/")
    page.fill("#token", served.tokens[student])
    page.click("#login-form button[type=submit]")
    expect(page.locator("#assignments")).to_be_visible()


def open_seed_homework(page: Page) -> None:
    page.get_by_role("button", name="RNNs and attention").click()
    expect(page.locator("#assignment")).to_be_visible()
    expect(page.locator("#part-q3b")).to_be_visible()


def test_a_student_checks_and_submits_the_seed_homework(page, served):
    sign_in(page, served, SEED_ID)
    expect(page.locator("#who")).to_contain_text(SEED_ID)
    open_seed_homework(page)
    # the question as the student reads it: prompt, option texts, points
    expect(page.locator("#part-q1a")).to_contain_text("Sentiment classification")
    expect(page.locator("#part-q2b .points")).to_have_text("(3 points)")
    # the seed student's answers (Persian letters on paper: b and c, c, c), their LaTeX for Q2
    page.check("#answer-q1a-b")
    page.check("#answer-q1a-c")
    page.check("#answer-q1b-c")
    page.check("#answer-q1c-c")
    page.fill("#answer-q2a", r"\frac{\partial h_t}{\partial W_{hh}} = \sigma'(z_t) \times h_{t-1}")
    page.fill("#answer-q2b", r"\sum_{i=1}^t g_{t,i} \times \sigma'(z_t) \times h_{i-1}")
    page.fill("#answer-q2c", r"\sum_{t=1}^{T} G_t")
    page.fill("#answer-q3a", "[6, 1, 2]")
    page.fill("#answer-q3b", "Argmax is not differentiable, so no gradient reaches the queries and keys; "
                             "it is cheaper to compute and easier to interpret.")
    # the live preview renders what grader read, as MathML
    expect(page.locator("#preview-q2b math")).to_be_visible()
    expect(page.locator("#preview-q2b")).to_contain_text("∑")
    page.click("#check")
    expect(page.locator("#status")).to_have_text("Checked.")
    for part in ("q1a", "q1b", "q1c", "q2a", "q2b", "q2c", "q2d", "q3a", "q3b"):
        expect(page.locator(f"#result-{part}")).to_be_visible()
    expect(page.locator("#result-q1a")).to_contain_text("correct")
    expect(page.locator("#result-q2b")).to_contain_text("partial")
    expect(page.locator("#result-q2b")).to_contain_text("σ'(z_i), not σ'(z_t)")
    expect(page.locator("#result-q2d")).to_contain_text("missing")
    expect(page.locator("#summary")).to_contain_text("not recorded as a grade")
    # free text is scored by the instructor: the rubric's provisional number is never shown to the student
    expect(page.locator("#result-q3b")).to_contain_text("awaiting review (out of 3)")
    expect(page.locator("#summary")).to_contain_text("up to 3 point(s) awaiting an instructor's review")
    assert "/ 3" not in page.locator("#result-q3b").inner_text()
    expect(page.locator("#history")).to_contain_text("none yet")
    page.click("#submit")
    expect(page.locator("#status")).to_contain_text("Submitted (submission 1)")
    expect(page.locator("#history li.submission")).to_have_count(1)
    expect(page.locator("#history")).to_contain_text("(counts)")
    assert not page.dialogs


def test_a_hostile_answer_runs_no_script(page, served):
    sign_in(page, served, "99522014")
    open_seed_homework(page)
    hostile = "<img src=x onerror=alert(1)>"
    for field in ("#answer-q2a", "#answer-q3a", "#answer-q3b"):
        page.fill(field, hostile)
    page.fill("#answer-q2b", "$\\text{<script>alert(2)</script>}$ <svg onload=alert(3)>")
    page.wait_for_timeout(600)  # the preview's round trip
    page.click("#check")
    expect(page.locator("#status")).to_have_text("Checked.")
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('img, script:not([src]), svg').length") == 0
    expect(page.locator("#result-q3a")).to_be_visible()


def test_right_to_left_text_and_a_phone_sized_screen(browser, served):
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, served, "99522027")  # مریم حسینی
        direction = page.evaluate("getComputedStyle(document.querySelector('#who')).direction")
        assert direction == "rtl"
        open_seed_homework(page)
        page.fill("#answer-q3b", "آرگ‌مکس مشتق‌پذیر نیست")
        assert page.evaluate("getComputedStyle(document.querySelector('#answer-q3b')).direction") == "rtl"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.click("#check")
        expect(page.locator("#status")).to_have_text("Checked.")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        context.close()


def test_a_wrong_token_is_told_at_sign_in(page, served):
    page.goto(served.url + "/")
    page.fill("#token", "not-a-real-token")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("not known")


def test_a_student_loads_their_code_file_and_checks_it(page, served):
    """q4 is a code part: the file is read in the page (never uploaded as a file) and run in the sandbox."""
    from grader import sandbox
    if sandbox.available() is not None:
        pytest.skip(sandbox.available())
    sign_in(page, served, SEED_ID)
    open_seed_homework(page)
    expect(page.locator("#part-q4")).to_contain_text("rnn_forward")
    page.set_input_files("#file-q4", str(code_file("sigma_at_t")))
    expect(page.locator("#answer-q4")).to_have_value(re.compile(r"def rnn_bptt_whh"))
    page.click("#check")
    expect(page.locator("#status")).to_have_text("Checked.")
    expect(page.locator("#result-q4")).to_contain_text("rnn_forward: 8/8 trials passed")
    expect(page.locator("#result-q4")).to_contain_text("partial")
