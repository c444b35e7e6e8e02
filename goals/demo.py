"""`seed_demo`'s goals part: the pairs' workspaces, written as if the pairs had used the app.

Every published pair gets an agreement, SMART goals (some from the program's goal templates)
with milestones, meetings, check-ins with the mentor's reviews, progress updates, private notes
and the goals' history (``GoalEvent``), all dated relative to the day it runs:

- pairs of completed cohorts have a full history from the cohort's start to its end (or to the
  day the mentee withdrew);
- active pairs of running cohorts are spread over every health state (``goals.health``): on
  track, due (a meeting due, a check-in missing or waiting for review, a milestone overdue),
  overdue and inactive (some never met), with goals in every status;
- the demo mentee and mentor (mentee@example.com, mentor@example.com) are a rich pair that is
  on track, with a check-in waiting for the mentor and a meeting booked.

Deterministic: each pair draws from its own ``random.Random`` seeded with the cohort and the
mentee's email, and UIDs come from it too. Rows are written with ``bulk_create``; nothing is
queued and no email goes out (meetings are marked as already sent to calendars). Leaves
existing data alone: nothing is written when any goal or meeting exists.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from goals.cache_invalidation import PAIR_ACTIVITY
from goals.health import Health
from goals.models import (
    AgreementRevision,
    CheckIn,
    Goal,
    GoalEvent,
    GoalTemplate,
    Meeting,
    Milestone,
    PrivateNote,
    ProgressUpdate,
)
from goals.selectors.pairs import health_of, with_health_figures
from goals.services.agreements import DEFAULT_CONFIDENTIALITY
from matching.models import Match
from mentorship.cache_versions import bump_on_commit
from people.demo import DEMO_ACCOUNTS
from programs.models import Enrollment, Program

SEED = 20261207
DEMO_EMAILS = {account.key: account.email for account in DEMO_ACCOUNTS}

S = Goal.Status
METRIC = Goal.MeasureKind.METRIC
MILESTONES = Goal.MeasureKind.MILESTONES
Mode = Meeting.Mode

# --- Goal templates and goal ideas, per kind of program -----------------------------------------


@dataclass(frozen=True)
class TemplateSpec:
    title: str
    description: str
    relevance_hint: str
    milestones: tuple[str, ...] = ()  # empty: a metric template
    unit: str = ""


@dataclass(frozen=True)
class Idea:
    """A goal a person in this program might set, with what a check-in says about it."""

    title: str
    description: str
    relevance: str
    milestones: tuple[str, ...] = ()  # empty: a metric goal
    unit: str = ""
    baseline: float = 0
    target: float = 0
    talk: tuple[str, ...] = ()  # what a check-in says about it ({other}: the other person)
    steps: tuple[str, ...] = ()  # next steps it leads to
    template: str = ""  # title of the program's template it starts from
    decimals: int = 0  # of the values: 0 for counts, 1 for averages and rates

    @property
    def measure_kind(self) -> str:
        return MILESTONES if self.milestones else METRIC


TEMPLATES = {
    "engineering": [
        TemplateSpec(
            "Lead a project end to end",
            "Lead a project that involves more than your own team, from the brief to the launch "
            "and the retrospective.",
            "Which role does leading across teams prepare you for?",
            (
                "Write the one-page project brief",
                "Run the kickoff with everyone involved",
                "Send a weekly status update for a month",
                "Launch and run the retrospective",
            ),
        ),
        TemplateSpec(
            "Get a cloud certification",
            "Study for and pass a cloud certification that fits the platform your team runs on.",
            "How will the certification change the work you can take on?",
            (
                "Book the exam date",
                "Finish the course modules",
                "Score 80% on two practice exams",
                "Pass the exam",
            ),
        ),
        TemplateSpec(
            "Give a talk at the engineering all-hands",
            "A ten-minute talk about something you or your team built.",
            "Presenting your work makes it visible; say why that matters for you now.",
            (
                "Pitch the topic to the all-hands organisers",
                "Write the outline and the slides",
                "Do a dry run with my mentor",
                "Give the talk",
            ),
        ),
        TemplateSpec(
            "Cut code-review turnaround",
            "Shorten how long pull requests wait for a first review, in your team or your own.",
            "Slow reviews hold up delivery; say what faster reviews would change for you.",
            unit="hours to first review",
        ),
        TemplateSpec(
            "Join the on-call rotation",
            "Learn the alerts, runbooks and dashboards well enough to be on call alone.",
            "Being trusted with production is expected above junior level.",
            (
                "Shadow two on-call weeks",
                "Run the failover drill in staging",
                "Take a week as secondary on-call",
                "Take a week as primary on-call",
            ),
        ),
    ],
    "reverse": [
        TemplateSpec(
            "Use the data tools my team uses",
            "Answer your own questions with the team's dashboards and BI tool instead of asking "
            "an analyst.",
            "What decisions would you make faster with the numbers at hand?",
            (
                "Get access to the BI tool and the data",
                "Rebuild one report you receive every week",
                "Build a dashboard and share it",
                "Go a month without asking for the report",
            ),
        ),
        TemplateSpec(
            "Post about our work on LinkedIn",
            "Write about your team's work in your own words, regularly.",
            "Who should hear about your team's work, and why does it matter to you?",
            unit="posts per month",
        ),
        TemplateSpec(
            "Automate a weekly report",
            "Stop assembling a recurring report by hand.",
            "What would you do with the hours you get back?",
            unit="hours a week on the report",
        ),
        TemplateSpec(
            "Try an AI assistant on real work",
            "Use the company's approved AI assistant on a real piece of writing or analysis.",
            "You ask your teams to adopt these tools: say why using them yourself matters.",
            (
                "Set up the approved assistant",
                "Use it on one internal memo",
                "Use it on a piece of work that matters",
                "Share what worked with your peers",
            ),
        ),
    ],
    "peer": [
        TemplateSpec(
            "Run a customer workshop",
            "Plan and run a workshop with one of your customers' teams.",
            "What would a workshop change in how this customer works with us?",
            (
                "Pick the customer and the theme",
                "Agree the agenda with the customer's lead",
                "Run the workshop",
                "Send the summary and next steps",
            ),
        ),
        TemplateSpec(
            "Shorten time to go-live for new accounts",
            "Get new customers live sooner after they sign.",
            "Customers who go live fast renew; say what it means for your accounts.",
            unit="days to go-live",
        ),
        TemplateSpec(
            "Raise first-call conversion",
            "More first calls that lead to a second meeting with the right people.",
            "Better discovery means fewer deals lost late; say why it matters to you now.",
            unit="% of first calls with the budget holder",
        ),
        TemplateSpec(
            "Write a reusable proposal template",
            "A proposal template the whole team can start from.",
            "Who reads our proposals, and what would a better one change?",
            (
                "Collect three proposals that won and three that lost",
                "Draft the template",
                "Use it on two real deals",
                "Share it with the team",
            ),
        ),
        TemplateSpec(
            "Forecast my quarter within 10%",
            "Call the quarter's number and land within 10% of it.",
            "An accurate forecast is what managers are trusted for.",
            unit="% forecast error",
        ),
    ],
}

IDEAS: dict[str, dict[str, list[Idea]]] = {
    "engineering": {
        "System design": [
            Idea(
                "Own the design of a service end to end and defend it in a design review",
                "Pick a service my team needs this half, write its design doc myself and take it "
                "through the architecture review without my lead presenting it.",
                "Designing systems rather than single features is what the next level asks "
                "for; so far my lead has written our designs.",
                (
                    "Agree the service and its scope with my lead",
                    "Write the design doc, with the alternatives I rejected",
                    "Present it at the architecture review",
                    "Address the review comments and get sign-off",
                ),
                talk=(
                    "We went through my design doc draft section by section; {other} pushed me "
                    "to write down the alternatives I rejected and why.",
                    "Talked through the failure modes: retries, idempotency keys and what "
                    "happens when the queue backs up.",
                    "{other} shared an old design doc that went through three review rounds, "
                    "and what changed each time.",
                ),
                steps=(
                    "Add a section on the rejected alternatives to the design doc",
                    "Book a 30-minute dry run of the review with {other}",
                    "Ask two people from the platform team to pre-read the doc",
                ),
            ),
        ],
        "Code review": [
            Idea(
                "Get my pull requests through review in fewer rounds",
                "Smaller pull requests with better descriptions, so reviewers can approve them "
                "without three rounds of back and forth.",
                "Slow reviews are what slows my delivery most, and clear pull requests are how "
                "the team sees my engineering judgement.",
                unit="review rounds per pull request",
                decimals=1,
                baseline=4,
                target=2,
                talk=(
                    "Looked at three of my recent pull requests together; the big ones took the "
                    "most rounds, so we talked about splitting work into reviewable steps.",
                    "{other} showed me a checklist for pull request descriptions: context, what "
                    "changed, how to test it, what to look at first.",
                    "Talked about answering review comments I disagree with without it turning "
                    "into a long thread.",
                ),
                steps=(
                    "Keep pull requests under 400 lines for the next two weeks",
                    "Use the description checklist on every pull request",
                    "Count the review rounds on my last ten pull requests",
                ),
            ),
            Idea(
                "Cut the time my team's pull requests wait for a first review",
                "Set up a review rota and a daily review slot in my team so nobody waits a day "
                "for a first look.",
                "Leading a small process change in my own team is the first step towards a "
                "tech lead role.",
                unit="hours to first review",
                baseline=30,
                target=8,
                talk=(
                    "Went through last month's review numbers: most of the waiting happens on "
                    "Mondays and just before releases.",
                    "{other} suggested making the review rota visible in the team channel "
                    "instead of on a wiki page nobody opens.",
                ),
                steps=(
                    "Propose the review rota at Thursday's retro",
                    "Pull the hours-to-first-review numbers again next Friday",
                ),
                template="Cut code-review turnaround",
            ),
        ],
        "Testing": [
            Idea(
                "Bring our team's flaky test rate down and keep it down",
                "Find the tests that fail at random, fix or quarantine them, and add a check "
                "so new ones are caught early.",
                "Owning the quality of a whole test suite is the kind of ownership expected at "
                "the next level, and the team loses hours a week to re-runs.",
                unit="% of CI runs with a flaky failure",
                decimals=1,
                baseline=12,
                target=3,
                talk=(
                    "Went through the flaky-test dashboard: most failures come from tests that "
                    "share a database or depend on the clock.",
                    "{other} showed me how to freeze time in tests and how to spot tests that "
                    "depend on their order.",
                ),
                steps=(
                    "Quarantine the five worst tests and open a ticket for each",
                    "Add the flaky-test numbers to our weekly team update",
                ),
            ),
            Idea(
                "Write the first end-to-end tests for our checkout flow",
                "Cover the three checkout journeys that break most often with end-to-end "
                "tests that run on every merge.",
                "Nobody on my team owns end-to-end testing yet; owning it would make me the "
                "go-to person for release quality.",
                (
                    "Pick the three journeys that break most often",
                    "Set up the test environment with seeded data",
                    "Write the tests for the three journeys",
                    "Run them on every merge to main",
                ),
                talk=(
                    "Talked about which journeys to test first: the ones with the most "
                    "incidents, not the ones that are easiest to automate.",
                    "{other} warned me about end-to-end suites nobody trusts and how to keep "
                    "ours fast enough to run on every merge.",
                ),
                steps=(
                    "List last quarter's checkout incidents by journey",
                    "Pair with QA on the seeded test data",
                ),
            ),
        ],
        "Cloud architecture": [
            Idea(
                "Get the AWS Solutions Architect Associate certification",
                "Study for and pass the associate exam, focusing on networking and IAM where "
                "I am weakest.",
                "Our services are moving to the new AWS platform and I want to be one of the "
                "people who can design for it, not only deploy to it.",
                (
                    "Book the exam date",
                    "Finish the course modules on networking and IAM",
                    "Score 80% on two practice exams",
                    "Pass the exam",
                ),
                talk=(
                    "Talked through VPC design and why our services sit in private subnets; "
                    "the course module finally clicked.",
                    "{other} walked me through how our production accounts are laid out and "
                    "who owns what.",
                ),
                steps=(
                    "Do one practice exam before our next meeting",
                    "Draw our team's network setup from memory and check it against the real one",
                ),
                template="Get a cloud certification",
            ),
            Idea(
                "Join the on-call rotation for our team's services",
                "Learn our alerts, runbooks and dashboards well enough to be on call without a "
                "safety net.",
                "Being trusted with production is expected of every engineer above junior "
                "level in our org.",
                (
                    "Shadow two on-call weeks",
                    "Run the failover drill in staging",
                    "Take a week as secondary on-call",
                    "Take a week as primary on-call",
                ),
                talk=(
                    "Went through our runbooks together; half of them still point at dashboards "
                    "that no longer exist.",
                    "{other} told me about a bad on-call night and what they would do "
                    "differently now.",
                ),
                steps=(
                    "Fix the two runbooks we found broken",
                    "Ask the SRE team to add me as a shadow for next week",
                ),
                template="Join the on-call rotation",
            ),
        ],
        "Career growth": [
            Idea(
                "Get ready for the promotion round with a written case",
                "Go through the level expectations with my manager, close the gaps we agree on "
                "and write my promotion case with examples.",
                "I have been at my level for two years; I want a clear view of what is missing "
                "and evidence that I already work at the next one.",
                (
                    "Go through the level guide with my manager",
                    "Agree the three gaps to work on",
                    "Collect examples of work at the next level",
                    "Write the promotion case and get feedback on it",
                ),
                talk=(
                    "We compared the level guide with what I did last quarter; the gap is "
                    "mostly in leading work across teams, not in coding.",
                    "{other} explained how promotion cases are read by the committee and what "
                    "makes an example convincing.",
                ),
                steps=(
                    "Ask my manager for a 1:1 about the level guide",
                    "Start a running document of my work and add last month to it",
                ),
            ),
        ],
        "Public speaking": [
            Idea(
                "Give a talk at the engineering all-hands",
                "A ten-minute talk about the payments retry work, with a live demo only if it "
                "cannot fail.",
                "Presenting our work to the whole org makes it visible, and it is a skill I "
                "need for a senior role.",
                (
                    "Pitch the topic to the all-hands organisers",
                    "Write the outline and the slides",
                    "Do a dry run with my mentor",
                    "Give the talk",
                ),
                talk=(
                    "Worked on the talk outline: one story, three slides of numbers, and a demo "
                    "only if it cannot fail.",
                    "Did a first run-through; {other} timed it at 14 minutes, so we cut the "
                    "history section.",
                ),
                steps=(
                    "Send the outline to the all-hands organisers",
                    "Record one run-through and watch it back",
                ),
                template="Give a talk at the engineering all-hands",
            ),
            Idea(
                "Give a talk at a local engineering meetup",
                "Turn a lesson from our team's work into a 20-minute meetup talk.",
                "Speaking outside the company builds the kind of reputation that helps our "
                "hiring and my own growth.",
                (
                    "Submit the talk proposal",
                    "Get the slides reviewed by two colleagues",
                    "Rehearse in front of my team",
                    "Give the talk",
                ),
                talk=(
                    "We worked on the talk abstract; {other} helped me cut it to one promise "
                    "the audience can hold me to.",
                    "Talked about handling questions from the audience I cannot answer.",
                ),
                steps=(
                    "Submit the proposal before the deadline",
                    "Book a slot at the team meeting for a rehearsal",
                ),
            ),
        ],
        "Leadership": [
            Idea(
                "Lead my first cross-team project from kickoff to launch",
                "Lead the migration of our notification service together with the mobile "
                "team: plan it, run the weekly check-ins and launch it.",
                "Leading across teams is the gap between my level and the next, and this "
                "project is the right size to learn it.",
                (
                    "Write the one-page project brief",
                    "Run the kickoff with both teams",
                    "Send a weekly status update for a month",
                    "Launch and run the retrospective",
                ),
                talk=(
                    "Talked about running the kickoff: agree on what done means first, and "
                    "write down who decides what.",
                    "We went through a status update I sent; {other} suggested leading with the "
                    "risks instead of a list of tasks.",
                ),
                steps=(
                    "Draft the project brief and share it with both leads",
                    "Set up the weekly status update in the shared channel",
                ),
                template="Lead a project end to end",
            ),
        ],
        "Product sense": [
            Idea(
                "Join customer calls and bring what I learn into our roadmap",
                "Sit in on customer calls with our product manager and turn what I hear into "
                "problem statements for planning.",
                "Engineers who understand customers make better trade-offs, and our product "
                "manager asked for more engineering input in planning.",
                unit="customer calls joined",
                baseline=0,
                target=6,
                talk=(
                    "Went through what I heard on my last customer call; {other} helped me turn "
                    "it into a one-paragraph problem statement for the product manager.",
                    "Talked about pushing back on a spec with data instead of opinions.",
                ),
                steps=(
                    "Ask the product manager to add me to two calls this month",
                    "Share the problem statement before planning",
                ),
            ),
        ],
        "Incident response": [
            Idea(
                "Lead an incident as commander and write a blameless postmortem",
                "Learn the incident process well enough to run it, then lead one and write it up.",
                "Staying calm and structured under pressure is what makes people trust an "
                "engineer with bigger systems.",
                (
                    "Read the last five postmortems",
                    "Shadow an incident commander",
                    "Lead a game-day incident in staging",
                    "Lead a real incident and write the postmortem",
                ),
                talk=(
                    "Read two postmortems together; {other} pointed out which ones blamed "
                    "people without saying so.",
                    "We walked through the incident roles and what the commander should not do: "
                    "debug.",
                ),
                steps=(
                    "Ask to shadow the commander on the next incident",
                    "Propose a game day for our service",
                ),
            ),
        ],
        "Data engineering": [
            Idea(
                "Make our nightly pipeline recover without anyone babysitting it",
                "Add retries, idempotent steps and alerts that say what to do, so the nightly "
                "load fixes itself or tells us why it cannot.",
                "I want to move towards data platform work, and this pipeline is what our "
                "analysts complain about most.",
                unit="manual restarts per month",
                baseline=9,
                target=1,
                talk=(
                    "Went through last month's failures: most were the upstream export arriving "
                    "late, not bugs in our code.",
                    "{other} explained how to make each step safe to re-run, so a retry never "
                    "loads data twice.",
                ),
                steps=(
                    "Make the load step idempotent",
                    "Add an alert that links to the runbook",
                ),
            ),
        ],
        "Moving into management": [
            Idea(
                "Decide by the end of the cohort whether the manager track is for me",
                "Try parts of the manager job in small doses and talk to people who do it, "
                "then decide.",
                "My manager asked whether I want to lead the team next year and I do not know yet.",
                (
                    "Interview three engineering managers about their week",
                    "Run our team's sprint planning twice",
                    "Be the onboarding buddy of our new joiner",
                    "Write down my decision and discuss it with my manager",
                ),
                talk=(
                    "Talked about what {other} misses from coding and what they would never "
                    "give up about managing.",
                    "We went through how the sprint planning went; I talked too much and asked "
                    "too few questions.",
                ),
                steps=(
                    "Book the interviews with two more managers",
                    "Ask for feedback after the next planning",
                ),
            ),
        ],
    },
    "reverse": {
        "AI assistants at work": [
            Idea(
                "Draft my team's quarterly update with an AI assistant",
                "Use the company's approved assistant for real writing, not only for trying it "
                "out.",
                "I ask my teams to adopt these tools; I should be able to show how I use them "
                "myself.",
                (
                    "Set up the approved assistant with the right data settings",
                    "Draft one internal memo with it",
                    "Draft the quarterly update with it",
                    "Show my leadership team what worked and what did not",
                ),
                talk=(
                    "{other} showed me how to give the assistant our style guide and last "
                    "quarter's update as context; the first draft was usable.",
                    "We went through what must never be pasted into an assistant: customer "
                    "data, salaries, anything under NDA.",
                ),
                steps=(
                    "Draft next Monday's team note with the assistant",
                    "Write down the three prompts that worked",
                ),
                template="Try an AI assistant on real work",
            ),
        ],
        "Social media and personal brand": [
            Idea(
                "Post about our work on LinkedIn twice a month, in my own words",
                "Short posts about what my teams ship and learn, written by me.",
                "Our hiring depends on people knowing what we do, and my posts reach people "
                "our job ads do not.",
                unit="posts per month",
                baseline=0,
                target=2,
                talk=(
                    "{other} went through my first two drafts: shorter, one picture, and a "
                    "question at the end instead of a slogan.",
                    "We looked at which of our company's posts did well last quarter and why.",
                ),
                steps=(
                    "Post the draft about the Toronto launch",
                    "Comment on three posts from people in my org",
                ),
                template="Post about our work on LinkedIn",
            ),
        ],
        "Collaboration tools": [
            Idea(
                "Run a meeting-free week for my team with async updates",
                "One week without status meetings, with written updates in a shared channel "
                "instead.",
                "My calendar is full of status meetings; I want to show my directors that "
                "written updates can replace most of them.",
                (
                    "Agree the format of the written updates with my managers",
                    "Set up the update channel and templates",
                    "Run the meeting-free week",
                    "Ask the team what to keep",
                ),
                talk=(
                    "{other} showed me how their team writes updates: three lines, links "
                    "instead of attachments, and a thread for questions.",
                    "We went through my calendar together and marked which meetings could "
                    "become written updates.",
                ),
                steps=(
                    "Send the update template to my managers",
                    "Cancel the Tuesday status meeting for the trial week",
                ),
            ),
        ],
        "Data literacy": [
            Idea(
                "Build my own weekly dashboard instead of asking an analyst",
                "Learn the BI tool well enough to answer my Monday questions myself.",
                "I make decisions on numbers every week and wait two days for each answer; "
                "doing it myself frees our analysts for deeper work.",
                (
                    "Get access to the BI tool and the sales data",
                    "Rebuild last Monday's report myself",
                    "Build the dashboard and share it with my directs",
                    "Go a month without asking for the Monday report",
                ),
                talk=(
                    "{other} walked me through filters and how to check a number against the "
                    "finance report before trusting it.",
                    "We rebuilt last week's pipeline chart together; it took twenty minutes "
                    "instead of two days.",
                ),
                steps=(
                    "Rebuild the regional revenue chart on my own",
                    "Ask the analytics team which tables are the trusted ones",
                ),
                template="Use the data tools my team uses",
            ),
        ],
        "Automating repetitive work": [
            Idea(
                "Automate the weekly report I still assemble by hand",
                "Replace the copy and paste of my Friday report with a scheduled export and a "
                "template.",
                "Three hours a week on copy and paste is time I should spend with my teams.",
                unit="hours a week on the report",
                decimals=1,
                baseline=3,
                target=0.5,
                talk=(
                    "{other} showed me how to schedule the export and drop it into the report "
                    "template automatically.",
                    "We mapped which parts of the report really need my judgement; it is only "
                    "the summary at the top.",
                ),
                steps=(
                    "Set up the scheduled export for the sales numbers",
                    "Time how long the report takes this Friday",
                ),
                template="Automate a weekly report",
            ),
        ],
        "What early-career colleagues expect": [
            Idea(
                "Find out why our graduate hires leave within two years",
                "Listen to people early in their careers and bring what I learn to the "
                "leadership team.",
                "We lose half of our graduate hires within two years, and leadership mostly "
                "guesses why.",
                (
                    "Read last year's exit interviews",
                    "Have coffee with five graduate hires",
                    "Present three findings to the leadership team",
                ),
                talk=(
                    "{other} was candid about what made them consider leaving in their first "
                    "year: unclear promotion criteria and no feedback between reviews.",
                    "We talked about how to ask graduates for honest answers when I am three "
                    "levels above them.",
                ),
                steps=(
                    "Ask People for last year's exit interview summaries",
                    "Invite two graduates for coffee next week",
                ),
            ),
        ],
        "Online security habits": [
            Idea(
                "Get my leadership team onto the password manager and passkeys",
                "Move myself first, then help my leadership team do the same.",
                "Leaders are the accounts attackers want most, and my team follows what I do, "
                "not what I send round.",
                unit="leaders using the password manager",
                baseline=1,
                target=8,
                talk=(
                    "{other} set up passkeys on my laptop and phone with me; it took ten minutes.",
                    "We talked about the phishing test last month and why leaders clicked more "
                    "than anyone.",
                ),
                steps=(
                    "Show the password manager at the next leadership meeting",
                    "Move my last five shared passwords into the vault",
                ),
            ),
        ],
        "Short-form video": [
            Idea(
                "Send a two-minute video update instead of a long email each month",
                "Record short video updates for my org instead of long emails nobody reads to "
                "the end.",
                "My monthly email gets few reads; a short video is how younger colleagues "
                "prefer to hear from leadership.",
                unit="video updates sent",
                baseline=0,
                target=4,
                talk=(
                    "{other} recorded a test video with me on my phone; one take, no script, "
                    "three points.",
                    "We watched two of the company's video updates and talked about why one "
                    "worked and one did not.",
                ),
                steps=(
                    "Record the monthly update as a video",
                    "Ask three people in my org how it landed",
                ),
            ),
        ],
    },
    "peer": {
        "Discovery calls": [
            Idea(
                "Reach the budget holder in the first discovery call more often",
                "Prepare discovery calls so the first meeting finds out who decides and who pays.",
                "Deals I lose late are the ones where I never met the budget holder.",
                unit="% of first calls with the budget holder",
                baseline=30,
                target=60,
                talk=(
                    "We swapped our discovery question lists; {other}'s question about how "
                    "they bought the last tool is now on mine.",
                    "Role-played a first call where the champion cannot name the budget holder.",
                ),
                steps=(
                    "Try the new opening questions on my next three first calls",
                    "Note who the budget holder is in the CRM after every first call",
                ),
                template="Raise first-call conversion",
            ),
        ],
        "Negotiation": [
            Idea(
                "Hold the price on renewals without discounting",
                "Go into renewals with the value delivered and a trade instead of a discount.",
                "Discounts at renewal eat my accounts' growth, and holding the price is what "
                "senior account managers are trusted with.",
                unit="average renewal discount (%)",
                decimals=1,
                baseline=12,
                target=5,
                talk=(
                    "Role-played a pricing objection; {other} played a procurement lead who "
                    "would not budge.",
                    "We listed what I can trade instead of a discount: term length, case study, "
                    "payment terms.",
                ),
                steps=(
                    "Prepare the value summary for the Harbor renewal",
                    "Agree my walk-away price with my manager before the call",
                ),
            ),
        ],
        "Handling escalations": [
            Idea(
                "Turn an escalated account into a reference customer",
                "Recover one escalated account so well that they agree to be a reference.",
                "Handling escalations calmly is what gets customer success managers the "
                "strategic accounts.",
                (
                    "Run the recovery call with the customer's sponsor",
                    "Agree a 30-day recovery plan",
                    "Deliver the plan and review it with the customer",
                    "Ask for a reference or a case study",
                ),
                talk=(
                    "We prepared the recovery call: acknowledge first, no excuses, and one "
                    "concrete next step by Friday.",
                    "{other} shared how they turned around an account last year and what they "
                    "would not do again.",
                ),
                steps=(
                    "Send the recovery plan to the sponsor",
                    "Book the 30-day review now",
                ),
            ),
        ],
        "Renewals and expansion": [
            Idea(
                "Grow my accounts' net revenue retention to 110%",
                "Plan renewals early and find one expansion per quarter in my book.",
                "Net revenue retention is the number my role is judged on.",
                unit="% net revenue retention",
                baseline=98,
                target=110,
                talk=(
                    "Went through my renewals for the next quarter and which ones need an "
                    "executive sponsor early.",
                    "{other} showed me their account plan template; mine had no expansion "
                    "section at all.",
                ),
                steps=(
                    "Write account plans for my three biggest renewals",
                    "Book the executive sponsor call for the at-risk account",
                ),
            ),
        ],
        "Product demos": [
            Idea(
                "Give a demo tailored to the buyer in under 20 minutes",
                "Build demo stories by buyer role and cut my standard demo from 45 to 20 minutes.",
                "Buyers lose interest in long demos, and a tight demo is what wins the "
                "second meeting.",
                (
                    "Build three demo stories by buyer role",
                    "Record my demo and cut it to 20 minutes",
                    "Run it with my peer playing the buyer",
                    "Use it on five real calls",
                ),
                talk=(
                    "{other} played a finance buyer during my demo and stopped me every time I "
                    "showed a feature without saying why it matters.",
                    "We cut the demo's first ten minutes: start with the customer's problem, "
                    "not our navigation.",
                ),
                steps=(
                    "Record the 20-minute version and send it to {other}",
                    "Use the finance story on Thursday's call",
                ),
            ),
        ],
        "Writing proposals": [
            Idea(
                "Write a proposal template a CFO reads to the end",
                "One page of outcome and price, then the detail, for the whole team to use.",
                "Our proposals lose CFOs on page two, and a good template helps the whole team, "
                "not only me.",
                (
                    "Collect three proposals that won and three that lost",
                    "Draft the template",
                    "Use it on two real deals",
                    "Share it with the team",
                ),
                talk=(
                    "We read a winning and a losing proposal side by side; the winner put the "
                    "price and the outcome on page one.",
                    "{other} suggested asking a friendly customer's CFO what they skip.",
                ),
                steps=(
                    "Draft the one-page summary section",
                    "Ask finance to check the pricing table",
                ),
                template="Write a reusable proposal template",
            ),
        ],
        "Managing a pipeline": [
            Idea(
                "Forecast my quarter within 10%",
                "Review my pipeline every week with clear stage rules and call the number early.",
                "An accurate forecast is what makes managers trust an account executive with "
                "bigger territories.",
                unit="% forecast error",
                baseline=25,
                target=10,
                talk=(
                    "Went through my pipeline stage by stage; three deals were in the wrong "
                    "stage because nobody had met the buyer.",
                    "{other} shared the weekly pipeline routine they do on Friday mornings.",
                ),
                steps=(
                    "Move the stalled deals back a stage",
                    "Block Friday mornings for the pipeline review",
                ),
                template="Forecast my quarter within 10%",
            ),
        ],
        "Onboarding new customers": [
            Idea(
                "Get new accounts live in 30 days instead of 60",
                "A standard onboarding plan agreed with the customer in the first week.",
                "Accounts that go live fast renew, and slow onboarding is the first complaint "
                "in our surveys.",
                unit="days to go-live",
                baseline=60,
                target=30,
                talk=(
                    "Mapped where the last three onboardings lost time: waiting for the "
                    "customer's IT to approve single sign-on.",
                    "{other} shared the kickoff deck they use, with the customer's tasks on "
                    "one slide.",
                ),
                steps=(
                    "Ask for the IT contact in the kickoff call",
                    "Try the shared onboarding plan with the next new account",
                ),
                template="Shorten time to go-live for new accounts",
            ),
            Idea(
                "Run an onboarding workshop with a new customer's team",
                "Replace the slide-based kickoff with a hands-on workshop where the customer's "
                "team sets up their first real project with us.",
                "Customers who use the product in week one stay; running workshops is how I "
                "want to grow towards a senior customer success role.",
                (
                    "Pick the customer and the theme",
                    "Agree the agenda with the customer's lead",
                    "Run the workshop",
                    "Send the summary and next steps",
                ),
                talk=(
                    "We planned the workshop agenda: twenty minutes of us talking at most, the "
                    "rest hands-on with their own data.",
                    "{other} ran a workshop like this last year and warned me to get the "
                    "customer's admin in the room, or nothing gets set up.",
                ),
                steps=(
                    "Send the agenda to the customer's lead",
                    "Prepare a sandbox with their data",
                ),
                template="Run a customer workshop",
            ),
        ],
    },
}

# --- What pairs talk about, write and think, per kind of program --------------------------------

FIRST_TALK = {
    "engineering": [
        "First meeting: we got to know each other, talked about my team and what I want from "
        "the next six months, and agreed to meet every {cadence}.",
        "Introductions and expectations. {other} told me about their path to senior engineer "
        "and we went through my intake answers together.",
        "We talked about what I work on and where I feel stuck, and agreed I draft two goals "
        "before our next meeting.",
    ],
    "reverse": [
        "First meeting: {other} told me what they work on and how they use tools day to day; "
        "I said what I want to learn and what I can offer in return.",
        "Introductions. We agreed the rules: {other} tells me honestly what looks odd from "
        "where they sit, and I explain how decisions are made up here.",
    ],
    "peer": [
        "First meeting: we compared our accounts and our weeks, and agreed what each of us "
        "wants to get better at.",
        "Introductions: {other} sells into the same industries I support, so we agreed to "
        "bring real calls and real accounts each time.",
    ],
}
TALK = {
    "engineering": [
        "We spent the second half on how to say no to ad-hoc requests without sounding unhelpful.",
        "I asked how {other} prepares for 1:1s with their manager; we swapped our agendas.",
        "Talked about the reorganisation and what to focus on when priorities shift every few "
        "weeks.",
        "Went through how my last sprint went: I underestimated the migration work again, so "
        "we looked at how I estimate.",
        "{other} explained how the architecture group decides what it reviews and how to get "
        "on its agenda.",
        "We talked about working with our product manager on scope: cut early, and say it "
        "out loud.",
        "Talked about reading code outside my team; {other} suggested following one request "
        "through the whole system.",
        "We discussed how to get visible work without only picking the shiny projects.",
        "Talked about the last release crunch and how to protect focus time.",
        "I brought a disagreement with a colleague about API naming; we practised how to raise "
        "it in our next 1:1.",
    ],
    "reverse": [
        "{other} told me how new joiners really find information here: chat search first, the "
        "intranet almost never.",
        "We talked about which of my all-hands messages land with early-career colleagues and "
        "which do not.",
        "{other} showed me a few keyboard shortcuts and settings that saved me a surprising "
        "amount of time.",
        "We discussed how hybrid work looks from the first rungs: fewer chances to overhear "
        "how decisions are made.",
        "Talked about what makes a manager approachable when you are two years into your career.",
        "We went through my calendar; {other} spotted three recurring meetings that could be "
        "written updates.",
    ],
    "peer": [
        "We swapped our worst calls of the month and what we would do differently.",
        "Talked about handing accounts over between sales and customer success without the "
        "customer noticing the seam.",
        "We compared how we prepare for quarterly business reviews; I am taking {other}'s "
        "one-page account summary.",
        "Went through a renewal at risk and who else we should involve early.",
        "Talked about keeping the CRM up to date without losing Friday afternoons to it.",
        "Role-played a call with a customer who wants features we will not build.",
    ],
}
STEPS = {
    "engineering": [
        "Send {other} the draft before our next meeting",
        "Write down three things I want feedback on",
        "Block two hours of focus time every morning next week",
        "Ask my manager about the open tech lead role",
        "Read the postmortem {other} shared",
    ],
    "reverse": [
        "Try it on my own before our next meeting and note where I get stuck",
        "Share what I learned at the leadership meeting",
        "Ask my assistant to move two status meetings to written updates",
    ],
    "peer": [
        "Send {other} the call recording",
        "Try the new opening on two calls this week",
        "Share the account plan template with my team",
    ],
}
REVIEWS = {
    "engineering": [
        "Good summary, {other}. Agree with the next steps; send me the doc when it's ready and "
        "I'll comment within two days.",
        "Thanks for writing this up. One thing to add: talk to your manager before the "
        "planning meeting, not after.",
        "Nice progress. The numbers are already better than last month: say so in your team "
        "update.",
        "Agreed. Let's use part of next time for a dry run.",
        "Thanks {other}. I'd push harder on splitting the work: smaller steps, merged more often.",
        "Good session. Keep the focus on one goal at a time; the others get easier after.",
        "Solid check-in. I've put the article about incident reviews in our chat.",
        "Looks right to me. Don't wait for our next meeting if you get stuck: ping me.",
    ],
    "reverse": [
        "Thanks {other}! Next time bring a real draft and we'll try it together.",
        "Great that you tried it on real work. The list of shortcuts is in our chat.",
        "Really enjoyed this one. Honest question for next time: what would make you stop "
        "using it?",
        "Good notes. I asked two friends from the graduate intake whether they'd join a coffee "
        "chat; both said yes.",
        "Thanks for being so open about how leadership decides things; it helps me too.",
    ],
    "peer": [
        "Thanks {other}, useful for me too. I'll send you my discovery question list.",
        "Agree with the next steps. Let's role-play the renewal call before you have it.",
        "Good notes. Ping me after the business review and tell me how it went.",
        "Nice one. Your account summary is better than mine; I'm borrowing it.",
    ],
}
AGENDA_OPENERS = [
    "Catch up since last time",
    "What went well and what didn't since we met",
    "Quick round: how the last two weeks went",
]
AGENDA_TOPICS = {
    "engineering": [
        "Feedback on my design doc",
        "How to prepare for the promotion round",
        "Questions from the last sprint",
        "A tricky code review thread",
        "Working with the new product manager",
    ],
    "reverse": [
        "Try it hands-on together",
        "What graduates said this month",
        "My next all-hands message",
        "Questions from last time",
    ],
    "peer": [
        "A call that went badly",
        "Renewals coming up",
        "Role-play: pricing objection",
        "Account plan review",
    ],
}
AGENDA_CLOSERS = ["Anything from your side", "Next steps and our next date", "Open questions"]
FIRST_AGENDAS = [
    "Introductions\nWhat we each want from the program\nHow often and how we meet",
    "Get to know each other\nMy intake goals\nOur agreement: rhythm and confidentiality",
    "Introductions\nWhere I want to be in six months\nHow we work together",
]
MENTOR_NOTES = {
    "engineering": [
        "{other} undersells their work; encourage them to present it themselves next time.",
        "Seems stretched by the release; ask about workload before adding anything new.",
        "Ask how the conversation with their manager went; {other} was nervous about it.",
        "Good energy today. Suggest the architecture guild next time.",
        "The goal is too big for the time left. Suggest splitting it next time.",
    ],
    "reverse": [
        "{other} is more hands-on than I expected. Next time go straight to trying things.",
        "Don't be shy about telling {other} when a message from leadership sounds out of touch.",
        "Bring the list of tools our team uses; {other} asked twice.",
    ],
    "peer": [
        "{other}'s discovery questions are better than mine: ask for the full list.",
        "Seemed frustrated about the renewal; check in before the call.",
        "Remember to send the proposal template I promised.",
    ],
}
MENTEE_NOTES = {
    "engineering": [
        "Ask {other} about the staff engineer path next time; not ready to raise it with my "
        "manager yet.",
        "I was vague about the deadline; be concrete next time.",
        "Felt much better after this one. Write down the three questions that helped.",
        "I agreed to too much. Pick one next step, not three.",
    ],
    "reverse": [
        "Felt slow today. Practise between meetings so the time goes to questions, not clicks.",
        "{other} was candid about the graduate programme; keep that between us.",
        "Ask {other} which of our internal tools they would drop tomorrow.",
    ],
    "peer": [
        "I talked too much in the role-play, just as on real calls.",
        "Steal {other}'s renewal checklist.",
        "Keep a list of questions during the week so I don't forget them.",
    ],
}
CHANGES_COMMENTS = [
    "Could you say how we'll know it's done? A number or a list of steps would help.",
    "The target is fine, but the due date is after the cohort ends: pick a date before it.",
    "Love the idea. Make the first milestone smaller, so you can tick something off in the "
    "first two weeks.",
    "Let's make it about what you will do yourself rather than what the team will do.",
    "Why does this matter for you now? Add a sentence on where it takes you.",
]
AGREE_COMMENTS = [
    "Agreed: a good, measurable target.",
    "Agreed. Let's look at the numbers every other meeting.",
    "Agreed. Ambitious but doable.",
]
PAUSE_COMMENTS = [
    "Parked until the release is out; I'll pick it up again afterwards.",
    "On hold while our team is reorganised; the project has no one on it right now.",
    "Pausing for my two weeks of leave.",
]
DROP_COMMENTS = [
    "The team moved off this work, so the goal no longer makes sense.",
    "Dropped: my manager and I agreed another priority for this half.",
    "Replaced by a smaller goal we agreed instead.",
]
MENTEE_EXPECTATIONS = {
    "engineering": [
        "Honest feedback on my work and my plans. I'll bring an agenda and write the check-in "
        "the same day.",
        "Help with {topics}. I'll come prepared and follow up on what we agree.",
        "A sounding board for decisions about my career, and a push when I get comfortable.",
    ],
    "reverse": [
        "Show me how you really work, not the polished version. I'll try things between "
        "meetings and bring questions.",
        "Help with {topics}. Tell me when I am out of touch.",
    ],
    "peer": [
        "Real deals and real calls, including the ones that went badly. Help with {topics}.",
        "Straight feedback on my calls, and ideas I can try the same week.",
    ],
}
MENTOR_EXPECTATIONS = {
    "engineering": [
        "Straight feedback, also when it is uncomfortable. I review check-ins within a few days "
        "and say early when I can't make a meeting.",
        "I share what worked for me and what did not, and point you to people who know more "
        "than I do.",
    ],
    "reverse": [
        "Time to try things hands-on rather than talking about them. In return, honest career "
        "advice.",
        "Patience with basic questions in both directions, and no slides.",
    ],
    "peer": [
        "Equal give and take: I bring my calls too. Feedback within a day when it's urgent.",
        "Honest feedback on my deals as well; I am here to learn too.",
    ],
}
OTHERS_GOAL_TALK = [
    "We went through where {owner} is with “{title}” and what is in the way.",
    "{owner} updated me on “{title}”; I shared what worked for me.",
]
METRIC_NOTES = [
    "Now at {value} {unit}.",
    "{value} {unit} over the last two weeks.",
    "From {previous} to {value}. Slower than I hoped, because of the release.",
    "From {previous} to {value}: the change is working.",
]
MILESTONE_NOTES = [
    "Done: {milestone}.",
    "Ticked off “{milestone}”; next is “{next}”.",
    "{milestone}: done, a few days later than planned.",
]
OFFICE_ROOMS = {
    "Berlin": ["Berlin office, room 4.07", "Berlin office, meeting room Spree", "Berlin café, 2F"],
    "London": ["London office, room 3", "London office, the library"],
    "New York": ["New York office, room 12B", "New York office, 5th-floor lounge"],
    "Toronto": ["Toronto office, room Maple", "Toronto office, kitchen table by the window"],
}
USEFULNESS = [1, 2, 3, 4, 5]
USEFULNESS_WEIGHTS = [1, 3, 16, 42, 38]


def program_texts(program: Program) -> str:
    if program.kind == Program.Kind.REVERSE:
        return "reverse"
    if program.kind == Program.Kind.PEER:
        return "peer"
    return "engineering"


def cadence_words(days: int) -> str:
    return {7: "week", 14: "two weeks", 21: "three weeks", 28: "four weeks"}.get(
        days, f"{days} days"
    )


def and_list(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def figure(value: Decimal | None) -> str:
    """4.00 -> "4", 2.50 -> "2.5"."""
    if value is None:
        return ""
    return f"{value.normalize():f}"


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


# --- The people of a pair and the plan of its history -------------------------------------------


@dataclass
class Person:
    enrollment: Enrollment
    first: str
    zone: ZoneInfo
    office: str  # the office they work from, "" when remote

    @property
    def user(self):
        return self.enrollment.person

    @property
    def zone_name(self) -> str:
        return self.zone.key


def person_of(enrollment: Enrollment) -> Person:
    user = enrollment.person
    name = user.timezone if user.timezone in zone_names() else settings.TIME_ZONE
    office = user.location if user.location in OFFICE_ROOMS else ""
    return Person(
        enrollment=enrollment,
        first=user.first_name or user.email.split("@")[0].title(),
        zone=ZoneInfo(name or "UTC"),
        office=office,
    )


@dataclass
class Scenario:
    """Where a running pair stands today, as the plan for its history.

    ``last``: days since the last meeting (a range; None: never met); ``next``: days until the
    booked meeting (None: nothing booked); ``last_check_in``: reviewed / fresh (written in the
    last day or two, not reviewed yet) / waiting (unreviewed for days) / missing.
    """

    state: str
    variant: str
    last: tuple[int, int] | None
    next: tuple[int, int] | None = None
    last_check_in: str = "reviewed"
    overdue_milestone: bool = False

    @property
    def clean(self) -> bool:
        """Nothing else may make the pair due: every earlier check-in written and reviewed,
        no milestone of an agreed goal overdue."""
        return self.state in (Health.ON_TRACK, Health.DUE)


def scenario(state: str, variant: str, cadence: int, rng: random.Random, days_in: int):
    """The plan for one variant of a health state, for a pair ``days_in`` days into its cohort
    (the ranges keep the state whatever day within them is drawn)."""
    c = cadence
    if variant in ("booked", "milestone"):
        lo = rng.randint(3, max(3, c - 6))
        return Scenario(
            state,
            variant,
            (lo, lo + 2),
            next=(2, max(2, min(10, 2 * c - 5 - lo))),
            overdue_milestone=variant == "milestone",
        )
    if variant == "fresh":
        return Scenario(state, variant, (2, max(2, min(5, c - 4))), last_check_in="fresh")
    if variant == "soon":
        return Scenario(state, variant, (max(1, c - 2), c))
    if variant == "review":
        return Scenario(state, variant, (6, max(6, c - 4)), next=(2, 8), last_check_in="waiting")
    if variant == "missing":
        booked = (3, 9) if rng.random() < 0.5 else None
        return Scenario(state, variant, (3, 6), next=booked, last_check_in="missing")
    if variant == "plain":
        return Scenario(state, variant, (c + 3, min(2 * c, c + 7)))
    if variant == "late":
        lo = rng.randint(c + 2, c + 4)
        return Scenario(state, variant, (lo, lo + 2), next=(2 * c + 3 - lo, 2 * c + 6 - lo))
    if variant == "lapsed" and days_in - 3 >= 2 * c + 4:
        return Scenario(state, variant, (2 * c + 4, min(2 * c + 18, days_in - 3)))
    return Scenario(state, "never", None)


STATE_SHARES = [
    (Health.ON_TRACK, 0.4, ["booked", "fresh", "booked"]),
    (Health.DUE, 0.25, ["soon", "review", "missing", "milestone"]),
    (Health.OVERDUE, 0.175, ["plain", "late"]),
    (Health.INACTIVE, 0.175, ["lapsed", "never"]),
]

# Goals of a running pair by final status (":kind" picks how it is measured), handed out in turn.
GOAL_SETS = [
    ("agreed:metric", "agreed:milestones"),
    ("agreed:milestones", "proposed"),
    ("agreed:metric", "changes"),
    ("agreed:milestones", "draft"),
    ("agreed:metric", "paused", "agreed:milestones"),
    ("achieved:milestones", "agreed:metric"),
    ("agreed:milestones", "agreed:metric", "dropped"),
    ("agreed",),
]


def health_plan(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(state, variant) for ``count`` pairs: every state, in shares, largest remainder first."""
    raw = [(state, share * count, variants) for state, share, variants in STATE_SHARES]
    quotas = {state: int(n) for state, n, _ in raw}
    if count >= len(raw):
        for state, _, _ in raw:
            quotas[state] = max(1, quotas[state])
    by_remainder = sorted(raw, key=lambda r: r[1] - int(r[1]), reverse=True)
    i = 0
    while sum(quotas.values()) < count:
        quotas[by_remainder[i % len(raw)][0]] += 1
        i += 1
    while sum(quotas.values()) > count:
        biggest = max(quotas, key=quotas.get)
        quotas[biggest] -= 1
    plan = [
        (state, variants[k % len(variants)])
        for state, _, variants in raw
        for k in range(quotas[state])
    ]
    rng.shuffle(plan)
    return plan


