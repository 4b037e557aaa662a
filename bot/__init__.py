"""The chat bot: offboarding, photo-consent questions and breach reports (Slack and terminal).

It drives the core through its public interfaces only: an offboarding becomes an
``overrides`` row and a sync scoped to that person (``SyncRequest(scope=..., actor=...)``).
"""
