"""``{% url %}`` with remembered answers (mentorship/templatetags/memo_url.py): what Django's
tag gives, for every form of the tag, and the same errors."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, engines
from django.template.defaulttags import URLNode
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy

from mentorship.templatetags.memo_url import MemoURLNode, _reverse


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def django_render(source: str, **context) -> str:
    """The same source through Django's own tag (an engine without the builtin)."""
    return Engine(libraries={}).from_string(source).render(Context(context))


CASES = [
    ("{% url 'home' %}", {}),
    ("{% url 'goals:pair' 27 %}", {}),
    ("{% url 'goals:pair' pk=pk %}", {"pk": 27}),
    ("{% url 'goals:pair' pk %}", {"pk": "27"}),
    ("{% url name pk %}", {"name": "goals:pair", "pk": 3}),
    ("{% url 'programs:cohort_dashboard' slug %}", {"slug": "eng-2026"}),
    ("{% url 'goals:pair' 5 as there %}[{{ there }}]", {}),
    ("{% url 'nowhere' as there %}[{{ there }}]", {}),
]


@pytest.mark.parametrize(("source", "context"), CASES)
def test_the_same_answers_as_djangos_tag(source, context):
    assert render(source, **context) == django_render(source, **context)
    assert render(source, **context) == django_render(source, **context)  # remembered


def test_every_template_uses_it_without_a_load():
    template = engines["django"].from_string("{% url 'home' %}").template
    (node,) = template.nodelist.get_nodes_by_type(URLNode)
    assert isinstance(node, MemoURLNode)


def test_an_unknown_view_or_bad_arguments_still_fail():
    with pytest.raises(NoReverseMatch):
        render("{% url 'nowhere' %}")
    with pytest.raises(NoReverseMatch):
        render("{% url 'goals:pair' 'not-a-number' %}")


def test_other_arguments_are_reversed_each_time():
    """Lazy strings and objects are not kept: their text could change."""
    _reverse.cache_clear()
    assert render("{% url 'programs:cohort_dashboard' slug %}", slug=gettext_lazy("x")) == (
        reverse("programs:cohort_dashboard", args=["x"])
    )
    assert _reverse.cache_info().currsize == 0


@override_settings(ROOT_URLCONF="bench.urls_bench")
def test_another_urlconf_is_another_key():
    assert render("{% url 'home' %}") == reverse("home")
