"""``provisioner serve``: the long-running process of a board (scheduler, bot, health, metrics).

- ``schedule.py``: pure: which scheduled moment is due (cron, time zone, DST, catching up);
- ``leader.py``: one nightly sync at a time across every process and replica (a lease row);
- ``nightly.py``: the nightly job: a full sync, its metrics, then the morning report;
- ``http.py``: ``/healthz``, ``/readyz``, ``/metrics`` and Slack's ``/slack/events``;
- ``app.py``: the process: threads for the schedule and the bot's tick, clean shutdown.
"""
