"""Reading YAML/JSON: positions, YAML 1.2 scalars, and refusing hostile files early."""
from __future__ import annotations

import json

import pytest

from grader import document
from grader.document import Limits, load_file, load_text
from grader.errors import InputError


def error_of(text: str, limits: Limits = Limits()) -> InputError:
    with pytest.raises(InputError) as info:
        load_text(text, "f.yaml", limits)
    return info.value


def test_positions_of_values_and_keys():
    doc = load_text("a: 1\nparts:\n  - id: q1\n    points: 2\n", "f.yaml")
    assert doc.where(("parts", 0, "points")) == (4, 13)
    assert doc.where(("parts", 0, "points"), key=True) == (4, 5)
    assert doc.where(("parts", 0, "nothing", "here")) == (3, 5)  # nearest known ancestor


def test_yaml_12_scalars_keep_their_text():
    doc = load_text("a: [1e-9, 0.0500, no, y, ~, 0x1f, '7', 1_000]", "f.yaml")
    a = doc.data["a"]
    assert a[0] == 1e-9 and a[1] == 0.05 and a[1].text == "0.0500"
    assert a[2:4] == ["no", "y"]  # not booleans, as in YAML 1.1
    assert a[4] is None and a[5] == 31 and a[6] == "7" and a[7] == "1_000"


def test_json_is_read_with_the_same_reader():
    doc = load_text('{"student": "1", "answers": {"q": [1, 2.5e3]}}', "f.json")
    assert doc.data == {"student": "1", "answers": {"q": [1, 2500.0]}}


def _as_yaml_reads_it(text: str, limits: Limits = Limits()):
    """What the YAML reader alone makes of ``text`` (the JSON fast path turned off)."""
    saved = document._read_json
    document._read_json = lambda text, limits: document._UNDECIDED
    try:
        return load_text(text, "f.json", limits).data
    except InputError as exc:
        return str(exc)
    finally:
        document._read_json = saved


