"""Non-trivial reads for the pair's workspace, one module per area; import from the module:

- ``goals.selectors.goals``: a pair's goals with milestone counts and percent
"""
