"""The static pages show what was asked: prompts and options with math drawn, subtotals per question, one
banner for an unreadable file; the class report marks right options and frequent wrong answers, and leaves
unreadable files out of its figures. All of it from the gradebook alone, and never an answer on a student page."""
from __future__ import annotations

import json
import re
import sqlite3
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from conftest import PRACTICE, SEED_CLASS, SEED_SPEC
from grader.outline import questions, stored_parts
from grader.spec import load_spec

SEED = "99522086"
UNREADABLE = "99522062"  # the example class's file with a tab in it


@pytest.fixture(scope="module")
def seed_pages(tmp_path_factory):
    """The example class graded and exported, the spec moved away first: pages come from the gradebook."""
    from grader.cli import main

    tmp = tmp_path_factory.mktemp("seed")
    spec = tmp / "spec.yaml"
    spec.write_text(SEED_SPEC.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp / "out"
    assert main(["grade", str(spec), str(SEED_CLASS), "--out", str(out), "--quiet"]) == 0
    spec.unlink()
    assert main(["export", str(out), "--format", "html,stats"]) == 0
    return out / "export"


def page(export, student: str) -> str:
    return (export / "html" / f"{student}.html").read_text(encoding="utf-8")


def test_a_student_page_shows_prompts_options_and_subtotals(seed_pages):
    html = page(seed_pages, SEED)
    assert "Select all tasks that suit a many-to-one RNN" in html  # a part's prompt
    assert "Argmax (&#34;hard&#34;) attention returns exactly the value" in html  # a question's
    assert "(b) Sentiment classification: a piece of text in, positive or negative out" in html
    assert "x&lt;1..365&gt;" in html  # prompt text is escaped
    subtotals = re.findall(r'<span class="subtotal">([^<]*)</span></h2>', html)
    # q1, q2, q3: q3b (free text) awaits review, counted as 0; q4 (code) was not handed in
    assert subtotals == ["6 / 6", "5 / 10", "2 / 5", "0 / 4"]
    assert re.search(r"Back-propagation through time</a></th>\s*<th class=\"num\">5 / 10</th>", html)


def test_no_student_page_marks_a_right_option_or_shows_a_reference(seed_pages, cli):
    answers = json.loads(cli("solve", SEED_SPEC, "--format", "json").out)
    for path in (seed_pages / "html").glob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "right</td>" not in html and 'class="right"' not in html and "Reference answer" not in html
        # beyond what the student wrote and the spec's own prompts (which may use an answer as a syntax example)
        html = re.sub(r'<h4>Your answer</h4><pre[^>]*>.*?</pre>|<div class="prompt"[^>]*>.*?</div>', "", html, flags=re.S)
        for part in ("q2a", "q2b", "q2c", "q2d"):  # no reference as grader solve writes it
            assert str(escape(answers[part])) not in html, (path.name, part)
    missed = "the queries and keys (and the layers producing them) receive no gradient"  # a rubric label the seed
    assert "Say who stops learning" in page(seed_pages, SEED) and missed not in page(seed_pages, SEED)  # missed


def test_an_unreadable_submission_is_one_banner(seed_pages):
    html = page(seed_pages, UNREADABLE)
    assert html.count('class="banner"') == 1 and html.count("This submission could not be read") == 1
    assert "a tab character is not allowed here" in html
    assert "cannot be graded" not in html and "status invalid" not in html  # not a line for every part
    assert "<section" not in html and "<table" not in html


def test_an_override_on_an_unreadable_submission_still_shows(cli, tmp_path):
    out = tmp_path / "out"
    cli("grade", SEED_SPEC, SEED_CLASS / f"{UNREADABLE}.yaml", "--out", out)
    cli("override", out, "--student", UNREADABLE, "--part", "q3b", "--score", "1", "--comment", "Sent by mail")
    cli("export", out, "--format", "html")
    html = page(out / "export", UNREADABLE)
    assert html.count('class="banner"') == 1 and "Sent by mail" in html and 'id="q3b"' in html
    assert 'id="q3a"' not in html


def test_the_class_report_marks_right_options_and_lists_wrong_answers(seed_pages):
    html = (seed_pages / "class-report.html").read_text(encoding="utf-8")
    q1a = html[html.index('<section id="q1a">'):html.index('<section id="q1b">')]
    assert re.findall(r"<tr class=\"right\"><td>\((\w)\) ✓ right", q1a) == ["b", "c"]
    assert "Recognising a speaker&#39;s gender from an audio clip" in q1a
    q3a = html[html.index('<section id="q3a">'):html.index('<section id="q3b">')]
    assert "Most frequent wrong answers" in q3a and "<code dir=\"auto\">[0, 2, 4]</code>" in q3a
    assert "<code dir=\"auto\">۰ -۱ ۴</code>" in q3a
    q1b = html[html.index('<section id="q1b">'):html.index('<section id="q1c">')]
    assert re.search(r"<code dir=\"auto\">e</code></td><td class=\"num\">1</td>", q1b)  # an option that is none


def test_the_class_report_leaves_unreadable_submissions_out(seed_pages):
    html = (seed_pages / "class-report.html").read_text(encoding="utf-8")
    assert "<p>7 students · mean" in html and "1 submission could not be read and is left out" in html
    assert sum(int(n) for n in re.findall(r"<title>(\d+) students</title>", html)) == 7  # the histogram
    assert re.search(r'<td class="num">7</td>\s*<td>14% picked \(a\); 14% picked \(d\); 14% a right option left '
                     r'out</td></tr>', html)  # q1a answered by the seven read, the frequent mistakes named


MATH_SPEC = r"""
id: mathy
title: Math
questions:
  - id: q
    title: Derivatives
    prompt: 'For $f(x) = x^2$:'
    parts:
      - id: d
        kind: choice
        points: 1
        prompt: 'What is $$\frac{d}{dx} x^2$$ equal to? (it costs $5 to ask)'
        options: {a: '$2x$', b: '$x$', c: '\(x^3/3\)'}
        answer: a
        feedback: {b: 'Differentiate $x^2$, do not halve it.'}
      - id: n
        kind: numeric
        points: 1
        prompt: 'What is $f(3)$? <b>bold</b>'
        answer: 9
"""


def test_math_in_prompts_options_and_feedback_becomes_mathml(cli, tmp_path, write):
    spec = write("math.yaml", MATH_SPEC)
    write("class/s1.json", json.dumps({"student": "s1", "answers": {"d": "b", "n": 9}}))
    write("class/s2.json", json.dumps({"student": "s2", "answers": {"d": "a", "n": 8}}))
    out = tmp_path / "out"
    assert cli("grade", spec, tmp_path / "class", "--out", out).status == 0
    assert cli("export", out, "--format", "html,stats").status == 0
    student = page(out / "export", "s1")
    assert student.count("<math") == 7  # the question's, the part's, three options, the feedback, the second prompt
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in student
    assert "it costs $5 to ask" in student and "&lt;b&gt;bold&lt;/b&gt;" in student
    assert "<mfrac>" in student and 'id="n"' in student
    report = (out / "export" / "class-report.html").read_text(encoding="utf-8")
    assert report.count("<math") == 6 and re.search(r'<tr class="right"><td>\(a\) ✓ right</td>\s*<td dir="auto"><math',
                                                     report)


class Tags(HTMLParser):
    def __init__(self, markup: str):
        super().__init__()
        self.found: list[tuple[str, list]] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))

    handle_startendtag = handle_starttag


