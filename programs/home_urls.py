from __future__ import annotations

from django.urls import path

from programs import views_home

# No app_name: the home page is "home" everywhere (LOGIN_REDIRECT_URL, templates).
urlpatterns = [path("", views_home.home, name="home")]
