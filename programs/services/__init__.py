"""Writes for programs, cohorts and enrollments, one module per area; import from the module:

- ``programs.services.enrollment``: intake completeness, inviting people, invitation emails
- ``programs.services.programs``: programs, topics, cohorts; application decisions
- ``programs.services.participation``: applying, intake answers, withdrawing
- ``programs.services.enroll_file``: enrolment CSV files (preview, confirm)
"""
