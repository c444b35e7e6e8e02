"""Meetings, check-ins, private notes, the review inbox and the calendar feed."""

from __future__ import annotations

from django.urls import path

from goals import views_calendar, views_checkins, views_meetings

MEETING = "pairs/<int:pk>/meetings/<int:meeting_pk>/"

urlpatterns = [
    path("pairs/<int:pk>/meetings/", views_meetings.meeting_list, name="meeting_list"),
    path("pairs/<int:pk>/meetings/new/", views_meetings.meeting_new, name="meeting_new"),
    path(MEETING, views_meetings.meeting_detail, name="meeting"),
    path(f"{MEETING}edit/", views_meetings.meeting_edit, name="meeting_edit"),
    path(f"{MEETING}cancel/", views_meetings.meeting_cancel, name="meeting_cancel"),
    path(f"{MEETING}invite.ics", views_meetings.meeting_ics, name="meeting_ics"),
    path(f"{MEETING}check-in/", views_checkins.check_in, name="check_in"),
    path(f"{MEETING}review/", views_checkins.check_in_review, name="check_in_review"),
    path(f"{MEETING}note/", views_checkins.private_note, name="private_note"),
    path("reviews/", views_checkins.review_inbox, name="review_inbox"),
    path("calendar/", views_calendar.calendar_settings, name="calendar"),
    path("calendar/reset/", views_calendar.calendar_reset, name="calendar_reset"),
    path("calendar/<str:token>.ics", views_calendar.calendar_feed, name="calendar_feed"),
]
