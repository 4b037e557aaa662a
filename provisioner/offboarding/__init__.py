"""Offboarding (*uit dienst*) as the board's rules, apart from any front end.

- :mod:`.policy`: who may end which post, the scope and the plan (pure);
- :mod:`.record`: a confirmed offboarding recorded once (the override, its audit, the manual
  tasks);
- :mod:`.runs`: running the sync for the one person once (claimed), failures with a growing
  pause, the scheduler's list of due offboardings, and "everything done" once.

The chat flow (``bot/flows/offboarding.py``) only converses: it asks, shows the plan and
confirms; what the board's rules say and what the store keeps is decided here.
"""
