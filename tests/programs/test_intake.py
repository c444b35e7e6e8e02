"""The intake form: the enrolled person's answers, editable until the cohort starts."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from programs.forms_participant import normalise_languages
from programs.models import Enrollment, Topic
from tests.conftest import make_user
from tests.programs.fixtures import make_cohort, make_enrollment, make_program

pytestmark = pytest.mark.django_db


def _url(enrollment) -> str:
    return reverse("programs:intake", kwargs={"pk": enrollment.pk})


def _topics(program, *names) -> list[str]:
    return [str(t.pk) for t in program.topics.filter(name__in=names)]


@pytest.fixture
def mentor(participant, cohort):
    return make_enrollment(cohort=cohort, person=participant, role="mentor", status="applied")


@pytest.fixture
def mentee(participant, cohort):
    return make_enrollment(cohort=cohort, person=participant, role="mentee", status="invited")


def _mentor_answers(program, **extra) -> dict:
    data = {
        "topics_offered": _topics(program, "Leadership", "System design"),
        "languages": " english,german ; English ",
        "preferred_format": "remote",
        "bio": "Twelve years building payment systems.",
        "capacity": "3",
    }
    data.update(extra)
    return data


def test_mentor_fills_in_the_intake_and_it_is_complete(participant_client, mentor, program):
    response = participant_client.post(_url(mentor), _mentor_answers(program))
    assert response.status_code == 302
    assert response["Location"] == _url(mentor)
    mentor.refresh_from_db()
    assert sorted(t.name for t in mentor.topics_offered.all()) == ["Leadership", "System design"]
    assert mentor.languages == ["English", "German"]
    assert mentor.preferred_format == "remote"
    assert mentor.capacity == 3
    assert mentor.intake_completed_at is not None
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Saved. Your intake is complete."
    ]


def test_mentee_form_asks_what_they_seek_and_their_goals(participant_client, mentee, program):
    response = participant_client.get(_url(mentee))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields) == {
        "topics_sought",
        "goals",
        "languages",
        "preferred_format",
        "bio",
    }
    response = participant_client.post(
        _url(mentee),
        {
            "topics_sought": _topics(program, "Negotiation"),
            "goals": "Lead my first team within a year.",
            "languages": "French",
            "preferred_format": "in_person",
            "topics_offered": _topics(program, "Leadership"),  # not theirs to answer: ignored
            "capacity": "3",
        },
    )
    assert response.status_code == 302
    mentee.refresh_from_db()
    assert [t.name for t in mentee.topics_sought.all()] == ["Negotiation"]
    assert list(mentee.topics_offered.all()) == []
    assert mentee.capacity is None
    assert mentee.goals == "Lead my first team within a year."
    assert mentee.intake_completed_at is not None


def test_mentor_form_has_capacity_and_topics_offered_but_no_goals(participant_client, mentor):
    form = participant_client.get(_url(mentor)).context["form"]
    assert set(form.fields) == {
        "topics_offered",
        "languages",
        "preferred_format",
        "bio",
        "capacity",
    }
    assert form["capacity"].value() == mentor.capacity


def test_peer_answers_both_sides(participant_client, participant):
    cohort = make_cohort(program=make_program(kind="peer"), phase="open")
    peer = make_enrollment(cohort=cohort, person=participant, role="peer")
    form = participant_client.get(_url(peer)).context["form"]
    assert {"topics_offered", "topics_sought", "goals", "capacity"} <= set(form.fields)


def test_page_says_what_is_still_missing_in_plain_words(participant_client, mentee):
    response = participant_client.get(_url(mentee))
    body = response.content.decode()
    assert "Still missing" in body
    for words in (
        "topics you want help with",
        "what you want from the program",
        "languages you speak",
        "how you prefer to meet",
    ):
        assert words in body


def test_saving_part_of_it_lists_the_rest(participant_client, mentee):
    response = participant_client.post(_url(mentee), {"languages": "English"}, follow=True)
    mentee.refresh_from_db()
    assert mentee.languages == ["English"]
    assert mentee.intake_completed_at is None
    body = response.content.decode()
    assert "Saved. Still missing: topics you want help with, what you want from the program" in body
    assert "languages you speak" not in body


def test_clearing_an_answer_makes_the_intake_incomplete_again(participant_client, mentor, program):
    participant_client.post(_url(mentor), _mentor_answers(program))
    participant_client.post(_url(mentor), _mentor_answers(program, languages=" , "))
    mentor.refresh_from_db()
    assert mentor.languages == []
    assert mentor.intake_completed_at is None


@pytest.mark.parametrize("capacity", ["0", "4", "", "lots"])
def test_capacity_outside_the_cohort_bounds_is_an_error_on_capacity(
    participant_client, mentor, program, capacity
):
    response = participant_client.post(_url(mentor), _mentor_answers(program, capacity=capacity))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["capacity"]
    mentor.refresh_from_db()
    assert mentor.capacity == 2 and mentor.languages == []  # nothing saved


def test_bio_over_2000_characters_is_an_error_on_bio(participant_client, mentor, program):
    response = participant_client.post(_url(mentor), _mentor_answers(program, bio="x" * 2001))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["bio"]
    assert "at most 2000 characters" in response.context["form"].errors["bio"][0]


def test_a_topic_of_another_program_is_an_error_on_topics(participant_client, mentor, program):
    foreign = Topic.objects.filter(program=make_program()).first()
    data = _mentor_answers(program, topics_offered=[str(foreign.pk)])
    response = participant_client.post(_url(mentor), data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["topics_offered"]


def test_a_language_name_too_long_is_an_error_on_languages(participant_client, mentor, program):
    response = participant_client.post(_url(mentor), _mentor_answers(program, languages="x" * 51))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["languages"]


def test_unknown_format_is_an_error_on_format(participant_client, mentor, program):
    data = _mentor_answers(program, preferred_format="carrier pigeon")
    response = participant_client.post(_url(mentor), data)
    assert list(response.context["form"].errors) == ["preferred_format"]


def test_errors_are_shown_next_to_their_field(participant_client, mentor, program):
    body = participant_client.post(
        _url(mentor), _mentor_answers(program, capacity="9")
    ).content.decode()
    # The error list has the id the input's aria-describedby names (Django's "<id>_error").
    assert 'id="id_capacity_error"' in body
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_capacity"', body)
    assert re.search(r'<input[^>]*aria-describedby="[^"]*id_capacity_error[^"]*"', body)


@pytest.mark.parametrize("phase", ["running", "completed"])
def test_after_the_cohort_starts_answers_are_read_only(participant_client, participant, phase):
    program = make_program()
    started = make_cohort(program=program, phase=phase)
    enrollment = make_enrollment(cohort=started, person=participant, role="mentee", goals="Grow")
    response = participant_client.get(_url(enrollment))
    assert response.status_code == 200
    assert response.context["form"] is None
    body = response.content.decode()
    assert "can no longer be changed" in body
    assert "Grow" in body
    response = participant_client.post(_url(enrollment), {"goals": "Something else"})
    assert response.status_code == 409
    enrollment.refresh_from_db()
    assert enrollment.goals == "Grow"


@pytest.mark.parametrize("status", ["withdrawn", "declined", "completed"])
def test_intake_of_someone_no_longer_taking_part_is_read_only(
    participant_client, participant, cohort, status
):
    enrollment = make_enrollment(cohort=cohort, person=participant, status=status)
    response = participant_client.get(_url(enrollment))
    assert response.context["form"] is None
    assert f"Your enrollment is {status}" in response.content.decode()
    assert participant_client.post(_url(enrollment), {"goals": "x"}).status_code == 409


def test_another_participants_intake_is_404(participant_client, cohort):
    someone_else = make_enrollment(cohort=cohort, person=make_user())
    assert participant_client.get(_url(someone_else)).status_code == 404
    assert participant_client.post(_url(someone_else), {"goals": "mine"}).status_code == 404
    someone_else.refresh_from_db()
    assert someone_else.goals == ""


def test_even_the_program_admin_cannot_open_a_participants_intake_form(admin_client, mentee):
    assert admin_client.get(_url(mentee)).status_code == 404


def test_unknown_enrollment_is_404(participant_client):
    assert participant_client.get("/enrollments/999999/intake/").status_code == 404


def test_anonymous_is_sent_to_sign_in(client, mentee):
    response = client.get(_url(mentee))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_wrong_method_is_405(participant_client, mentee):
    assert participant_client.put(_url(mentee)).status_code == 405
    assert participant_client.delete(_url(mentee)).status_code == 405


def test_page_links_to_withdraw_while_taking_part(participant_client, mentee):
    body = participant_client.get(_url(mentee)).content.decode()
    assert reverse("programs:withdraw", kwargs={"pk": mentee.pk}) in body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("English, German", ["English", "German"]),
        ("  english ;german,, English  ", ["English", "German"]),
        ("brazilian   portuguese", ["Brazilian Portuguese"]),
        ("", []),
        (" , ; ", []),
    ],
)
def test_languages_are_normalised(text, expected):
    assert normalise_languages(text) == expected


def test_saved_languages_show_as_a_comma_separated_list(participant_client, mentor):
    Enrollment.objects.filter(pk=mentor.pk).update(languages=["English", "German"])
    body = participant_client.get(_url(mentor)).content.decode()
    assert 'value="English, German"' in body


def test_an_applicant_completing_the_intake_still_waits_for_the_admin(
    participant_client, mentor, program
):
    participant_client.post(_url(mentor), _mentor_answers(program))
    mentor.refresh_from_db()
    assert mentor.status == "applied"


def test_an_invited_person_completing_the_intake_accepts_the_invitation(
    participant_client, participant, cohort, program
):
    invited = make_enrollment(cohort=cohort, person=participant, role="mentor", status="invited")
    response = participant_client.post(_url(invited), _mentor_answers(program))
    invited.refresh_from_db()
    assert invited.status == "accepted"
    assert invited.decided_at is not None and invited.decided_by is None
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Saved. Your intake is complete and you have joined")


def test_an_invited_person_saving_part_of_the_intake_stays_invited(participant_client, mentee):
    participant_client.post(_url(mentee), {"languages": "English"})
    mentee.refresh_from_db()
    assert mentee.status == "invited"
    assert mentee.intake_completed_at is None