# --- Writing one pair ---------------------------------------------------------------------------


@dataclass
class Visit:
    """A held meeting with its check-in (if written) and what the check-in says about goals."""

    meeting: Meeting
    check_in: CheckIn | None = None
    author: Person | None = None
    talk: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    first: bool = False


@dataclass
class GoalPlan:
    idea: Idea
    owner: Person
    other: Person
    final: str
    goal: Goal
    milestones: list[Milestone] = field(default_factory=list)


class Pair:
    """One pair being written: its people, clock, random draws and rows."""

    def __init__(self, seeder: Seeder, match: Match, rng: random.Random) -> None:
        self.seeder = seeder
        self.match = match
        self.rng = rng
        self.cohort = match.cohort
        self.texts = program_texts(match.cohort.program)
        self.peer = match.cohort.program.is_peer
        self.mentee = person_of(match.mentee)
        self.mentor = person_of(match.mentor)
        self.start = match.published_at or seeder.at(self.cohort.starts_on, time(9))
        self.until = match.ended_at if match.status == Match.Status.ENDED else seeder.now
        self.until = min(self.until, seeder.now)
        self.cadence = self.cohort.cadence_days
        self.formats: list[str] = [Mode.VIDEO]
        self.visits: list[Visit] = []
        self.meetings: list[Meeting] = []
        self.goals: list[GoalPlan] = []
        self.used: set[str] = set()

    # Clock -------------------------------------------------------------------------------------

    def other(self, person: Person) -> Person:
        return self.mentor if person is self.mentee else self.mentee

    def clamp(self, moment: datetime) -> datetime:
        """Never after today's now (or the pair's end)."""
        return min(moment, self.until - timedelta(minutes=20))

    def awake(self, moment: datetime, person: Person) -> datetime:
        """Move a moment at night in the person's time zone to the next morning."""
        local = moment.astimezone(person.zone)
        if 7 <= local.hour < 22:
            return moment
        day = local.date() + timedelta(days=1 if local.hour >= 22 else 0)
        return datetime.combine(
            day, time(self.rng.randint(7, 9), self.rng.randint(0, 59)), tzinfo=person.zone
        )

    def later(self, moment: datetime, person: Person, low_hours: float, high_hours: float):
        """A moment a while after another, in waking hours, never in the future."""
        step = timedelta(minutes=self.rng.randint(int(low_hours * 60), int(high_hours * 60)))
        return self.clamp(self.awake(moment + step, person))

    def day_moment(self, day: date, person: Person) -> datetime:
        clock = time(self.rng.randint(8, 18), self.rng.randint(0, 59))
        return datetime.combine(day, clock, tzinfo=person.zone)

    def pick_day(self, low: date, high: date) -> date:
        """A working day between two dates (any day if there is none)."""
        days = [low + timedelta(days=n) for n in range((high - low).days + 1)] or [low]
        return self.rng.choice([d for d in days if is_workday(d)] or days)

    def text(self, template: str, other: Person) -> str:
        return template.format(other=other.first, cadence=cadence_words(self.cadence))

    def fresh_choice(self, options: list[str]) -> str:
        """A text not used yet in this pair when there is one."""
        unused = [o for o in options if o not in self.used] or list(options)
        choice = self.rng.choice(unused)
        self.used.add(choice)
        return choice

    # Agreement ---------------------------------------------------------------------------------

    def agreement(self, confirmed: str, *, revise: bool = False) -> None:
        """Write the agreement: confirmed by "both", "one" side or "none" (not written)."""
        if confirmed == "none":
            return
        rng = self.rng
        cohort_cadence = self.cohort.cadence_days
        cadence = cohort_cadence
        if confirmed == "both" and rng.random() < 0.12 and cohort_cadence == 14:
            cadence = 21
        formats = [Mode.VIDEO]
        if self.mentee.office and self.mentee.office == self.mentor.office:
            formats = [Mode.IN_PERSON, Mode.VIDEO]
        elif rng.random() < 0.3:
            formats = [Mode.VIDEO, Mode.CALL]
        writer = self.mentee if rng.random() < 0.7 else self.mentor
        written = self.clamp(
            self.day_moment(
                (self.start + timedelta(days=rng.randint(1, 6))).astimezone(writer.zone).date(),
                writer,
            )
        )
        revision = self.revision(1, writer, written, cadence, formats, both=confirmed == "both")
        if revise and confirmed == "both":
            second = self.rng.choice([self.mentee, self.mentor])
            at = self.clamp(written + timedelta(days=rng.randint(25, 60)))
            if at > revision.mentor_confirmed_at and at > revision.mentee_confirmed_at:
                more = [*formats, Mode.CALL] if Mode.CALL not in formats else formats
                self.revision(2, second, at, cadence, more, both=True)
        if confirmed == "both":
            self.cadence = cadence
        self.formats = formats

    def revision(self, number, writer, at, cadence, formats, *, both, texts=None):
        rng = self.rng
        topics = [t.name.lower() for t in self.mentee.enrollment.topics_sought.all()][:2]
        mentee_text, mentor_text = texts or (
            rng.choice(MENTEE_EXPECTATIONS[self.texts]).format(
                topics=and_list(topics) or "my goals"
            ),
            rng.choice(MENTOR_EXPECTATIONS[self.texts]),
        )
        confirmed_by_other = self.later(at, self.other(writer), 2, 60) if both else None
        revision = AgreementRevision(
            match=self.match,
            number=number,
            cadence_days=cadence,
            formats=list(formats),
            confidentiality=DEFAULT_CONFIDENTIALITY,
            mentee_expectations=mentee_text,
            mentor_expectations=mentor_text,
            created_by=writer.user,
            created_at=at,
            mentee_confirmed_at=at if writer is self.mentee else confirmed_by_other,
            mentor_confirmed_at=at if writer is self.mentor else confirmed_by_other,
        )
        self.seeder.agreements.append(revision)
        return revision

    # Meetings ----------------------------------------------------------------------------------

    def meeting(
        self,
        day: date,
        *,
        organizer: Person | None = None,
        mode: str | None = None,
        agenda: str | None = None,
        cancelled: bool = False,
    ) -> Meeting:
        rng = self.rng
        organizer = organizer or (self.mentee if rng.random() < 0.65 else self.mentor)
        other = self.other(organizer)
        starts_at = self.seeder.meeting_start(day, organizer, other, rng)
        if mode is None:
            mode = rng.choice(self.formats)
            if mode == Mode.IN_PERSON and not (
                organizer.office and organizer.office == other.office
            ):
                mode = Mode.VIDEO
        location, video_url = "", ""
        if mode == Mode.IN_PERSON:
            location = rng.choice(OFFICE_ROOMS[organizer.office])
        elif mode == Mode.VIDEO:
            code = "".join(rng.choice("abcdefghijkmnopqrstuvwxyz") for _ in range(10))
            video_url = f"https://meet.example.com/{code[:3]}-{code[3:7]}-{code[7:]}"
        else:
            location = f"Phone: {organizer.first} calls {other.first}"
        created = starts_at - timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 6))
        created = max(created, self.start + timedelta(hours=1))
        created = min(self.awake(created, organizer), self.seeder.now - timedelta(hours=1))
        sequence = 1 if cancelled or rng.random() < 0.15 else 0
        meeting = Meeting(
            match=self.match,
            organizer=organizer.user,
            starts_at=starts_at,
            timezone=organizer.zone_name,
            duration_minutes=rng.choices([30, 45, 60], weights=[3, 5, 3])[0],
            mode=mode,
            location=location,
            video_url=video_url,
            agenda=agenda if agenda is not None else "",
            uid=uuid.UUID(int=rng.getrandbits(128), version=4),
            sequence=sequence,
            status=Meeting.Status.CANCELLED if cancelled else Meeting.Status.SCHEDULED,
            created_at=created,
        )
        if cancelled:
            by = rng.choice([self.mentee, self.mentor])
            meeting.cancelled_by = by.user
            meeting.cancelled_at = min(
                max(created + timedelta(hours=1), starts_at - timedelta(hours=rng.randint(3, 40))),
                self.seeder.now - timedelta(minutes=30),
            )
        self.seeder.meetings.append(meeting)
        self.meetings.append(meeting)
        return meeting

    def hold(self, days: list[date]) -> None:
        for n, day in enumerate(sorted(days)):
            meeting = self.meeting(day)
            self.visits.append(Visit(meeting=meeting, first=n == 0))

    def write_check_ins(self, *, rate: float = 1.0, reviewed_rate: float = 1.0, last="reviewed"):
        """A check-in for each held meeting (each with chance ``rate``), reviewed with chance
        ``reviewed_rate``; the last meeting's follows ``last``: reviewed, fresh (written in the
        last day or two, not reviewed yet), waiting (unreviewed for days) or missing."""
        rng = self.rng
        for n, visit in enumerate(self.visits):
            is_last = n == len(self.visits) - 1
            if (is_last and last == "missing") or (not is_last and rng.random() > rate):
                continue
            author = self.mentor if self.peer and rng.random() < 0.3 else self.mentee
            ends = visit.meeting.ends_at
            if is_last and last == "fresh":
                submitted = self.seeder.now - timedelta(minutes=rng.randint(6 * 60, 40 * 60))
                submitted = max(submitted, ends + timedelta(minutes=40))
            else:
                submitted = self.later(ends, author, 0.3, 28)
            if submitted <= ends:
                continue  # the pair ended before anyone wrote it
            self.check_in(visit, author, submitted)
            if (is_last and last in ("fresh", "waiting")) or rng.random() > reviewed_rate:
                continue
            self.review(visit, self.later(submitted, self.other(author), 3, 96))

    def check_in(self, visit: Visit, author: Person, submitted: datetime, usefulness=None):
        visit.check_in = CheckIn(
            meeting=visit.meeting,
            match=self.match,
            author=author.user,
            discussed="",
            usefulness=usefulness or self.rng.choices(USEFULNESS, weights=USEFULNESS_WEIGHTS)[0],
            submitted_at=submitted,
        )
        visit.author = author
        self.seeder.check_ins.append(visit.check_in)

    def review(self, visit: Visit, at: datetime, comment: str = "") -> None:
        check_in = visit.check_in
        if at <= check_in.submitted_at:
            return
        reviewer = self.other(visit.author)
        check_in.reviewed_at, check_in.reviewed_by = at, reviewer.user
        check_in.review_comment = comment  # written with the other texts when empty

    def note(self, meeting: Meeting, author: Person, text: str) -> None:
        note = PrivateNote(meeting=meeting, author=author.user, text=text)
        written = self.clamp(meeting.ends_at + timedelta(minutes=self.rng.randint(5, 300)))
        self.seeder.notes.append((note, written))

    # Goals -------------------------------------------------------------------------------------

    def idea_for(self, owner: Person, kind: str | None, taken: set[str]) -> Idea:
        """An idea for the owner's goal: from the topics they seek first, one per topic, not
        one the pair has (``taken`` holds the titles and topics used)."""
        bank = IDEAS[self.texts]
        sought = [t.name for t in owner.enrollment.topics_sought.all() if t.name in bank]
        others = [t for t in bank if t not in sought]
        self.rng.shuffle(others)
        candidates = [
            (topic, idea)
            for topic in [*sought, *others]
            if topic not in taken
            for idea in bank[topic]
            if idea.title not in taken
        ]
        fitting = [c for c in candidates if kind is None or c[1].measure_kind == kind]
        topic, idea = (fitting or candidates)[0]
        taken.update({topic, idea.title})
        return idea

    def event(self, plan: GoalPlan, actor: Person, at: datetime, kind: str, **fields) -> None:
        refs = fields.pop("refs", {})
        event = GoalEvent(goal=plan.goal, actor=actor.user, at=at, kind=kind, **fields)
        self.seeder.events.append((event, refs))

    def new_goal(self, idea: Idea, owner: Person, final: str, created: datetime, due: date):
        """The goal as drafted (with its milestones, due evenly until the goal's date)."""
        metric = idea.measure_kind == METRIC
        goal = Goal(
            match=self.match,
            owner=owner.enrollment,
            template=self.seeder.template(self.cohort.program_id, idea.template),
            title=idea.title,
            description=idea.description,
            measure_kind=idea.measure_kind,
            metric_unit=idea.unit,
            baseline=Decimal(str(idea.baseline)).quantize(CENTS) if metric else None,
            target=Decimal(str(idea.target)).quantize(CENTS) if metric else None,
            relevance=idea.relevance,
            due_on=due,
            status=S.DRAFT,
            created_by=owner.user,
            created_at=created,
        )
        plan = GoalPlan(idea=idea, owner=owner, other=self.other(owner), final=final, goal=goal)
        start = created.date()
        span = max(14, (due - start).days)
        n = len(idea.milestones)
        plan.milestones = [
            Milestone(
                goal=goal,
                title=title,
                position=i,
                due_on=min(due, start + timedelta(days=round(span * (i + 1) / n))),
            )
            for i, title in enumerate(idea.milestones)
        ]
        self.seeder.goals.append(goal)
        self.seeder.milestones.extend(plan.milestones)
        self.goals.append(plan)
        figures = {"measure_kind": idea.measure_kind, "due_on": due.isoformat()}
        if metric:
            figures |= {"baseline": float(goal.baseline), "target": float(goal.target)}
        else:
            figures["milestones_total"] = n
        self.event(plan, owner, created, GoalEvent.Kind.CREATED, to_status=S.DRAFT, data=figures)
        return plan

    def move(self, plan: GoalPlan, actor: Person, at: datetime, to: str, kind: str, comment=""):
        goal = plan.goal
        self.event(plan, actor, at, kind, from_status=goal.status, to_status=to, comment=comment)
        if to == S.AGREED and goal.status == S.PROPOSED:
            goal.agreed_at = at
        if to == S.ACHIEVED:
            goal.achieved_at = at
        goal.status = to

    def agree(self, plan: GoalPlan, created: datetime, *, changes: bool) -> datetime:
        """Sent, possibly sent back with a comment and sent again, then agreed: when."""
        rng, owner, other = self.rng, plan.owner, plan.other
        at = self.later(created, owner, 0.5, 40)
        self.move(plan, owner, at, S.PROPOSED, GoalEvent.Kind.PROPOSED)
        if changes:
            at = self.later(at, other, 4, 48)
            comment = rng.choice(CHANGES_COMMENTS)
            self.move(
                plan, other, at, S.CHANGES_REQUESTED, GoalEvent.Kind.CHANGES_REQUESTED, comment
            )
            if plan.final == S.CHANGES_REQUESTED:
                return at
            at = self.later(at, owner, 4, 48)
            self.move(plan, owner, at, S.PROPOSED, GoalEvent.Kind.PROPOSED)
        if plan.final == S.PROPOSED:
            return at
        at = self.later(at, other, 3, 60)
        comment = rng.choice(AGREE_COMMENTS) if rng.random() < 0.3 else ""
        self.move(plan, other, at, S.AGREED, GoalEvent.Kind.AGREED, comment)
        return at

    def goal(self, idea: Idea, owner: Person, final: str, created: datetime, due: date):
        """A goal's life from its draft to its final status, with progress at check-ins."""
        plan = self.new_goal(idea, owner, final, created, due)
        if final == S.DRAFT:
            return plan
        changes = final == S.CHANGES_REQUESTED or self.rng.random() < 0.3
        agreed = self.agree(plan, created, changes=changes)
        if final not in (S.PROPOSED, S.CHANGES_REQUESTED):
            self.progress(plan, after=agreed)
        return plan

    def progress(self, plan: GoalPlan, *, after: datetime) -> None:
        """Progress recorded with the check-ins after the goal was agreed, then its final
        status: achieved when the target is reached, paused or dropped part way."""
        rng, goal = self.rng, plan.goal
        visits = [
            v
            for v in self.visits
            if v.check_in and v.check_in.submitted_at > after + timedelta(hours=1)
        ]
        ended = self.match.status == Match.Status.ENDED
        if plan.final == S.ACHIEVED and len(visits) < 2 and not ended:
            plan.final = S.AGREED  # too soon to have reached it
        final = plan.final
        if final == S.ACHIEVED:
            stop = len(visits) - 1
            if ended and visits:
                stop = rng.randint(len(visits) // 2, len(visits) - 1)
            share = 1.0
        elif final in (S.PAUSED, S.DROPPED):
            stop = rng.randint(0, len(visits) - 1) if visits else -1
            share = rng.uniform(0.2, 0.5) if final == S.PAUSED else rng.uniform(0.05, 0.3)
        else:
            stop = len(visits) - 1
            share = rng.uniform(0.5, 0.9) if ended else rng.uniform(0.25, 0.75)
        steps = [v for n, v in enumerate(visits) if n <= stop and (n == stop or rng.random() < 0.8)]
        for k, visit in enumerate(steps):
            fraction = share * ((k + 1) / len(steps)) ** 0.9
            if final == S.ACHIEVED and k == len(steps) - 1:
                fraction = 1.0
            at = visit.check_in.submitted_at + timedelta(seconds=len(self.goals) + k)
            if goal.measure_kind == METRIC:
                recorded = self.record_value(plan, visit, self.value(plan, fraction), at)
            else:
                total = len(plan.milestones)
                done = sum(1 for m in plan.milestones if m.done_at)
                ticked = plan.milestones[done : min(total, int(fraction * total + 1e-9))]
                if ticked and rng.random() < 0.35:
                    # Ticked on the pair page straight after the meeting, not with the check-in.
                    moment = visit.meeting.ends_at + timedelta(minutes=rng.randint(5, 60))
                    for m in ticked:
                        moment += timedelta(minutes=1)
                        self.tick(plan, m, visit.author, moment)
                    recorded = True
                else:
                    recorded = self.record_ticks(plan, visit, ticked, at)
            if recorded:
                visit.talk.append(self.goal_talk(plan, visit))
                if rng.random() < 0.6 and plan.idea.steps and visit.author is plan.owner:
                    visit.steps.append(
                        self.text(rng.choice(plan.idea.steps), self.other(visit.author))
                    )
        if final == S.AGREED:
            return
        last = steps[-1].check_in.submitted_at if steps else after
        at = self.later(last, plan.owner, 0.2, 1.5 if final == S.ACHIEVED else 96)
        at = max(at, last + timedelta(minutes=1))
        if final == S.ACHIEVED:
            self.finish(plan, at)
            self.move(plan, plan.owner, at, S.ACHIEVED, GoalEvent.Kind.STATUS)
        else:
            comments = PAUSE_COMMENTS if final == S.PAUSED else DROP_COMMENTS
            self.move(plan, plan.owner, at, final, GoalEvent.Kind.STATUS, rng.choice(comments))

    def finish(self, plan: GoalPlan, at: datetime) -> None:
        """Before a goal is marked achieved: its target reached, every milestone ticked."""
        goal = plan.goal
        if goal.measure_kind == METRIC and goal.current_value != goal.target:
            self.record_value(plan, None, goal.target, at - timedelta(seconds=55))
        for n, m in enumerate(m for m in plan.milestones if m.done_at is None):
            self.tick(plan, m, plan.owner, at - timedelta(seconds=50 - n))

    def record_value(self, plan, visit: Visit | None, value: Decimal, at, note: str = "") -> bool:
        """A new value of a metric goal (with a check-in, or on its own when ``visit`` is None)."""
        goal = plan.goal
        previous = goal.current_value if goal.current_value is not None else goal.baseline
        if value == previous and value != goal.target:
            return False
        author = visit.author if visit else plan.owner
        percent = metric_percent(goal, value)
        note = note or self.rng.choice(METRIC_NOTES).format(
            value=figure(value), unit=goal.metric_unit, previous=figure(previous)
        )
        check_in = visit.check_in if visit else None
        update = ProgressUpdate(
            goal=goal,
            check_in=check_in,
            author=author.user,
            created_at=at,
            value=value,
            percent=percent,
            note=note,
        )
        goal.current_value = value
        self.seeder.updates.append(update)
        refs = {"progress_update": update} | ({"check_in": check_in} if check_in else {})
        data = {"percent": percent, "value": float(value)}
        self.event(plan, author, at, GoalEvent.Kind.PROGRESS, data=data, refs=refs)
        return True

    def record_ticks(self, plan, visit: Visit, ticked: list[Milestone], at, note="") -> bool:
        """Milestones ticked with a check-in: a progress update with the new count."""
        if not ticked:
            return False
        for m in ticked:
            m.done_at, m.done_by = at, visit.author.user
        total = len(plan.milestones)
        done = sum(1 for m in plan.milestones if m.done_at)
        following = plan.milestones[done].title if done < total else "the end"
        note = note or self.rng.choice(MILESTONE_NOTES).format(
            milestone=ticked[-1].title, next=following
        )
        percent = done * 100 // total
        update = ProgressUpdate(
            goal=plan.goal,
            check_in=visit.check_in,
            author=visit.author.user,
            created_at=at,
            milestones_done=done,
            percent=percent,
            note=note,
        )
        self.seeder.updates.append(update)
        data = {"percent": percent, "milestones_done": done, "milestones_total": total}
        refs = {"progress_update": update, "check_in": visit.check_in, "milestones_ticked": ticked}
        self.event(plan, visit.author, at, GoalEvent.Kind.PROGRESS, data=data, refs=refs)
        return True

    def tick(self, plan: GoalPlan, milestone: Milestone, by: Person, at: datetime) -> None:
        """A milestone ticked on its own (not with a check-in)."""
        at = self.clamp(at)
        milestone.done_at, milestone.done_by = at, by.user
        total = len(plan.milestones)
        done = sum(1 for m in plan.milestones if m.done_at)
        data = {
            "done": True,
            "milestones_done": done,
            "milestones_total": total,
            "percent": done * 100 // total,
        }
        refs = {"milestone": milestone}
        self.event(plan, by, at, GoalEvent.Kind.MILESTONE_DONE, data=data, refs=refs)

    def value(self, plan: GoalPlan, fraction: float) -> Decimal:
        goal = plan.goal
        raw = goal.baseline + (goal.target - goal.baseline) * Decimal(str(round(fraction, 4)))
        step = Decimal(1).scaleb(-plan.idea.decimals)
        return ((raw / step).quantize(Decimal(1)) * step).quantize(CENTS)

    def goal_talk(self, plan: GoalPlan, visit: Visit) -> str:
        """What the check-in says about a goal: in the owner's words when they write it."""
        if visit.author is not plan.owner:
            line = self.rng.choice(OTHERS_GOAL_TALK)
            return line.format(owner=plan.owner.first, title=plan.goal.title)
        talk = list(plan.idea.talk) or [f"We talked about my progress on “{plan.goal.title}”."]
        return self.text(self.fresh_choice(talk), self.other(visit.author))

    def keep_milestones_ahead(self, *, overdue: bool) -> None:
        """Open milestones of agreed goals fall due from next week on (none overdue); with
        ``overdue`` the first open one is a few days late."""
        today = self.seeder.today
        flagged = False
        for plan in self.goals:
            if plan.goal.status != S.AGREED or not plan.milestones:
                continue
            open_ = [m for m in plan.milestones if m.done_at is None]
            for n, m in enumerate(open_):
                if m.due_on <= today + timedelta(days=2):
                    m.due_on = today + timedelta(days=7 + 9 * n + self.rng.randint(0, 4))
            if overdue and open_ and not flagged:
                open_[0].due_on = today - timedelta(days=self.rng.randint(3, 9))
                flagged = True
            latest = max(m.due_on for m in plan.milestones)
            plan.goal.due_on = min(max(plan.goal.due_on, latest), self.cohort.ends_on)
            for m in plan.milestones:
                m.due_on = min(m.due_on, plan.goal.due_on)

    # Texts of check-ins, agendas and notes -----------------------------------------------------

    def write_texts(self) -> None:
        """Agendas, check-in texts, reviews and a few private notes, from what happened."""
        rng = self.rng
        for visit in self.visits:
            meeting, check_in = visit.meeting, visit.check_in
            if not meeting.agenda and (visit.first or rng.random() < 0.9):
                meeting.agenda = self.agenda(meeting, first=visit.first)
            if check_in is None:
                continue
            other = self.other(visit.author)
            talk = list(visit.talk)
            agreed = [
                p
                for p in self.goals
                if p.goal.agreed_at
                and p.goal.agreed_at < meeting.starts_at
                and p.goal.achieved_at is None
            ]
            if not talk and agreed and rng.random() < 0.6:
                talk.append(self.goal_talk(rng.choice(agreed), visit))
            if visit.first:
                talk.insert(0, self.text(rng.choice(FIRST_TALK[self.texts]), other))
            if not talk or rng.random() < 0.55:
                talk.append(self.text(self.fresh_choice(TALK[self.texts]), other))
            steps = list(dict.fromkeys(visit.steps))[:2]
            if not steps or rng.random() < 0.4:
                steps.append(self.text(rng.choice(STEPS[self.texts]), other))
            check_in.discussed = " ".join(talk[:3])
            check_in.next_steps = "\n".join(steps)
            if check_in.reviewed_at and not check_in.review_comment:
                review = self.fresh_choice(REVIEWS[self.texts])
                check_in.review_comment = self.text(review, visit.author)
            if rng.random() < 0.07:
                text = rng.choice(MENTOR_NOTES[self.texts])
                self.note(meeting, self.mentor, self.text(text, self.mentee))
            if rng.random() < 0.05:
                text = rng.choice(MENTEE_NOTES[self.texts])
                self.note(meeting, self.mentee, self.text(text, self.mentor))
        for meeting in self.meetings:
            future = meeting.starts_at > self.seeder.now
            if not meeting.agenda and (future or meeting.status == Meeting.Status.CANCELLED):
                meeting.agenda = self.agenda(meeting, first=not self.visits)

    def agenda(self, meeting: Meeting, *, first: bool) -> str:
        rng = self.rng
        if first:
            return rng.choice(FIRST_AGENDAS)
        booked = meeting.created_at
        agreed = [
            p.goal.title for p in self.goals if p.goal.agreed_at and p.goal.agreed_at < booked
        ]
        new = [
            p.goal.title
            for p in self.goals
            if p.goal.created_at < booked and not (p.goal.agreed_at and p.goal.agreed_at < booked)
        ]
        lines = [rng.choice(AGENDA_OPENERS)]
        lines += [f"Progress on: {t}" for t in rng.sample(agreed, min(2, len(agreed)))]
        lines += [f"New goal to talk through: {t}" for t in new[:1]]
        if len(lines) == 1 or rng.random() < 0.5:
            lines.append(rng.choice(AGENDA_TOPICS[self.texts]))
        if rng.random() < 0.5:
            lines.append(rng.choice(AGENDA_CLOSERS))
        return "\n".join(lines)


CENTS = Decimal("0.01")


def metric_percent(goal: Goal, value: Decimal) -> int | None:
    """As ``Goal.metric_percent`` for a value not stored yet."""
    span = goal.target - goal.baseline
    if not span:
        return None
    share = (value - goal.baseline) / span
    return int(max(Decimal(0), min(Decimal(1), share)) * 100)


def is_workday(day: date) -> bool:
    """Monday to Friday, outside the days between Christmas Eve and New Year's Day."""
    holidays = (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1)
    return day.weekday() < 5 and not holidays


def weekday_before(day: date) -> date:
    """The working day on or before ``day``."""
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


# --- The demo logins' pair ----------------------------------------------------------------------

DEMO_DESIGN = Idea(
    "Own the design of the webhook retry service end to end",
    "Our payment webhooks are retried by a cron job nobody owns. My lead agreed I design its "
    "replacement: write the design doc, take it through the architecture review and ship it.",
    "Designing a service rather than single features is what the next level expects, and it "
    "is the gap my manager named in my last review.",
    (
        "Agree the scope with my lead",
        "Write the design doc, with the alternatives I rejected",
        "Present it at the architecture review",
        "Ship it behind a feature flag",
    ),
)
DEMO_AGENDAS = [
    "Introductions\nWhat I want from the next six months\nHow often and where we meet",
    "Review rounds: my last ten pull requests\nThe retry service: what owning the design means\n"
    "First drafts of my goals",
    "Design doc draft: feedback\nReview rounds: the numbers so far",
    "Dry run for the architecture review\nMy idea for an all-hands talk",
    "How the architecture review went\nAll-hands talk: the outline\n"
    "Review rounds since the description checklist",
]
DEMO_CHECK_INS = [
    (
        "First meeting, in the office. We talked about my first year on the payments team and "
        "what I want from the next six months: fewer review rounds, my first design end to "
        "end, and one day a talk. We agreed to meet every {cadence}, alternating the office "
        "and video.",
        "Draft two goals and send them to {mentor}\n"
        "Count the review rounds on my last ten pull requests",
        5,
        "Great start, {mentee}. Keep the goals small enough to finish in the cohort: the design "
        "work is the big one.",
    ),
    (
        "We looked at my last ten pull requests: 4 review rounds on average, the biggest ones "
        "took 6. {mentor} shared a checklist for descriptions: context, what changed, how to "
        "test it, what to look at first. My lead agreed that I own the design of the webhook "
        "retry service.",
        "Use the description checklist on every pull request\n"
        "Keep pull requests under 400 lines\n"
        "Start the design doc outline",
        4,
        "Nice work getting the retry service. Send me the outline when you have one, even if "
        "it's rough.",
    ),
    (
        "We went through the design doc draft section by section. {mentor} pushed me to write "
        "down the alternatives I rejected (the cron job, the queue's built-in retries) and why. "
        "Review rounds are down to 3 on average.",
        "Add the section on rejected alternatives\n"
        "Book a slot at the architecture review\n"
        "Think about a talk for the all-hands",
        5,
        "The doc reads well now. At the review, start with the failure modes: that's what "
        "they'll ask about first.",
    ),
    (
        "Dry run of the architecture review: {mentor} played the sceptical reviewer and the "
        "question about idempotency keys caught me out. Review rounds are at 2.8 over the last "
        "month. I drafted a goal for an all-hands talk and sent it over.",
        "Add a section on idempotency keys to the doc\n"
        "Present at the architecture review next week\n"
        "Book our next meeting in the office",
        5,
        "",
    ),
]
DEMO_EXPECTATIONS = (
    "Honest feedback on my pull requests and my design work, and help getting ready for a "
    "design review. I'll bring an agenda and write the check-in the same day.",
    "Straight feedback, also when it is uncomfortable. I review check-ins within a few days "
    "and say early when I can't make a meeting.",
    "Straight feedback, also when it is uncomfortable. I review check-ins within a few days. "
    "When one of us is travelling we switch to a call rather than cancel.",
)
DEMO_NOTES = (
    "{mentee} knows the design well but rushes when challenged. Practise two more hard "
    "questions before the review; suggest the staff engineers' office hours.",
    "Ask {mentor} about the staff engineer path at some point; not ready to raise it with my "
    "manager yet.",
)


# --- Seeding --------------------------------------------------------------------------------------


class Seeder:
    """Holds every row being written, saved in bulk at the end in dependency order."""

    def __init__(self, *, today: date, now: datetime) -> None:
        self.today, self.now = today, now
        self.site = timezone.get_current_timezone()
        self.templates: dict[tuple[int, str], GoalTemplate] = {}
        self.agreements: list[AgreementRevision] = []
        self.goals: list[Goal] = []
        self.milestones: list[Milestone] = []
        self.meetings: list[Meeting] = []
        self.check_ins: list[CheckIn] = []
        self.updates: list[ProgressUpdate] = []
        self.events: list[tuple[GoalEvent, dict]] = []
        self.notes: list[tuple[PrivateNote, datetime]] = []

    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.site)

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.site).date()

    def template(self, program_id: int, title: str) -> GoalTemplate | None:
        return self.templates.get((program_id, title)) if title else None

    def meeting_start(self, day: date, organizer: Person, other: Person, rng) -> datetime:
        """A half hour between 9:00 and 17:00 in the organizer's time zone, on ``day`` as the
        site counts days (so health's days since a meeting are exact), in the other's waking
        hours when there is such a slot."""
        same_day, both_awake = [], []
        for hour in range(9, 17):
            for minute in (0, 30):
                local = datetime.combine(day, time(hour, minute), tzinfo=organizer.zone)
                if self.local_day(local) != day:
                    continue
                same_day.append(local)
                if 8 <= local.astimezone(other.zone).hour < 19:
                    both_awake.append(local)
        return rng.choice(both_awake or same_day or [self.at(day, time(12))])

    def create_templates(self, programs: list[Program]) -> list[GoalTemplate]:
        existing = {
            (t.program_id, t.title): t for t in GoalTemplate.objects.filter(program__in=programs)
        }
        new = []
        for program in programs:
            first = min((c.starts_on for c in program.cohorts.all()), default=self.today)
            created = self.at(first - timedelta(days=45), time(10))  # set up before it began
            for spec in TEMPLATES[program_texts(program)]:
                key = (program.pk, spec.title)
                if key in existing:
                    continue
                existing[key] = GoalTemplate(
                    program=program,
                    title=spec.title,
                    description=spec.description,
                    measure_kind=MILESTONES if spec.milestones else METRIC,
                    metric_unit=spec.unit,
                    relevance_hint=spec.relevance_hint,
                    milestone_titles=list(spec.milestones),
                    created_at=created,
                )
                new.append(existing[key])
        GoalTemplate.objects.bulk_create(new)
        self.templates = existing
        return new

    # Pairs -------------------------------------------------------------------------------------

    def goal_due(self, pair: Pair, created: datetime) -> date:
        ends = pair.cohort.ends_on
        if pair.match.status == Match.Status.ENDED:
            due = created.date() + timedelta(days=pair.rng.randint(70, 160))
        else:
            due = ends - timedelta(days=pair.rng.randint(0, 35))
        return max(created.date() + timedelta(days=21), min(due, ends))

    def ended_pair(self, pair: Pair) -> None:
        """A full history from the start to the end: a meeting every cadence or so, nearly all
        with a check-in the mentor reviewed; most goals achieved."""
        rng = pair.rng
        pair.agreement("both" if rng.random() < 0.93 else "one", revise=rng.random() < 0.2)
        end_day = self.local_day(pair.until)
        day = self.local_day(pair.start) + timedelta(days=rng.randint(2, 8))
        days = []
        while day <= end_day - timedelta(days=3):
            day = pair.pick_day(day - timedelta(days=1), day + timedelta(days=1))
            if is_workday(day) and rng.random() > 0.08:  # now and then one skipped (holidays)
                days.append(day)
            day += timedelta(days=pair.cadence + rng.randint(-3, 3))
        pair.hold(days)
        for visit in pair.visits[1:]:
            if rng.random() < 0.06:  # cancelled, then held a few days later
                moved = visit.meeting.starts_at - timedelta(days=rng.randint(1, 3))
                pair.meeting(weekday_before(self.local_day(moved)), cancelled=True)
        pair.write_check_ins(rate=0.93, reviewed_rate=0.95)
        early = end_day < pair.cohort.ends_on - timedelta(days=14)
        weights = [15, 60, 20, 5] if early else [65, 20, 10, 5]
        anchor = pair.visits[0].meeting.ends_at if pair.visits else pair.start
        taken: set[str] = set()
        for n in range(rng.choice([2, 2, 3])):
            final = rng.choices([S.ACHIEVED, S.AGREED, S.DROPPED, S.PAUSED], weights=weights)[0]
            owner = pair.mentor if pair.peer and n == 1 and rng.random() < 0.5 else pair.mentee
            idea = pair.idea_for(owner, None, taken)
            created = anchor + timedelta(hours=rng.randint(2, 40) + 24 * rng.randint(1, 10) * n)
            created = pair.clamp(pair.awake(created, owner))
            pair.goal(idea, owner, final, created, self.goal_due(pair, created))
        pair.write_texts()

    def running_pair(self, pair: Pair, state: str, variant: str, goal_set: tuple) -> None:
        """A pair whose records put it in ``state`` today (see ``scenario``)."""
        rng, today = pair.rng, self.today
        start_day = self.local_day(pair.start)
        if variant == "never":
            confirmed = rng.choice(["none", "none", "one"])
        else:
            confirmed = rng.choices(["both", "one", "none"], weights=[80, 12, 8])[0]
        pair.agreement(confirmed, revise=rng.random() < 0.15)
        plan = scenario(state, variant, pair.cadence, rng, (today - start_day).days)
        held: list[date] = []
        if plan.last is not None:
            low, high = plan.last
            day = pair.pick_day(today - timedelta(days=high), today - timedelta(days=low))
            while day >= start_day + timedelta(days=2):
                held.append(day)
                day = weekday_before(day - timedelta(days=pair.cadence + rng.randint(-2, 2)))
        pair.hold(held)
        if held and rng.random() < (0.2 if plan.clean else 0.45):
            # A meeting cancelled: moved by a few days, or (pairs falling behind) never rebooked.
            if plan.clean and len(held) > 1:
                moved = pair.visits[-1].meeting.starts_at - timedelta(days=rng.randint(1, 3))
                pair.meeting(weekday_before(self.local_day(moved)), cancelled=True)
            elif not plan.clean:
                gone = weekday_before(max(held) + timedelta(days=pair.cadence))
                if gone < today:
                    pair.meeting(gone, cancelled=True)
        elif not held and rng.random() < 0.5:
            booked = start_day + timedelta(days=rng.randint(5, 12))
            pair.meeting(weekday_before(booked), cancelled=True)
        if plan.next is not None:
            low, high = plan.next
            pair.meeting(pair.pick_day(today + timedelta(days=low), today + timedelta(days=high)))
        pair.write_check_ins(
            rate=1.0 if plan.clean else 0.85,
            reviewed_rate=1.0 if plan.clean else 0.75,
            last=plan.last_check_in,
        )
        if plan.variant == "never":
            goal_set = ("draft",) if rng.random() < 0.6 else ()
        if plan.overdue_milestone:
            goal_set = ("agreed:milestones", "agreed:metric")
        anchor = pair.visits[0].meeting.ends_at if pair.visits else pair.start
        taken: set[str] = set()
        for n, entry in enumerate(goal_set):
            final, _, kind = entry.partition(":")
            last = n == len(goal_set) - 1
            owner = pair.mentor if pair.peer and n and last and rng.random() < 0.5 else pair.mentee
            idea = pair.idea_for(owner, kind or None, taken)
            if final in (S.DRAFT, S.PROPOSED, S.CHANGES_REQUESTED):
                created = self.now - timedelta(days=rng.randint(3, 12), hours=rng.randint(0, 12))
                created = max(created, pair.start + timedelta(hours=20))
            else:
                created = anchor + timedelta(hours=rng.randint(2, 40) + 24 * rng.randint(0, 4) * n)
            created = pair.clamp(pair.awake(created, owner))
            pair.goal(idea, owner, final, created, self.goal_due(pair, created))
        if plan.clean:
            pair.keep_milestones_ahead(overdue=plan.overdue_milestone)
        pair.write_texts()

    def demo_pair(self, pair: Pair) -> None:
        """The demo logins' pair: on track, rich, and with something waiting for each side."""
        today = self.today
        mentee, mentor = pair.mentee, pair.mentor
        cadence = pair.cohort.cadence_days
        names = {"mentee": mentee.first, "mentor": mentor.first, "cadence": cadence_words(cadence)}
        start_day = self.local_day(pair.start)
        together = mentee.office and mentee.office == mentor.office
        in_person = Mode.IN_PERSON if together else Mode.VIDEO
        formats = [Mode.IN_PERSON, Mode.VIDEO] if together else [Mode.VIDEO]

        days = [pair.pick_day(today - timedelta(days=4), today - timedelta(days=2))]
        for _ in range(3):
            days.insert(0, weekday_before(days[0] - timedelta(days=cadence)))
        days = [max(d, start_day + timedelta(days=1)) for d in days]

        pair.revision(
            1,
            mentee,
            pair.clamp(pair.day_moment(start_day + timedelta(days=3), mentee)),
            cadence,
            formats,
            both=True,
            texts=DEMO_EXPECTATIONS[:2],
        )
        pair.revision(
            2,
            mentor,
            pair.clamp(pair.day_moment(days[2] + timedelta(days=1), mentor)),
            cadence,
            [*formats, Mode.CALL],
            both=True,
            texts=(DEMO_EXPECTATIONS[0], DEMO_EXPECTATIONS[2]),
        )
        pair.cadence, pair.formats = cadence, formats

        organizers = [mentee, mentor, mentee, mentee]
        modes = [in_person, Mode.VIDEO, in_person, Mode.VIDEO]
        for n, day in enumerate(days):
            meeting = pair.meeting(day, organizer=organizers[n], mode=modes[n], agenda="")
            meeting.agenda = DEMO_AGENDAS[n]
            pair.visits.append(Visit(meeting=meeting, first=n == 0))
        moved = pair.meeting(
            weekday_before(days[2] - timedelta(days=1)),
            organizer=mentee,
            mode=in_person,
            agenda=DEMO_AGENDAS[2],
            cancelled=True,
        )
        moved.cancelled_by = mentor.user
        soon = today + timedelta(days=5)
        if soon.weekday() >= 5:
            soon = pair.pick_day(today + timedelta(days=4), today + timedelta(days=6))
        pair.meeting(soon, organizer=mentee, mode=in_person, agenda=DEMO_AGENDAS[4])

        for n, visit in enumerate(pair.visits):
            discussed, steps, usefulness, review = DEMO_CHECK_INS[n]
            ends = visit.meeting.ends_at
            if n < 3:
                submitted = pair.later(ends, mentee, 2, 20)
            else:  # written yesterday evening or so: waiting for the mentor, not late yet
                submitted = max(ends + timedelta(hours=2), self.now - timedelta(hours=20))
            pair.check_in(visit, mentee, submitted, usefulness=usefulness)
            visit.check_in.discussed = discussed.format(**names)
            visit.check_in.next_steps = steps.format(**names)
            if review:
                at = pair.later(submitted, mentor, 5, 48)
                pair.review(visit, at, review.format(**names))

        # A number goal agreed after the first meeting, with progress at the last two check-ins.
        rounds = IDEAS["engineering"]["Code review"][0]
        created = pair.later(pair.visits[0].meeting.ends_at, mentee, 20, 26)
        plan = pair.new_goal(rounds, mentee, S.AGREED, created, pair.cohort.ends_on)
        at = pair.later(created, mentee, 0.5, 2)
        pair.move(plan, mentee, at, S.PROPOSED, GoalEvent.Kind.PROPOSED)
        at = pair.later(at, mentor, 10, 30)
        comment = "Agreed. Let's look at the numbers every other meeting."
        pair.move(plan, mentor, at, S.AGREED, GoalEvent.Kind.AGREED, comment)
        notes = [
            "Down from 4 to 3 over my last eight pull requests: the description checklist helps.",
            "2.8 over the last month. Smaller pull requests are the whole trick.",
        ]
        for visit, value, note in zip(pair.visits[2:], ["3.0", "2.8"], notes, strict=True):
            moment = visit.check_in.submitted_at + timedelta(seconds=1)
            pair.record_value(plan, visit, Decimal(value), moment, note=note)

        # A milestone goal sent back once for a change, then agreed: 2 of 4 milestones done.
        created = pair.later(pair.visits[0].meeting.ends_at, mentee, 26, 30)
        design = pair.new_goal(
            DEMO_DESIGN, mentee, S.AGREED, created, pair.cohort.ends_on - timedelta(days=30)
        )
        at = pair.later(created, mentee, 0.5, 2)
        pair.move(design, mentee, at, S.PROPOSED, GoalEvent.Kind.PROPOSED)
        at = pair.later(at, mentor, 6, 20)
        pair.move(
            design,
            mentor,
            at,
            S.CHANGES_REQUESTED,
            GoalEvent.Kind.CHANGES_REQUESTED,
            "Great goal. Add the rollout itself as a milestone: shipping it is what shows the "
            "next level, not only the doc.",
        )
        at = pair.later(at, mentee, 6, 20)
        pair.move(design, mentee, at, S.PROPOSED, GoalEvent.Kind.PROPOSED)
        at = pair.later(at, mentor, 3, 20)
        pair.move(design, mentor, at, S.AGREED, GoalEvent.Kind.AGREED)
        second = pair.visits[1]
        pair.record_ticks(
            design,
            second,
            design.milestones[:1],
            second.check_in.submitted_at + timedelta(seconds=2),
            note="My lead and I agreed the scope: retries, backoff and a dead-letter queue.",
        )
        pair.tick(
            design,
            design.milestones[1],
            mentee,
            pair.later(pair.visits[2].meeting.ends_at, mentee, 30, 50),
        )
        dues = [
            self.local_day(second.meeting.starts_at) + timedelta(days=3),
            self.local_day(pair.visits[2].meeting.starts_at) + timedelta(days=5),
            today + timedelta(days=9),
            pair.cohort.ends_on - timedelta(days=40),
        ]
        for milestone, due in zip(design.milestones, dues, strict=True):
            milestone.due_on = due

        # A talk goal sent yesterday, waiting for the mentor.
        talk = IDEAS["engineering"]["Public speaking"][0]
        created = pair.clamp(pair.visits[3].meeting.ends_at + timedelta(hours=3))
        created = min(created, pair.visits[3].check_in.submitted_at - timedelta(minutes=40))
        plan = pair.new_goal(
            talk, mentee, S.PROPOSED, created, pair.cohort.ends_on - timedelta(days=21)
        )
        pair.move(
            plan, mentee, created + timedelta(minutes=25), S.PROPOSED, GoalEvent.Kind.PROPOSED
        )

        latest = pair.visits[3].meeting
        pair.note(latest, mentor, DEMO_NOTES[0].format(**names))
        pair.note(latest, mentee, DEMO_NOTES[1].format(**names))

    # Saving ------------------------------------------------------------------------------------

    def save(self) -> None:
        AgreementRevision.objects.bulk_create(self.agreements, batch_size=BATCH)
        Goal.objects.bulk_create(self.goals, batch_size=BATCH)
        Milestone.objects.bulk_create(self.milestones, batch_size=BATCH)
        Meeting.objects.bulk_create(self.meetings, batch_size=BATCH)
        CheckIn.objects.bulk_create(self.check_ins, batch_size=BATCH)
        ProgressUpdate.objects.bulk_create(self.updates, batch_size=BATCH)
        events = []
        for event, refs in self.events:
            for key, ref in refs.items():
                event.data[key] = [r.pk for r in ref] if isinstance(ref, list) else ref.pk
            events.append(event)
        # Ids follow time within each goal, as if written one after another.
        events.sort(key=lambda e: (e.goal.pk, e.at))
        GoalEvent.objects.bulk_create(events, batch_size=BATCH)
        notes = [note for note, _ in self.notes]
        PrivateNote.objects.bulk_create(notes, batch_size=BATCH)
        # auto_now stamped today's date on these; they were last changed when written.
        latest = (
            GoalEvent.objects.filter(goal=OuterRef("pk"))
            .order_by()
            .values("goal")
            .annotate(latest=Max("at"))
            .values("latest")
        )
        Goal.objects.filter(pk__in=[g.pk for g in self.goals]).update(
            updated_at=Coalesce(Subquery(latest), F("created_at"))
        )
        Meeting.objects.filter(pk__in=[m.pk for m in self.meetings]).update(
            updated_at=Coalesce(F("cancelled_at"), F("created_at"))
        )
        CheckIn.objects.filter(pk__in=[c.pk for c in self.check_ins]).update(
            updated_at=F("submitted_at")
        )
        for note, written in self.notes:
            note.updated_at = written
        PrivateNote.objects.bulk_update(notes, ["updated_at"], batch_size=BATCH)


