"""The conversation corpus: scripted multi-turn conversations with the chat bot, written once
(``defects``, ``interruptions``, ``names_dates``, ``unauthorised``, ``consent_breach``) and run
through the console and through Slack (``drivers``) on a copy of one demo board (``world``).
``tests/test_conversation_corpus.py`` runs them; ``runner`` registers them and names the
product defects they show."""
