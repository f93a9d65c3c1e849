"""``stridelink caldav push`` and ``stridelink caldav check``."""

from __future__ import annotations

import json

import click

import stridelink


def _check_week(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return stridelink.check_week(value)
    except ValueError as exc:
        message = str(exc) if "out of range" in str(exc) else f"{value!r} is not an ISO week such as 2026-W49"
        raise click.BadParameter(message) from None


@click.group(name="caldav")
def caldav_group() -> None:
    """Publish the plan to a CalDAV calendar (Nextcloud, Fastmail, iCloud, Radicale, ...).

    \b
    Settings (settings.toml in `stridelink path`):
      [caldav]
      url = "https://cloud.example.com/remote.php/dav"
      username = "runner"
      calendar = "Ankle plan"
      password_env = "NEXTCLOUD_APP_PASSWORD"   # default STRIDELINK_CALDAV_PASSWORD
    """


@caldav_group.command()
@click.option("--week", metavar="YYYY-Www", callback=_check_week, help="First week (default: this week).")
@click.option(
    "--weeks",
    type=click.IntRange(1, 52),
    default=None,
    help="How many weeks from --week (default: [caldav] weeks, else 2).",
)
@click.option("--resend", is_flag=True, help="Send every event again, changed or not.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def push(week: str | None, weeks: int | None, resend: bool, as_json: bool) -> None:
    """Create, update and delete the calendar's events so they match the plan.

    Events keep their UID, so calendar apps update them in place; SEQUENCE rises when a session changes.
    Sessions a re-plan dropped are deleted (only events this command published, only in the weeks pushed).
    Run it from cron, or after `stridelink watch`, to keep the calendar current.
    """
    from stridelink_caldav.config import CalDAVConfig
    from stridelink_caldav.sync import push_weeks

    with stridelink.Library.open() as library:
        config = CalDAVConfig.from_settings(library.settings)
        wanted = stridelink.weeks_from(week or stridelink.this_week(library), weeks or config.weeks)
        report = push_weeks(library, wanted, resend=resend)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    for change in report.changes:
        if change.action != "unchanged":
            seq = "" if change.sequence is None else f" (SEQUENCE {change.sequence})"
            click.echo(f"{change.action:<9} {change.day}  {stridelink.safe(change.summary)}{seq}")
    counts = ", ".join(f"{report.count(a)} {a}" for a in ("created", "updated", "unchanged", "deleted"))
    click.echo(f"{wanted[0]}..{wanted[-1]}: {counts}", err=True)


@caldav_group.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def check(as_json: bool) -> None:
    """Log in and find the calendar, without changing anything."""
    from stridelink_caldav.config import CalDAVConfig, redact
    from stridelink_caldav.publish import published
    from stridelink_caldav.sync import MEMORY, open_calendar

    with stridelink.Library.open() as library:
        settings = library.settings
        records = published(library.memory(MEMORY))
    config = CalDAVConfig.from_settings(settings)
    calendar = open_calendar(config, create=False)
    events = calendar.events()
    mine = [uid for uid, record in records.items() if record.calendar == calendar.url]
    data = {
        "server": redact(config.url),
        "username": config.username,
        "password_env": config.password_env,
        "password_set": config.password() is not None,
        "calendar": config.calendar if not config.calendar_url else None,
        "calendar_url": redact(calendar.url),
        "events": len(events),
        "published": len(mine),
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    who = stridelink.safe(config.username or "(no login)")
    click.echo(f"logged in to {stridelink.safe(data['server'])} as {who}")
    calendar = stridelink.safe(data["calendar_url"])
    click.echo(f"calendar {calendar}: {len(events)} events, {len(mine)} published by stridelink")
