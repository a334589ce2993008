"""The render() entry point and the RENDERERS table."""
from __future__ import annotations

import json

import pytest

from nngrade.render import (
    RENDERERS,
    render,
    render_gradescope,
    render_json,
    render_prairielearn,
    render_text,
)


def test_renderer_table():
    assert RENDERERS == {
        "json": render_json,
        "gradescope": render_gradescope,
        "prairielearn": render_prairielearn,
        "text": render_text,
    }


def test_dict_formats_are_json_encoded(report):
    for fmt, build in (("gradescope", render_gradescope), ("prairielearn", render_prairielearn)):
        text = render(report, fmt)
        assert json.loads(text) == build(report)
        assert text == json.dumps(build(report), indent=2, sort_keys=True)


def test_string_formats_pass_through(report):
    assert render(report, "json") == render_json(report)
    assert render(report, "text") == render_text(report)


def test_student_view_is_forwarded(report, sentinel):
    assert sentinel in render(report, "text")
    assert sentinel not in render(report, "text", student_view=True)
    assert sentinel in render(report, "json")
    assert sentinel not in render(report, "json", student_view=True)
    # Platform formats are student-facing whatever the flag says.
    for fmt in ("gradescope", "prairielearn"):
        assert sentinel not in render(report, fmt)
        assert sentinel not in render(report, fmt, student_view=False)


def test_unknown_format(report):
    with pytest.raises(ValueError, match=r"unknown report format 'html'; choose one of \['gradescope', 'json', "
                                         r"'prairielearn', 'text'\]"):
        render(report, "html")
