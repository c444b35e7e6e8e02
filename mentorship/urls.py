from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from mentorship import views

# The Django admin signs in through allauth (rate limits, MFA), not its own login form.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Mentorship administration"

urlpatterns = [
    path("", include("programs.home_urls")),
    path("healthz", views.healthz, name="healthz"),
    # Lazy: the hashed name comes from collectstatic's manifest, which importing URLs must not need.
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"), permanent=True),
    ),
    path("accounts/", include("allauth.urls")),
    path("", include("mentorship.urls_notifications")),
    path("directory/", include("people.urls")),
    path("", include("programs.urls")),
    path("", include("matching.urls")),
    path("", include("matching.urls_requests")),
    path("", include("goals.urls")),
    path("", include("reports.urls")),
    path("", include("reports.urls_exports")),
    path("", include("privacy.urls")),
    path("admin/", admin.site.urls),
]
