"""Active Directory (and the school file shares) as a connector: ``type = "ad"``."""

from __future__ import annotations

from connectors.ad.config import ADTargetConfig
from provisioner.accountability.processing import (
    DataCategory,
    Flow,
    Measure,
    PersonCategory,
    ProcessingFacts,
    ProcessorRole,
    Purpose,
    Recipient,
)
from provisioner.plugins import BuildContext
from provisioner.targets import Target

#: What the register says about Active Directory (art. 30): the board's own domain and
#: file shares, over LDAPS or StartTLS, inside one managed OU.
PROCESSING = ProcessingFacts(
    system="Active Directory (file shares)",
    flow=Flow.WRITES,
    purposes=(Purpose.ACCOUNTS, Purpose.LEAVERS, Purpose.ACCESS_BY_ROLE),
    data=(
        DataCategory.NAME, DataCategory.ACCOUNT, DataCategory.INITIAL_PASSWORD,
        DataCategory.EMPLOYEE_NUMBER, DataCategory.PUPIL_ID, DataCategory.ROLE,
        DataCategory.LOCATION, DataCategory.GROUP_MEMBERSHIP, DataCategory.FILE_ACCESS,
    ),
    people=(PersonCategory.STAFF, PersonCategory.PUPILS, PersonCategory.INTERNS),
    recipients=(Recipient.CENTRAL_OFFICE, Recipient.SCHOOL_STAFF),
    measures=(
        Measure.TLS, Measure.SERVICE_ACCOUNT, Measure.SECRETS_OUTSIDE_CONFIG,
        Measure.LEAST_PRIVILEGE, Measure.RANDOM_FIRST_PASSWORD, Measure.SAFETY_GATE,
        Measure.AUDIT_TRAIL,
    ),
    processor=ProcessorRole.BOARD,
)  # fmt: skip


def build(config: ADTargetConfig, context: BuildContext) -> Target:
    from connectors.ad.build import build_ad_target

    ad = build_ad_target(context.config, config, dry_run=context.dry_run)
    context.close_later(ad.close)
    return ad


def check(config: ADTargetConfig) -> list[str]:
    """The secret and CA file, the way connectors/ad/build.py reads them: the password file
    when it has a password, else the environment variable (never shown)."""
    place = f"targets.{config.name}"
    problems = []
    if config.bind_password_file is not None:
        problems.extend(_password_file_problems(config, place))
    elif config.secret("bind_password") is None:
        problems.append(
            f"{place}: no bind password: set the environment variable "
            f"{config.bind_password_env}, or configure bind_password_file"
        )
    if config.ca_file is not None and not config.ca_file.is_file():
        problems.append(f"{place}.ca_file: {config.ca_file} does not exist")
    return problems


def _password_file_problems(config: ADTargetConfig, place: str) -> list[str]:
    path = config.bind_password_file
    assert path is not None
    try:
        from_file = bool(path.read_text(encoding="utf-8").strip())
    except FileNotFoundError:
        return [f"{place}.bind_password_file: {path} does not exist"]
    except OSError as exc:
        return [f"{place}.bind_password_file: cannot read {path}: {exc.strerror}"]
    except UnicodeDecodeError:
        return [f"{place}.bind_password_file: {path} is not UTF-8 text"]
    if not from_file and config.secret("bind_password") is None:
        return [
            f"{place}.bind_password_file: {path} is empty, and the environment "
            f"variable {config.bind_password_env} is not set either"
        ]
    return []
