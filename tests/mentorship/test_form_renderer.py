"""One field template for every form: labels, help and errors tied to the input by the ids
Django's aria-describedby names, through the form renderer and the apps' _field.html includes."""

from __future__ import annotations

import re

from django import forms
from django.template import Context, Template


class SampleForm(forms.Form):
    name = forms.CharField(label="Your name", help_text="As colleagues know you.")
    note = forms.CharField(label="A note", required=False)
    mode = forms.ChoiceField(
        label="How you meet",
        choices=[("video", "Video"), ("in_person", "In person")],
        widget=forms.RadioSelect,
        help_text="Pick one.",
    )
    upload = forms.FileField(label="A file", required=False)


def described_by(html: str, element_id: str) -> list[str]:
    tag = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', html).group(0)
    found = re.search(r'aria-describedby="([^"]*)"', tag)
    return found.group(1).split() if found else []


def test_a_field_with_errors_is_described_by_its_help_and_its_error():
    form = SampleForm(data={"name": ""})
    assert not form.is_valid()
    html = form["name"].as_field_group()
    assert '<label for="id_name">Your name</label>' in html
    assert described_by(html, "id_name") == ["id_name_helptext", "id_name_error"]
    assert 'aria-invalid="true"' in html
    assert re.search(r'<p class="help" id="id_name_helptext">As colleagues know you.</p>', html)
    assert re.search(r'<ul class="errorlist" id="id_name_error"><li>This field is required', html)
    # Help and errors come before the input, after the label.
    assert html.index("id_name_helptext") < html.index("id_name_error") < html.index("<input")


def test_choices_are_a_fieldset_described_by_help_and_errors():
    form = SampleForm(data={"name": "Ana"})
    assert not form.is_valid()
    html = form["mode"].as_field_group()
    fieldset = re.search(r"<fieldset[^>]*>", html).group(0)
    assert 'aria-describedby="id_mode_helptext id_mode_error"' in fieldset
    assert "<legend>How you meet</legend>" in html
    assert 'id="id_mode_error"' in html
    assert html.count('aria-invalid="true"') == 2  # each radio button


def test_optional_marks_follow_the_include_that_asks():
    form = SampleForm()

    def render(template: str, field: str) -> str:
        include = Template('{% include "' + template + '" %}')
        return include.render(Context({"field": form[field]}))

    assert "(optional)" in render("programs/manage/_field.html", "note")
    assert "(optional)" not in render("programs/manage/_field.html", "name")
    assert "(optional)" not in render("programs/participant/_field.html", "note")
    assert "(optional)" not in render("goals/goals/_field.html", "note")
    assert "(optional)" not in render("includes/import_file_field.html", "upload")


def test_a_valid_field_has_no_error_and_is_not_invalid():
    form = SampleForm(data={"name": "Ana", "mode": "video"})
    assert form.is_valid()
    html = form["name"].as_field_group()
    assert "errorlist" not in html and "aria-invalid" not in html
    assert described_by(html, "id_name") == ["id_name_helptext"]
