"""allauth customisation: accounts come from the HR directory, never from self sign-up.

Employees sign in by emailed code (which also verifies their address), by password once they
set one, or by company SSO, which connects to the directory account with the same email.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False
