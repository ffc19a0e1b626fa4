"""`redshard migrations status|pause|resume|cancel HOST:PORT [--id NAME]`: list and steer the
server-side slot migration jobs of one node (CLUSTER GETSLOTMIGRATIONS and the
PAUSE/RESUME/CANCELSLOTMIGRATIONS commands)."""

import sys
import time

import click

from ..resp.client import ConnectionFailed, ReplyError
from .jobs import TERMINAL, Progress, job_line, list_jobs
from .topology import ToolError, connect_node


def _node(addr):
    return connect_node(addr)


def _fail(msg):
    click.echo(msg, err=True)
    sys.exit(1)


@click.group("migrations")
def migrations_group():
    """Server-side slot migrations of a node."""


@migrations_group.command("status")
@click.argument("node", metavar="HOST:PORT")
@click.option("--id", "job_id", help="only this job")
@click.option("--watch", is_flag=True, help="keep redrawing until the jobs end")
@click.option("--all", "show_all", is_flag=True, help="include finished jobs")
def cmd_status(node, job_id, watch, show_all):
    """Show the migration jobs of HOST:PORT (source and target side)."""
    try:
        n = _node(node)
        try:
            progress = Progress()
            while True:
                jobs = list_jobs(n)
                if job_id:
                    jobs = [j for j in jobs if j["name"] == job_id]
                    if not jobs:
                        _fail("[ERR] No migration job %s on %s" % (job_id, n.name))
                elif not show_all and not watch:
                    active = [j for j in jobs if j["state"] not in TERMINAL]
                    jobs = active or jobs[-5:]
                if not watch:
                    if not jobs:
                        click.echo("No migration jobs on %s." % n.name)
                    for j in jobs:
                        click.echo("%s %s" % (j["operation"] or "?", job_line(j)))
                    return
                progress.show(jobs, final=all(j["state"] in TERMINAL for j in jobs))
                if all(j["state"] in TERMINAL for j in jobs):
                    return
                time.sleep(0.5)
        finally:
            n.close()
    except ToolError as e:
        _fail(str(e))
    except (ConnectionFailed, ReplyError) as e:
        _fail("[ERR] %s" % e)
    except KeyboardInterrupt:
        pass


def _steer(action, node, job_id):
    try:
        n = _node(node)
        try:
            args = ["CLUSTER", "%sSLOTMIGRATIONS" % action.upper()]
            if job_id:
                args += ["ID", job_id]
            count = n.call(*args)
        finally:
            n.close()
    except ToolError as e:
        _fail(str(e))
    except ReplyError as e:
        _fail("[ERR] Node %s replied with error:\n%s" % (node, e))
    except ConnectionFailed as e:
        _fail("[ERR] %s" % e)
    verb = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[action]
    click.echo("%s migration job(s) %s on %s." % (count, verb, node))
    sys.exit(0 if count or not job_id else 1)


@migrations_group.command("pause")
@click.argument("node", metavar="HOST:PORT")
@click.option("--id", "job_id", help="only this job (default: every running job)")
def cmd_pause(node, job_id):
    """Pause running migrations (the current slot stays open, clients follow ASK)."""
    _steer("pause", node, job_id)


@migrations_group.command("resume")
@click.argument("node", metavar="HOST:PORT")
@click.option("--id", "job_id", help="only this job (default: every paused job)")
def cmd_resume(node, job_id):
    """Resume paused migrations."""
    _steer("resume", node, job_id)


@migrations_group.command("cancel")
@click.argument("node", metavar="HOST:PORT")
@click.option("--id", "job_id", help="only this job (default: every unfinished job)")
def cmd_cancel(node, job_id):
    """Cancel migrations (the slot being moved is handed back cleanly)."""
    _steer("cancel", node, job_id)


def attach(main):
    main.add_command(migrations_group)