BATCH = 500


def seed(*, today: date, command) -> bool:
    """`seed_demo`'s goals part: the pairs' workspaces, unless any goal or meeting exists."""
    if Goal.objects.exists() or Meeting.objects.exists():
        command.stdout.write("The pairs already have goals or meetings: left as they are.")
        return False
    matches = list(
        Match.objects.filter(status__in=[Match.Status.ACTIVE, Match.Status.ENDED])
        .select_related("cohort__program", "mentee__person", "mentor__person")
        .prefetch_related("mentee__topics_sought", "mentor__topics_sought")
        .order_by("cohort__starts_on", "cohort__slug", "mentee__person__email", "pk")
    )
    if not matches:
        command.stdout.write("No published pairs: no workspaces to fill.")
        return False
    seeder = Seeder(today=today, now=timezone.now())
    programs = list(
        Program.objects.filter(pk__in={m.cohort.program_id for m in matches})
        .prefetch_related("cohorts")
        .order_by("slug")
    )
    templates = seeder.create_templates(programs)

    cohorts: dict[int, list[Match]] = {}
    for match in matches:
        cohorts.setdefault(match.cohort_id, []).append(match)
    demo_pair = None
    for group in cohorts.values():
        cohort = group[0].cohort
        rng = random.Random(f"{SEED}:{cohort.slug}")
        running = [m for m in group if m.status == Match.Status.ACTIVE]
        demo = [
            m
            for m in running
            if (m.mentee.person.email, m.mentor.person.email)
            == (DEMO_EMAILS["mentee"], DEMO_EMAILS["mentor"])
        ]
        others = [m for m in running if m not in demo]
        sets = list(GOAL_SETS)
        rng.shuffle(sets)
        for n, (match, (state, variant)) in enumerate(
            zip(others, health_plan(len(others), rng), strict=True)
        ):
            seeder.running_pair(pair_for(seeder, match), state, variant, sets[n % len(sets)])
        for match in demo:
            demo_pair = match
            seeder.demo_pair(pair_for(seeder, match))
        for match in group:
            if match.status == Match.Status.ENDED:
                seeder.ended_pair(pair_for(seeder, match))
    seeder.save()
    # Written in bulk (no signals): pair pages and health cached before are stale.
    bump_on_commit(PAIR_ACTIVITY)
    report(command, seeder, matches, templates, demo_pair)
    return True


