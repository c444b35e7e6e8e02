"""Writes for the pair's workspace, one module per area; import from the module:

- ``goals.services.goals``: SMART goals, milestones, progress updates, goal templates
"""
