"""What the Slack listeners share about people and replies: who is asking (Slack user ->
verified e-mail -> the engine's asker, cached) and delivery (replies to the asker, notices
as direct messages). Every text goes through :mod:`bot.blocks`, which escapes it for mrkdwn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import fallback_text, reply_blocks
from bot.conversation import Asker, Audience, Notice, Reply
from bot.engine import ChatEngine, Incoming, Outcome

log = logging.getLogger("provisioner.bot.slack")

EMAIL_TTL_SECONDS = 600.0


class SlackFront:
    """What the listeners share: the engine, the e-mail cache and delivery of replies."""

    def __init__(self, engine: ChatEngine, *, email_ttl: float = EMAIL_TTL_SECONDS) -> None:
        self.engine = engine
        self.email_ttl = email_ttl
        self._emails: dict[str, tuple[str | None, float]] = {}
        self._user_ids: dict[str, str] = {}
        self._askers: dict[tuple[str, str | None], tuple[Asker | None, float]] = {}
        self._lock = threading.Lock()

    # -- who is asking ----------------------------------------------------------------------

    def email_of(self, client: WebClient, user_id: str) -> str | None:
        """The verified e-mail address on the Slack profile (``users:read.email``), cached."""
        now = time.monotonic()
        with self._lock:
            cached = self._emails.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("users.info failed for a user: %s", exc.response.get("error"))
            return None
        profile = user.get("profile") or {}
        email: str | None = profile.get("email")
        if user.get("deleted") or user.get("is_bot") or user.get("is_email_confirmed") is False:
            email = None
        with self._lock:
            self._emails[user_id] = (email, now + self.email_ttl)
        return email

    def asker_of(self, who: Incoming) -> Asker | None:
        """The engine's answer to "who is this?", cached as long as the e-mail address."""
        now = time.monotonic()
        key = (who.user, who.email)
        with self._lock:
            cached = self._askers.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        asker = self.engine.resolve(who)
        with self._lock:
            self._askers[key] = (asker, now + self.email_ttl)
        return asker

    def user_id_for(self, client: WebClient, email: str) -> str | None:
        with self._lock:
            known = self._user_ids.get(email.lower())
        if known:
            return known
        try:
            user_id = str(client.users_lookupByEmail(email=email)["user"]["id"])
        except SlackApiError as exc:
            log.warning("users.lookupByEmail failed: %s", exc.response.get("error"))
            return None
        with self._lock:
            self._user_ids[email.lower()] = user_id
        return user_id

    # -- delivery ---------------------------------------------------------------------------

    def to_channel(
        self, client: WebClient, channel: str, outcome: Outcome, user: str, respond: Respond | None
    ) -> None:
        """Replies for the asker: in a DM as messages; elsewhere ephemeral."""
        for reply in outcome.replies:
            blocks = reply_blocks(reply, outcome.flow)
            if channel.startswith("D"):
                client.chat_postMessage(channel=channel, text=fallback_text(reply), blocks=blocks)
            elif respond is not None:
                respond(
                    text=fallback_text(reply),
                    blocks=blocks,
                    response_type="ephemeral" if reply.private else "in_channel",
                    replace_original=False,
                )
            elif reply.private:
                client.chat_postEphemeral(
                    channel=channel, user=user, text=fallback_text(reply), blocks=blocks
                )
            else:
                client.chat_postMessage(channel=channel, text=fallback_text(reply), blocks=blocks)
        self.notify(client, outcome.notices, outcome.flow)

    def direct(self, client: WebClient, user_id: str, reply: Reply, flow: str | None) -> None:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.chat_postMessage(
            channel=channel, text=fallback_text(reply), blocks=reply_blocks(reply, flow)
        )

    def notify(
        self, client: WebClient, notices: tuple[Notice, ...] | list[Notice], flow: str | None
    ) -> int:
        """Notices as direct messages to the people they are for; returns how many messages
        reached someone (what a flow may tell the asker: "the FG has been told")."""
        bot = self.engine.config.bot
        reached = 0
        for notice in notices:
            if notice.audience is Audience.CENTRAL_OFFICE:
                emails = list(bot.central_office)
            elif notice.audience is Audience.PRIVACY_OFFICER:
                emails = list(bot.privacy_officers)
            else:
                person = self.engine.directory.staff(notice.person_key or "")
                emails = [person.email] if person is not None and person.email else []
            if not emails:
                log.warning("a notice for %s has nobody to go to", notice.audience.value)
            for email in emails:
                user_id = self.user_id_for(client, email)
                if user_id is None:
                    log.warning(
                        "a notice for %s: no Slack account for a recipient", notice.audience.value
                    )
                    continue
                try:
                    self.direct(client, user_id, notice.reply, flow)
                    reached += 1
                except SlackApiError as exc:
                    log.warning("a notice could not be sent: %s", exc.response.get("error"))
        return reached

    def deliverer(self, client: WebClient) -> Callable[[Notice, str], int]:
        """What the engine gets as ``deliver``: send one notice now, count who got it."""
        return lambda notice, flow: self.notify(client, [notice], flow)