def pair_for(seeder: Seeder, match: Match) -> Pair:
    rng = random.Random(f"{SEED}:{match.cohort.slug}:{match.mentee.person.email}")
    return Pair(seeder, match, rng)


def report(command, seeder: Seeder, matches: list[Match], templates, demo_pair) -> None:
    write = command.stdout.write
    write(
        command.style.SUCCESS(
            "Filled the pairs' workspaces (written directly: no emails or calendar invitations "
            "sent):"
        )
    )
    by_program = Counter(t.program.name for t in templates)
    if by_program:
        write(
            "  goal templates: "
            + ", ".join(f"{n} in {name}" for name, n in sorted(by_program.items()))
        )
    now = seeder.now
    meetings = Counter()
    upcoming = Counter()
    for m in seeder.meetings:
        if m.status == Meeting.Status.SCHEDULED:
            (upcoming if m.starts_at > now else meetings)[m.match_id] += 1
    check_ins = Counter(c.match_id for c in seeder.check_ins)
    reviewed = Counter(c.match_id for c in seeder.check_ins if c.reviewed_at)
    goals = Counter(g.match_id for g in seeder.goals)
    achieved = Counter(g.match_id for g in seeder.goals if g.status == S.ACHIEVED)
    cohorts: dict[int, list[Match]] = {}
    for match in matches:
        cohorts.setdefault(match.cohort_id, []).append(match)
    for group in cohorts.values():
        cohort = group[0].cohort
        ids = [m.pk for m in group]

        def total(counter, ids=ids):
            return sum(counter[i] for i in ids)

        active = [m for m in group if m.status == Match.Status.ACTIVE]
        kind = "active pairs" if active else "ended pairs"
        line = (
            f"  {cohort.slug}: {len(group)} {kind}, {total(meetings)} meetings held"
            + (f" and {total(upcoming)} booked" if total(upcoming) else "")
            + f", {total(check_ins)} check-ins ({total(reviewed)} reviewed), "
            f"{total(goals)} goals ({total(achieved)} achieved)"
        )
        write(line)
        if active:
            figures = with_health_figures(
                Match.objects.filter(pk__in=[m.pk for m in active]).select_related("cohort"),
                now=now,
            )
            states = Counter(health_of(m, today=seeder.today).state for m in figures)
            write(
                f"    Pairs by health in {cohort.slug}: "
                + ", ".join(f"{states[h]} {h.label.lower()}" for h in Health)
            )
    if demo_pair is not None:
        figures = with_health_figures(
            Match.objects.filter(pk=demo_pair.pk).select_related("cohort"), now=now
        )
        health = health_of(figures.get(), today=seeder.today)
        booked = sorted(
            m.starts_at for m in seeder.meetings if m.match_id == demo_pair.pk and m.starts_at > now
        )
        line = (
            f"  The demo pair {DEMO_EMAILS['mentee']} + {DEMO_EMAILS['mentor']} "
            f"({demo_pair.cohort.slug}): {health.state.label.lower()}, {goals[demo_pair.pk]} "
            f"goals, {meetings[demo_pair.pk]} meetings held, a check-in waiting for review"
        )
        if booked:
            line += f", next meeting on {booked[0].astimezone(seeder.site):%Y-%m-%d}"
        write(line)