def _typed(value):
    """A value with the types and written text of every number, for comparing two readings exactly."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, repr(value), getattr(value, "text", None))


@pytest.mark.parametrize("text", [
    '{"a": [0.0500, -0, 1E5, 1e400, 12345678901234567890, %s], "b": {"c": [true, false, null, {}]}}' % ("9" * 400),
    '{"a": NaN, "b": -Infinity, "c": "x\\/y \\u00e9 \\t"}',
    '{\n\t"tabs": [1,\t2],\n\t"é σ": "\\"quoted\\""\n}\n',
    '[{"a":1},{"a":2}]',
    '{"repeated": 1, "repeated": 2}',           # the YAML reader says where
    '{"a": 1} {"b": 2}',                          # not one JSON document
    '{"line\x85break": 1}',                      # NEL is a line break to YAML, a character to JSON
    '{"del": "\x7f"}',                           # a control character YAML refuses
    '{"lone": "\\ud83d"}',                      # half a character
    '# a comment first\n{"a": 1}',
    '{"%s": 1}' % ("k" * 1_100),                   # a key longer than libyaml takes: its error, as before
    '{"%s": [1]}' % ("k" * 900),
    '{"%s": 1}' % ("\\u0041" * 300),             # short once read, too long as written
    '{"a"%s: 1}' % (" " * 1_100),
    '{"%s": 1}' % ('k\\"' * 400),                  # a long key broken by escaped quotes: found all the same
    '{"%s"%s: 1}' % ("\\n" * 499, " " * 25),        # escapes and blanks together past libyaml's 1,024 characters
    '{"%s"%s: 1}' % ("\\n" * 499, " " * 24),        # ... and just within them
    '{"x": [{"%s"%s: 1}]}' % ("\\\\" * 300, "\t" * 450),
    '{"a": "%s", "b": 1}' % ("v" * 1_100),         # a long value is no key
    '{"a"\n: 1}',                                 # a key's colon on the next line
    '\t{"a": 1}', '{"a": 1}\n\t',                   # a tab outside the collection
    '{"a": "\\\\ud83d\\ude00"}',                   # an escaped backslash, then half a character
])
def test_json_read_fast_is_read_as_the_yaml_reader_reads_it(text):
    try:
        fast = _typed(load_text(text, "f.json").data)
    except InputError as exc:
        fast = str(exc)
    slow = _as_yaml_reads_it(text)
    assert fast == (slow if isinstance(slow, str) else _typed(slow))


def test_json_keeps_the_bounds_and_the_positions_of_the_yaml_reader():
    deep = '{"a": ' * 40 + "1" + "}" * 40
    assert "nested more than 32 levels deep" in str(error_of(deep))
    wide = "[" + ",".join(["0"] * 50) + "]"
    assert "more than 20 values" in str(error_of(wide, Limits(max_nodes=20)))
    doc = load_text('{\n  "student": "1",\n  "answers": {\n    "q1": [1, 2]\n  }\n}\n', "f.json")
    assert doc.where(("answers", "q1", 1)) == (4, 15)
    assert doc.where(("answers", "q1"), key=True) == (4, 5)


def test_an_emoji_escaped_as_json_writes_it_is_read():
    """``json.dumps`` writes a character beyond U+FFFF as two escaped surrogates; libyaml refuses them."""
    text = json.dumps({"student": "1", "answers": {"q3": "I think \U0001F600 so"}})
    assert "\\ud83d\\ude00" in text
    assert load_text(text, "f.json").data["answers"]["q3"] == "I think \U0001F600 so"
    doc = load_text(json.dumps({"student": "\U0001F600", "answers": [1, 2]}, indent=2), "f.json")
    assert doc.where(("answers", 1)) == (5, 5)  # positions after an escaped emoji are where they are


def test_merge_keys_and_aliases():
    doc = load_text("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert doc.data["d"] == {"x": 1, "y": 3}


@pytest.mark.parametrize(
    "text, where, words",
    [
        ("a:\n\tb: 1\n", (2, 1), "tab character"),
        ("a: b: c\n", (1, 5), "put that value in quotes"),
        ("a: 1\na: 2\n", (2, 1), "duplicate key 'a'"),
        ("a: [1, 2\n", (2, 1), "expected ',' or ']'"),
        ("x: ab\x01\n", (1, 6), "control character U+0001"),
        ("a: !!python/object:os.system x\n", (1, 4), "tag !!python/object:os.system is not allowed"),
        ("a: &a [*a]\n", (1, 4), "alias refers to the value that contains it"),
        ("a: *nothing\n", (1, 4), "unknown alias"),
        ("a: 1\n---\nb: 2\n", (2, 1), "more than one YAML document"),
        ("? [1, 2]\n: x\n", (1, 3), "mapping key must be a single value"),
        ("   \n\n", (1, 1), "file is empty"),
    ],
)
def test_malformed_yaml_is_one_positioned_line(text, where, words):
    err = error_of(text)
    assert (err.line, err.col) == where
    assert words in err.message
    assert str(err).startswith(f"f.yaml:{where[0]}:{where[1]}: ")
    assert "\n" not in str(err)


def test_billion_laughs_is_refused_while_reading():
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    err = error_of("\n".join(rows) + "\n")
    assert "aliases expanding too far" in err.message


def test_deep_nesting_is_refused_without_recursion():
    assert "nested" in error_of("[" * 100_000).message  # libyaml's own bound, or ours
    assert "nested more than 32 levels" in error_of("[" * 40 + "]" * 40).message
    err = error_of("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 60)))
    assert "nested more than" in err.message


def test_size_limit_is_checked_before_reading(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:  # a sparse 50 MB file: refusing it must not read it
        fh.seek(50_000_000)
        fh.write(b"\n")
    with pytest.raises(InputError) as info:
        load_file(big)
    assert "over the limit" in info.value.message


def test_bytes_that_are_not_utf8_are_located(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("student: 1\nname: Jos\xe9\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        load_file(path)
    assert (info.value.line, info.value.col) == (2, 10)
    assert "not UTF-8" in info.value.message


def test_utf16_with_bom_and_utf8_with_bom_are_read(tmp_path):
    (tmp_path / "a.yaml").write_bytes("x: ۶\n".encode("utf-16"))
    (tmp_path / "b.yaml").write_bytes(b"\xef\xbb\xbfx: 1\n")
    assert load_file(tmp_path / "a.yaml").data == {"x": "۶"}
    assert load_file(tmp_path / "b.yaml").data == {"x": 1}


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_file(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="is a directory"):
        load_file(tmp_path)


def test_the_characters_that_keep_a_file_from_the_json_reader_are_the_complement_of_what_yaml_reads_as_json_does():
    """The class is written as the characters it finds (compiled in microseconds, not 5 ms at every start): it must
    find exactly those outside what YAML reads as JSON does (tab, LF, CR, printable ASCII, U+00A0-U+2027,
    U+202A-U+D7FF, U+E000-U+FFFD, U+10000 and beyond)."""
    import re

    from grader.document import _NOT_JSON_ALIKE

    allowed = re.compile("[\x09\x0A\x0D\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
    every = "".join(map(chr, range(0x110000)))
    assert _NOT_JSON_ALIKE.sub("", every) == "".join(allowed.findall(every))
    assert "".join(_NOT_JSON_ALIKE.findall(every)) == allowed.sub("", every)