HOSTILE = {"q3a": r"$\text{<img src=x onerror=alert(1)>}$", "q2a": r"$\href{javascript:alert(1)}{x}$",
           "q1b": "$<script>alert(1)</script>$", "q2b": r"$\style{background:red}{x}$ \(\text{<svg onload=alert(1)>}\)",
           "q3b": r"not differentiable $\text{<iframe src=javascript:alert(1)>}$"}


def test_hostile_latex_in_answers_is_neutralised_on_every_page(cli, tmp_path):
    """Feedback quotes what a student wrote, and feedback goes through the math filter: nothing a student writes
    between dollars may become a tag or an attribute."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "h.json").write_text(json.dumps({"student": "h1", "answers": HOSTILE}), encoding="utf-8")
    out = tmp_path / "out"
    assert cli("grade", SEED_SPEC, folder, "--out", out).status == 0
    cli("override", out, "--student", "h1", "--part", "q3b", "--score", "1", "--comment", r"$\text{<img src=y>}$")
    assert cli("export", out, "--format", "html,stats").status == 0
    html = page(out / "export", "h1")
    assert "is not a number" in html  # the quoting feedback is there...
    for text in (html, (out / "export" / "class-report.html").read_text(encoding="utf-8")):
        for tag, attrs in Tags(text).found:  # ...but none of its markup
            assert tag not in ("img", "script", "iframe", "b", "object", "embed"), tag
            for name, value in attrs:
                assert not name.startswith("on") and name not in ("src", "style"), (tag, name)
                assert "javascript" not in (value or "")
                assert name != "href" or tag == "a" and re.fullmatch(r"#[\w.-]+|[\w.-]+\.html", value), value


def test_an_old_gradebook_without_prompts_still_exports(cli, tmp_path):
    out = tmp_path / "out"
    cli("grade", SEED_SPEC, SEED_CLASS, "--out", out)
    db = sqlite3.connect(out / "gradebook.sqlite")
    [(parts,)] = db.execute("SELECT parts FROM assignments").fetchall()
    old = [{key: p[key] for key in ("id", "kind", "points", "group", "title")} for p in json.loads(parts)]
    db.execute("UPDATE assignments SET parts = ?", (json.dumps(old),))
    db.commit()
    db.close()
    assert cli("export", out, "--format", "html,stats").status == 0
    html = page(out / "export", SEED)
    assert "many-to-one" not in html and 'class="prompt"' not in html  # nothing to show...
    assert 'id="q2b"' in html and "σ&#39; is taken at the wrong step" in html  # ...but every part and its feedback
    assert re.findall(r'<span class="subtotal">([^<]*)</span></h2>', html) == ["6 / 6", "5 / 10", "2 / 5", "0 / 4"]
    report = (out / "export" / "class-report.html").read_text(encoding="utf-8")
    assert "✓ right" not in report and re.search(r"<td>\(b\)</td>\s*<td dir=\"auto\"></td>\s*<td class=\"num\">7", report)


def test_a_randomized_spec_is_shown_as_written(cli, tmp_path):
    """The gradebook keeps the spec's text with its {placeholders}, never the numbers of the version the
    loaded spec happens to hold; a student page leaves out options shuffled for each student."""
    out = tmp_path / "out"
    assert cli("grade", PRACTICE, PRACTICE.parent.parent / "submissions" / "attention-practice", "--out", out,
               "--quiet").status == 0
    assert cli("export", out, "--format", "html,stats").status == 0
    pages = [p for p in (out / "export" / "html").glob("*.html") if p.name != "index.html"]
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert "Your query is q = {query}." in html and "{name} stands for your own values" in html
        assert "To keep their variance near 1" not in html  # att-scale's options: each student had their own order
        assert 'class="right"' not in html
    report = (out / "export" / "class-report.html").read_text(encoding="utf-8")
    assert "Your query is q = {query}." in report and "where f is {cell.name}" in report
    assert re.search(r'<tr class="right"><td>\(a\) ✓ right</td>\s*<td dir="auto">To keep their variance near 1', report)


def test_what_the_gradebook_keeps_of_a_spec(practice):
    seed = {p["id"]: p for p in stored_parts(load_spec(SEED_SPEC))}
    assert seed["q1a"]["answer"] == ["b", "c"] and seed["q1a"]["options"][1][0] == "b"
    assert seed["q1a"]["question"]["title"] == "RNN architectures" and "varies" not in seed["q1a"]
    assert seed["q3b"]["prompt"].startswith("How does using argmax") and "answer" not in seed["q3b"]
    assert [(q.id, [p["id"] for p in q.parts]) for q in questions(list(seed.values()))][2] == ("q3", ["q3a", "q3b"])
    varied = {p["id"]: p for p in stored_parts(practice)}
    assert varied["att-scaled"]["prompt"].startswith("Two queries, one per row: Q = {Q}.")
    assert varied["att-scale"]["varies"] and varied["att-scale"]["answer"] == ["a"]  # shuffled: labels as written
    assert "varies" not in varied["att-argmax"] and varied["att-argmax"]["question"]["varies"]


def test_math_a_student_wrote_is_shown_as_text_on_the_pages(tmp_path):
    """Feedback quotes answers: a student's $...$ must not lay out, or spoof, what the page says."""
    from grader.cli import main

    sheet = tmp_path / "class" / "s1.yaml"
    sheet.parent.mkdir()
    sheet.write_text('student: "s1"\nanswers:\n  q3a: \'$\\mspace{300em}$$\\text{Full marks confirmed}$\'\n',
                     encoding="utf-8")
    out = tmp_path / "out"
    assert main(["grade", str(SEED_SPEC), str(sheet.parent), "--out", str(out), "--quiet"]) == 0
    assert main(["export", str(out), "--format", "html"]) == 0
    html = page(out / "export", "s1")
    assert "mspace" in html and "<mspace" not in html and "<math" not in html.split("q3a", 1)[1].split("q3b")[0]


@pytest.mark.parametrize("written", ["＄x^2＄", "﹩x^2﹩", "\\\u200d(x^2\\)"])
def test_math_a_student_wrote_in_other_dollars_is_shown_as_text_too(tmp_path, written):
    """A full-width ＄ (or a small ﹩, or \\ and ( with a joiner between) passed the check for $, and grader
    reads it as a $ before feedback quotes it: the student's formula was drawn on the page."""
    from grader.cli import main

    sheet = tmp_path / "class" / "s1.yaml"
    sheet.parent.mkdir()
    sheet.write_text(f"student: s1\nanswers:\n  q1a: {json.dumps(written)}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["grade", str(SEED_SPEC), str(sheet.parent), "--out", str(out), "--quiet"]) == 0
    assert main(["export", str(out), "--format", "html"]) == 0
    html = page(out / "export", "s1")
    section = html.split('<section id="q1a">', 1)[1].split("</section>")[0]
    assert "x^2" in section and "<math" not in section
