"""The sections of the board's configuration that are not about syncing: the chat bot and
Slack, photo consent, the schedule, the morning report, ``serve`` and the audit anchors.
:mod:`provisioner.config` puts them together (import them from there)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from provisioner.config_base import BRIN6, Strict, WithSecrets


class SlackConfig(WithSecrets):
    """The Slack app's credentials: each from an environment variable or a file (a mounted
    secret), never from this file, resolved once when the configuration is loaded
    (:class:`WithSecrets`). Unset: the Slack front end is off."""

    secret_names: ClassVar[tuple[str, ...]] = ("bot_token", "signing_secret", "app_token")

    bot_token_env: str = "PROVISIONER_SLACK_BOT_TOKEN"  # xoxb-...
    bot_token_file: Path | None = None
    signing_secret_env: str = "PROVISIONER_SLACK_SIGNING_SECRET"
    signing_secret_file: Path | None = None
    app_token_env: str = Field(
        default="PROVISIONER_SLACK_APP_TOKEN", description="xapp-... token for Socket Mode."
    )
    app_token_file: Path | None = None
    api_url: str = Field(
        default="https://slack.com/api/", description="Slack Web API; a local fake in tests."
    )
    team_id: str | None = Field(
        default=None,
        description="The board's Slack workspace (team) id, T0123ABCD: requests from any "
        "other workspace are refused. Unset: the workspace the bot token belongs to.",
    )


class BotConfig(Strict):
    """The chat bot (offboarding, photo consent, breach reports): who plays which part."""

    slack: SlackConfig = Field(default_factory=SlackConfig)
    central_office: list[str] = Field(
        default_factory=list, description="E-mail addresses of the Stafbureau (HR, ICT)."
    )
    privacy_officers: list[str] = Field(
        default_factory=list,
        description="E-mail addresses of the privacy officer (functionaris gegevensbescherming).",
    )
    manual_portals: list[str] = Field(
        default_factory=lambda: ["Schooldossier (Inspectie)", "Mijn Vensters"],
        description="Portals without an API: access is removed by hand by the central office.",
    )
    rate_limit_per_minute: int = Field(default=20, ge=1, description="Messages per user.")
    conversation_minutes: int = Field(
        default=30, ge=1, description="An unanswered conversation is forgotten after this."
    )
    confirm_minutes: int = Field(
        default=15,
        ge=1,
        description="A plan shown for confirmation (an offboarding) may be confirmed this "
        "long; after that it is shown afresh and must be confirmed again.",
    )
    offboarding_max_attempts: int = Field(
        default=3,
        ge=1,
        description="After this many failed runs of an offboarding the requester and the "
        "central office are told (with the incident id); it keeps being retried.",
    )
    languages: list[Literal["nl", "en"]] = Field(
        default_factory=lambda: ["nl", "en"],  # type: ignore[arg-type]
        description="The first is the default.",
    )


class MediumConfig(Strict):
    """One medium (middel) of the photo-consent catalogue; see docs/consent.md."""

    name: str = Field(description="Canonical name, as the SIS names it: 'website', 'social media'.")
    synonyms: list[str] = Field(
        default_factory=list, description="Other words for it, Dutch and English: 'Instagram'."
    )
    label_nl: str | None = Field(default=None, description="In a sentence: 'de nieuwsbrief'.")
    label_en: str | None = Field(default=None, description="In a sentence: 'the newsletter'.")
    needs_consent: bool = Field(
        default=True, description="False for use in class and the administration photo."
    )


#: How an answer was obtained (:class:`provisioner.domain.models.ConsentMechanism`).
ConsentMechanismName = Literal[
    "opt_in", "opt_out", "pre_ticked", "condition_of_enrolment", "unknown"
]


class ConsentLocationConfig(Strict):
    """A location's own consent settings; unset fields follow the board's."""

    asks_every_year: bool | None = None
    media: list[MediumConfig] | None = None
    default_mechanism: ConsentMechanismName | None = Field(
        default=None, description="How this location's form asked consent; unset: the board's."
    )


class ConsentConfig(Strict):
    """Photo and video consent (toestemming beeldmateriaal): the media and how long answers hold."""

    asks_every_year: bool = Field(
        default=False,
        description="True: only answers of the current school year count (the school asks again"
        " every year). False: an answer holds until it is withdrawn.",
    )
    school_year_start: str = Field(
        default="08-01", description="MM-DD: the first day of a school year (1 August)."
    )
    default_mechanism: ConsentMechanismName | None = Field(
        default=None,
        description="How the board's consent form asked, for answers whose source does not say"
        " (a consent CSV without the column, Somtoday): 'opt_in' when parents and pupils ticked"
        " 'yes' themselves on an empty form. Unset or 'unknown': such answers count as no"
        " (not_valid_consent); `config check` and the morning report say so. docs/consent.md.",
    )
    reminder_due: str = Field(
        default="10-01",
        description="MM-DD: by this day of the school year every location has recorded the"
        " yearly reminder that consent can be changed or withdrawn (`consent reminder`).",
    )
    media: list[MediumConfig] | None = Field(
        default=None, description="The media catalogue; unset: the built-in one."
    )
    locations: dict[str, ConsentLocationConfig] = Field(
        default_factory=dict, description="Per location (BRIN6): its own settings."
    )

    @field_validator("school_year_start", "reminder_due")
    @classmethod
    def _month_day(cls, value: str) -> str:
        import datetime as dt

        try:
            dt.date.fromisoformat(f"2000-{value}")
        except ValueError:
            raise ValueError(f"'{value}' is not a month and day like 08-01") from None
        return value

    @model_validator(mode="after")
    def _catalogues(self) -> ConsentConfig:
        from provisioner.privacy.media import catalogue_from

        for brin6, location in self.locations.items():
            if not BRIN6.match(brin6):
                raise ValueError(f"consent.locations: '{brin6}' is not a BRIN6")
            catalogue_from(location.media)
        catalogue_from(self.media)  # raises on a name listed twice or a synonym of two media
        return self


class ScheduleConfig(Strict):
    """When ``provisioner serve`` runs the nightly sync (nachtelijke synchronisatie)."""

    sync: str = Field(
        default="0 5 * * *",
        description="Cron expression (minute hour day month weekday) in ``timezone``; "
        "'0 5 * * *': every day at 05:00, before the school day and outside the DST hours.",
    )
    timezone: str = Field(default="Europe/Amsterdam", description="IANA zone of ``sync``.")
    catch_up_hours: float = Field(
        default=18,
        ge=0,
        description="A scheduled run missed (the server was down) is run at start when it is "
        "at most this many hours late; an older one waits for the next night.",
    )
    enabled: bool = Field(default=True, description="False: serve never syncs by itself.")

    @field_validator("sync")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"'{value}' is not a cron expression of 5 fields, e.g. '0 5 * * *'")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone, e.g. 'Europe/Amsterdam'") from None
        return value


class ReportConfig(WithSecrets):
    """The morning report (ochtendrapport) after each nightly run: counts and run ids only.
    Slack uses the bot's token and API URL (``[bot.slack]``); mail goes through SMTP."""

    slack_channel: str | None = Field(
        default=None, description="Channel id (C0123...) the report is posted to; the bot "
        "must be a member. Unset: no Slack report.",
    )
    email_to: list[str] = Field(default_factory=list, description="Addresses; empty: no mail.")
    email_from: str = Field(default="provisioner@localhost", description="The sender address.")
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535, description="587 with STARTTLS.")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="starttls", description="'starttls' (port 587), 'tls' (465) or 'none' (a relay)."
    )
    smtp_username: str | None = None
    smtp_password_env: str = Field(
        default="PROVISIONER_SMTP_PASSWORD",
        description="Environment variable (or its _FILE twin) with the SMTP password.",
    )
    smtp_password_file: Path | None = Field(default=None, description="File with it.")
    secret_names: ClassVar[tuple[str, ...]] = ("smtp_password",)
    deadlines_within_days: int = Field(
        default=7, ge=0, description="Data-breach deadlines due within this many days are listed."
    )


class ServiceConfig(Strict):
    """``provisioner serve``: the HTTP endpoint for health, metrics and Slack."""

    host: str = Field(default="0.0.0.0", description="Address to listen on.")
    port: int = Field(default=8080, ge=0, le=65535, description="0: any free port.")
    poll_seconds: float = Field(
        default=20, gt=0, le=300, description="How often the schedule is looked at."
    )
    tick_seconds: float = Field(
        default=60, gt=0, le=3600, description="How often the bot's scheduled steps run."
    )


class AuditConfig(Strict):
    """Off-the-box copies of the audit chain head (anchors): each finished run's sequence
    number and hash, checked by ``provisioner audit verify --anchors``. The morning report
    carries them too; these are for storage the database's administrators cannot rewrite."""

    anchor_file: Path | None = Field(
        default=None,
        description="A file anchors are appended to, one JSON line each (never rewritten); "
        "best on other storage (a share of another team, a WORM volume). Unset: none.",
    )
    anchor_url: str | None = Field(
        default=None,
        description="An http(s) URL each anchor is POSTed to as JSON (a log collector "
        "outside this server). Unset: none. A failure is reported in the run, never fatal.",
    )

    @field_validator("anchor_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"'{value}' is no http(s) URL")
        return value
