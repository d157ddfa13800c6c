"""Math in page text: LaTeX becomes MathML, a lone dollar stays a dollar, and nothing a student writes
becomes a live tag or attribute."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from grader import mathtext
from grader.mathtext import Segment, html, segments


def test_math_between_every_kind_of_delimiter_becomes_mathml():
    out = html(r"Inline $x^2$, display $$\frac{a}{b}$$, \(y\) and \[z\].")
    assert isinstance(out, Markup)
    assert out.count("<math") == 4
    assert out.count('display="block"') == 2 and out.count('display="inline"') == 2
    assert "<mfrac>" in out and "<msup><mi>x</mi><mn>2</mn></msup>" in out
    assert out.startswith("Inline <math") and out.endswith("</math>.")


@pytest.mark.parametrize("text", ["costs $5 or $6", "$20,000 and $30,000", "$ x$", "$x $", "$x$5", "a lone $",
                                  "$$ $$", r"\( \)", "\\(x", "$x\n\ny$"])
def test_a_dollar_that_opens_no_formula_stays_text(text):
    assert "<math" not in html(text) and html(text).count("$") == text.count("$")


def test_paragraphs_stay_apart_and_an_escaped_dollar_is_a_dollar():
    assert segments(r"a \$ b $c$") == [Segment("a $ b "), Segment("c", "$", "$")]
    assert segments("$a $b$") == [Segment("a $b", "$", "$")]  # the first $ that may close does
    out = html("one $x$\n\n two\nlines")
    assert out.split("<br><br>")[1] == "two\nlines"


def test_text_around_formulas_is_escaped():
    assert html("x<1..365> & \"y\" $a$") == Markup('x&lt;1..365&gt; &amp; &#34;y&#34; ') + html("$a$")


HOSTILE = [r"$\text{<img src=x onerror=alert(1)>}$", r"$\text{<b>x</b>}$", "$<script>alert(1)</script>$",
           r"$\href{javascript:alert(1)}{x}$", r"$\style{color:red}{x}$", r"$\class{c}{x}$", r"$\text{\"onmouseover=alert(1)}$",
           r"$\mathrm{<svg onload=alert(1)>}$", r"$\text{<![CDATA[<img src=x onerror=alert(1)>]]>}$",
           r"$\text{<?xml-stylesheet href=x?>}$", r"\[\text{<iframe src=javascript:alert(1)>}\]",
           r"$\operatorname{<a href=x>}$", r"$\mbox{a<b}$", r"$\text{&lt;img&gt;}$", r"$\href{x}{\text{<img>}}$",
           r"$$\style{background:url(javascript:alert(1))}{x}$$"]


class Tags(HTMLParser):
    """What a browser would make of the markup: its tags and their attributes."""

    def __init__(self, markup: str):
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_pi(self, data):
        self.tags.append(("?", []))

    def unknown_decl(self, data):
        self.tags.append(("!", []))


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_latex_never_makes_a_live_tag_or_attribute(text):
    out = str(html(text))
    assert "<img" not in out and "<script" not in out and "<svg" not in out and "<iframe" not in out
    for tag, attrs in Tags(out).tags:
        assert tag in mathtext.ELEMENTS or tag == "code", tag
        for name, value in attrs:
            assert name in mathtext.ATTRIBUTES or name == "xmlns", name
            assert not name.startswith("on") and "javascript" not in (value or "")


def test_a_formula_that_does_not_convert_is_shown_as_written():
    assert html(r"see $x^a^b$ here") == Markup(r"see <code>$x^a^b$</code> here")
    assert html("$" + "{" * 600 + "$").startswith("<code>$")  # too deep for latex2mathml: no RecursionError


def test_long_formulas_are_shown_as_written_within_a_budget(monkeypatch):
    long = "x+" * (mathtext.MAX_FORMULA // 2) + "y"
    assert html(f"${long}$") == Markup("<code>$%s$</code>") % long
    monkeypatch.setattr(mathtext, "MAX_CONVERTED", 10)
    mathtext.html.cache_clear()
    out = html("$abcdef$ $ghijkl$")
    mathtext.html.cache_clear()
    assert out.count("<math") == 1 and "<code>$ghijkl$</code>" in out


def test_persian_text_keeps_its_letters():
    out = html("مقدار $x_1$ را بیابید")
    assert out.startswith("مقدار <math") and out.endswith("</math> را بیابید")
