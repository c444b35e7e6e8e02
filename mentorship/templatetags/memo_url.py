"""``{% url %}`` with its answers remembered: every template's, as a template builtin
(``TEMPLATES["OPTIONS"]["builtins"]``), so it replaces Django's own tag without a ``{% load %}``.

Reversing a URL is a pure function of the URL configuration, the script prefix, the view name,
its arguments and the current application, and each ``reverse`` costs tens of microseconds: the
navigation of every page alone reverses ten. Answers for arguments that are plain strings and
integers are kept (a bounded LRU, per process); anything else, and every failure, goes to
``reverse`` each time as before. The urlconf in force (``ROOT_URLCONF`` and a request's own)
is in the key, so tests that swap it are safe; nothing else can change a URL while the process
runs.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.conf import settings
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

PLAIN = (str, int)


@lru_cache(maxsize=8192)
def _reverse(urlconf, root, prefix, view_name, args, kwargs, current_app) -> str:
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)


def memo_reverse(view_name, args: list, kwargs: dict, current_app) -> str:
    """``reverse``, remembered when every argument is a plain string or integer."""
    values = [*args, *kwargs.values(), view_name]
    if current_app is not None:
        values.append(current_app)
    if not all(isinstance(v, PLAIN) for v in values):  # not lazy strings, models, lists
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    return _reverse(
        get_urlconf(),
        settings.ROOT_URLCONF,
        get_script_prefix(),
        view_name,
        tuple(args),
        tuple(sorted(kwargs.items())),
        current_app,
    )


class MemoURLNode(URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = memo_reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's ``{% url %}`` (same syntax, same errors), answers remembered."""
    node = django_url(parser, token)
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)
