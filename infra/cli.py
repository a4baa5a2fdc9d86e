"""The `chairside` command: run the local stack, mint local tokens, seed, run scheduled jobs, build KPI
month and pentad roll-ups, check the template before a deploy."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime


def _token(args: argparse.Namespace) -> int:
    from infra.local_keys import mint_token
    from infra.local_stack import home

    locations = [part for part in args.locations.split(",") if part] if args.locations else ["*"]
    print(mint_token(home().keys, org=args.org, role=args.role, locations=locations, sub=args.sub))
    return 0


def _attach() -> dict:
    """Configure this process to use the running `chairside run` stack."""
    from infra.local_stack import configure_environment, home

    paths = home()
    if not paths.state.exists():
        raise SystemExit("chairside: no local stack is running: start it with `./dev run`")
    state = json.loads(paths.state.read_text())
    configure_environment(paths, state["dynamodb"], state["moto"])
    return state


def _seed(args: argparse.Namespace) -> int:
    from infra.local_stack import prepare_store

    _attach()
    prepare_store(seed=True)
    return 0


def _job(args: argparse.Namespace) -> int:
    from infra.jobs import invoke
    from shared.clock import frozen_at, parse_instant
    from shared.errors import InvalidInput

    _attach()
    try:
        at = parse_instant(args.at, "--at") if args.at else datetime.now(UTC)
    except InvalidInput as exc:
        raise SystemExit("chairside: --at needs an instant with an offset or Z, e.g. 2026-12-01T14:00:00Z") from exc
    handler = {"nightly": "nightly_planner", "send": "send_due_messages"}[args.name]
    detail = {"all_locations": True} if args.name == "nightly" else None  # every location, not only 02:00 ones
    with frozen_at(at):
        result = invoke(handler, at, detail)
    print(json.dumps(result, indent=2, default=str))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from infra.local_audit import by_actor, of_resource, read_file
    from infra.local_stack import audit_file, home

    events = read_file(audit_file(home()))
    found = of_resource(events, args.org, args.patient) if args.patient else by_actor(events, args.org, args.actor)
    for event in found:
        print(json.dumps(event))
    return 0


def _kpi_roll_ups(args: argparse.Namespace) -> int:
    from infra.kpi_backfill import report

    _attach()
    return report(args.org, args.location)


def _run(args: argparse.Namespace) -> int:
    from infra.console_build import ConsoleBuildFailed
    from infra.ddb_local import MissingTool
    from infra.local_services import PortInUse
    from infra.local_stack import run

    try:
        return run()
    except (MissingTool, PortInUse, ConsoleBuildFailed) as exc:
        print(f"chairside: {exc}", file=sys.stderr)
        return 1


def _deploy_check(args: argparse.Namespace) -> int:
    from infra.deploy_check import main as deploy_check

    return deploy_check(["--template", args.template] if args.template else [])


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="chairside", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the local stack (API, DynamoDB Local, moto, schedules)").set_defaults(
        func=_run)
    token = commands.add_parser("token", help="print a bearer token the local API accepts")
    token.add_argument("--org", required=True)
    token.add_argument("--role", required=True, choices=["admin", "coordinator", "front_desk", "provider", "readonly"])
    token.add_argument("--locations", default="*", help="comma-separated location ids, or * (default)")
    token.add_argument("--sub", default="local-user")
    token.set_defaults(func=_token)
    commands.add_parser("seed", help="seed the demo group into the running stack if absent").set_defaults(func=_seed)
    job = commands.add_parser("job", help="run a scheduled job once against the running stack")
    job.add_argument("name", choices=["nightly", "send"])
    job.add_argument("--at", help="run as if at this instant (ISO 8601 with offset)")
    job.set_defaults(func=_job)
    audit = commands.add_parser("audit", help="print the local stack's audit events of a patient or a user")
    audit.add_argument("--org", required=True)
    which = audit.add_mutually_exclusive_group(required=True)
    which.add_argument("--patient", help="a patient's id (or any resource id: plan, payment, ...)")
    which.add_argument("--actor", help="a user's sub")
    audit.set_defaults(func=_audit)
    roll_ups = commands.add_parser("kpi-roll-ups", help="move KPI items of before 2026-11-30 to the current layout "
                                   "and build their roll-ups, in the running stack (docs/RUNBOOK.md)")
    roll_ups.add_argument("--org", required=True)
    roll_ups.add_argument("--location", action="append", default=[], help="only this location (repeatable)")
    roll_ups.set_defaults(func=_kpi_roll_ups)
    check = commands.add_parser("deploy-check", help="validate template.yaml offline: cfn-lint, SAM transform, "
                                "failure destinations, alarms, roles, policy sizes")
    check.add_argument("--template", help="another template than template.yaml")
    check.set_defaults(func=_deploy_check)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
