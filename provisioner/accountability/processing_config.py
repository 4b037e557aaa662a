"""``[processing]``: what the register of processing activities (AVG art. 30) needs beyond the
connectors: the processor agreement of each connected system (seed 002 §4 and annex b, the
*Model Verwerkersovereenkomst* of the Convenant Digitale Onderwijsmiddelen en Privacy)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from provisioner.config_base import Strict


class ProcessorAgreement(Strict):
    """The processor agreement (*verwerkersovereenkomst*) with the supplier of one system."""

    processor: str = Field(description="The supplier that processes the data, e.g. 'Topicus'.")
    signed_on: date | None = Field(
        default=None, description="The day the board (bevoegd gezag) signed the agreement."
    )
    bijsluiter: str | None = Field(
        default=None,
        description="Reference of the privacy bijsluiter (annex 1 of the model agreement).",
    )
    dpia_on: date | None = Field(
        default=None, description="The day the data protection impact assessment was done."
    )
    outside_eea: str | None = Field(
        default=None,
        description="Countries outside the European Economic Area where the processor (or a "
        "sub-processor) processes the data, as the bijsluiter states them; 'none' when it "
        "says none. Unset: the register shows 'not stated'.",
    )


class ProcessingConfig(Strict):
    """The register's settings and the processor agreements per connected system.

    ``agreements`` is keyed by the connected system as the configuration names it: a source's
    slot (``hr``, ``sis``, ``consent``, ``interns``) or a target's ``name``::

        [processing.agreements.sis]
        processor = "Topicus"
        signed_on = 2025-08-14
        bijsluiter = "Somtoday privacybijsluiter v3.2"
        dpia_on = 2025-06-01
    """

    controller_contact: str | None = Field(
        default=None,
        description="The board's contact details for the register (address, e-mail, phone); "
        "the controller's name is board.name.",
    )
    privacy_officer: str | None = Field(
        default=None,
        description="Name and contact details of the functionaris gegevensbescherming (FG). "
        "Unset: the register names bot.privacy_officers.",
    )
    agreements: dict[str, ProcessorAgreement] = Field(default_factory=dict)
