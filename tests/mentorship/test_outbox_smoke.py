from __future__ import annotations

import pytest

from mentorship import outbox
from mentorship.models import Notification
from mentorship.notifications import Due
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_record_and_send(mailoutbox):
    user = make_user()
    (pk,) = outbox.notifications_record([Due("test_ping", user.pk, 7)])
    assert outbox.notifications_record([Due("test_ping", user.pk, 7)]) == []
    assert outbox.notification_send(notification_id=pk) == "sent"
    assert outbox.notification_send(notification_id=pk) == ""
    (message,) = mailoutbox
    print(message.subject, message.extra_headers, message.body)
    assert Notification.objects.get(pk=pk).status == "sent"
