"""``provisioner demo``: generate a demo board once and run a full sync of it."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from provisioner.app.cli_common import JsonOption, out
from provisioner.app.cli_failures import Unusable, clean_failures
from provisioner.app.cli_sync import run_sync_showing_progress, show_report
from provisioner.config import Config
from provisioner.execution.engine import RunReport, SyncRequest
from provisioner.i18n import N_, cli_language, tr

DEMO_DIR = Path(".provisioner-demo")


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo board lives.")
    ] = DEMO_DIR,
    staff: Annotated[int, typer.Option(help="Staff members of the generated board.")] = 60,
    pupils: Annotated[int, typer.Option(help="Pupils of the generated board.")] = 700,
    seed: Annotated[int, typer.Option(help="Seed of the generator.")] = 2026,
    fresh: Annotated[bool, typer.Option(help="Throw the demo board away and start again.")] = False,
    hr: Annotated[
        str, typer.Option(help="Read staff from: csv, afas or youforce (an emulator).")
    ] = "csv",
    sis: Annotated[
        str,
        typer.Option(
            help="Read pupils from: oneroster, somtoday, parnassys or magister (an emulator)."
        ),
    ] = "oneroster",
    sis_staff: Annotated[
        bool, typer.Option(help="Also keep staff accounts in that SIS in step with HR.")
    ] = False,
    target: Annotated[
        list[str] | None,
        typer.Option("--target", help="Also provision into: google (an emulator). Repeatable."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Generate a realistic demo board (once) and run a full sync of it.

    The board is written as HR, SIS and consent files with a configuration beside them; the
    sync applies to the built-in reference directory and to a Microsoft 365 tenant served by
    the built-in Graph emulator, both kept in the same folder. Run it twice: the second run
    plans nothing and writes nothing.
    """
    from provisioner.app.cli_checklist import write_demo_checklist

    with clean_failures(as_json):
        report = _demo(
            directory, staff, pupils, seed, fresh, hr, sis, sis_staff, as_json, target or []
        )
        checklist = [str(path) for path in write_demo_checklist(directory)]
    if as_json:
        print(json.dumps(report.as_json() | {"checklist": checklist}))
    else:
        show_report(report, show_operations=12)
        config_path = directory / "provisioner.toml"
        show = f"provisioner runs show {report.run_id} -c {config_path}"
        verify = f"provisioner audit verify -c {config_path}"
        inspect = tr(cli_language(), "Inspect it: {show}   |   {verify}", show=show, verify=verify)
        out.print(f"\n{inspect}")
        paths = "   |   ".join(checklist)
        out.print(tr(cli_language(), "Privacy checklist: {paths}", paths=paths))
    raise typer.Exit(report.exit_code())


def _demo(
    directory: Path,
    staff: int,
    pupils: int,
    seed: int,
    fresh: bool,
    hr: str,
    sis: str,
    sis_staff: bool,
    as_json: bool,
    targets: list[str],
) -> RunReport:
    from provisioner.app.demo.existing import seed_existing_accounts
    from provisioner.app.demo.generator import generate_board
    from provisioner.execution.engine import today_in_amsterdam

    config_path = directory / "provisioner.toml"
    if fresh and directory.exists():
        import shutil

        shutil.rmtree(directory)
    if not config_path.exists():
        generate_board(
            directory,
            today=today_in_amsterdam(),
            seed=seed,
            staff=staff,
            pupils=pupils,
            m365_emulator=True,
        )
        seed_existing_accounts(config_path)
        if not as_json:
            out.print(
                tr(
                    cli_language(),
                    "Generated a demo board with {staff} staff and {pupils} pupils in {directory}/",
                    staff=staff,
                    pupils=pupils,
                    directory=directory,
                )
            )
    from provisioner.app.demo.systems import HR_SYSTEMS, SIS_SYSTEMS, serve_systems
    from provisioner.app.demo.targets import DEMO_TARGETS, add_targets

    unknown = [name for name in targets if name not in DEMO_TARGETS]
    if unknown:
        raise Unusable(N_("--target is one of {targets}"), targets=", ".join(DEMO_TARGETS))

    if hr not in HR_SYSTEMS or sis not in SIS_SYSTEMS:
        raise Unusable(
            N_("--hr is one of {hr}; --sis one of {sis}"),
            hr=", ".join(HR_SYSTEMS),
            sis=", ".join(SIS_SYSTEMS),
        )
    today = today_in_amsterdam()

    def systems(config: Config, stack: ExitStack) -> Config:
        served = serve_systems(
            config, directory, hr=hr, sis=sis, today=today, stack=stack, sis_staff=sis_staff
        )
        return add_targets(served, directory, targets)

    return run_sync_showing_progress(config_path, SyncRequest(), as_json, prepare=systems)
