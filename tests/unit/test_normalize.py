from hypothesis import given
from hypothesis import strategies as st

from streams.nlp.normalize import normalize


def test_typographic_apostrophes_and_spaces_become_plain():
    assert normalize("qu’il n’y a\u00a0« pas »") == "qu'il n'y a « pas »"


def test_control_characters_become_spaces_but_newlines_stay():
    assert normalize("a\x00b\x07c\nd\te") == "a b c\nd\te"


@given(st.text())
def test_length_is_always_preserved(text):
    assert len(normalize(text)) == len(text)
