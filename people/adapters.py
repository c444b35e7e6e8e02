"""allauth customisation: accounts come from the HR directory, never from self sign-up.

Employees sign in by emailed code (which also verifies their address), by password once they
set one, or by company SSO, which connects to the directory account with the same email.
People who have left the company cannot sign in, whichever way they try, even before the
nightly job (people.services.leavers_deactivate) has switched their account off.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def pre_login(self, request, user, **kwargs):
        # allauth refuses inactive accounts here; a leaver whose end date has come is refused
        # the same way, so a late deactivation job never lets anyone back in.
        if user.is_active and user.has_left():
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return self.respond_user_inactive(request, user)
        if self._address_proven(request, user, kwargs.get("signal_kwargs") or {}):
            _record_verified_address(user)
        return super().pre_login(request, user, **kwargs)

    def _address_proven(self, request, user, signal_kwargs: dict) -> bool:
        """Did this sign-in prove the person controls their directory email address?

        Yes if they entered the code we mailed to it, or if the company identity provider
        vouched for it (email_verified). allauth itself only marks an address verified
        when its EmailAddress row exists, and the directory import creates none; without
        this, mandatory verification would mail the person a second code.
        """
        email = user.email.lower()
        sociallogin = signal_kwargs.get("sociallogin")
        if sociallogin is not None:
            return any(
                address.verified and address.email.lower() == email
                for address in sociallogin.email_addresses
            )
        records = get_authentication_records(request, user)
        return (
            bool(records)
            and records[-1].get("method") == "code"
            and ((records[-1].get("email") or "").lower() == email)
        )


def _record_verified_address(user) -> None:
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
        EmailAddress.objects.create(
            user=user, email=user.email.lower(), verified=True, primary=not has_primary
        )
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False
