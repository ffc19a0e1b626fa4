"""The `redshard` command line: `redshard server` starts a node; cluster and migration tools
for operators live under `redshard cluster ...` and `redshard migrations ...`."""

import sys

import click

from .config import OPTIONS_BY_NAME, Config


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="redshard")
def main():
    """redshard: a Redis-Cluster-compatible, disk-backed, sharded key-value server."""


def build_config(config_file, pairs):
    cfg = Config()
    if config_file:
        cfg.load_file(config_file)
    for name, raw in pairs:
        try:
            cfg.set_raw(name, raw)
        except KeyError:
            raise click.UsageError("unknown option --%s" % name)
        except ValueError as e:
            raise click.UsageError("bad value for --%s: %s (%s)" % (name, raw, e))
    return cfg


def parse_extra(args):
    """['--name', 'value', ...] -> [(name, value)], as redis-server reads its command line: the
    arguments up to the next `--name` are the option's value, joined with spaces for options of
    several values (`--save 900 1`, `--replicaof 127.0.0.1 6380`); `--name=value` also works, and
    a yes/no option given alone means yes."""
    pairs = []
    i = 0
    while i < len(args):
        a = args[i]
        if not a.startswith("--"):
            raise click.UsageError("unexpected argument %r" % a)
        a = a[2:]
        i += 1
        if "=" in a:
            pairs.append(tuple(a.split("=", 1)))
            continue
        name = a
        o = OPTIONS_BY_NAME.get(name)
        vals = []
        while i < len(args) and not args[i].startswith("--"):
            vals.append(args[i])
            i += 1
        if not vals:
            if i < len(args) and o is not None and o.kind in ("int", "mem"):
                vals.append(args[i])        # a value that starts with "--"
                i += 1
            elif o is not None and o.kind == "bool":
                vals.append("yes")
            elif name == "save":
                vals.append("")             # `--save --port ...`: no snapshots, as Redis
            else:
                raise click.UsageError("option --%s needs a value" % name)
        pairs.append((name, " ".join(vals)))
    return pairs


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="redis.conf-style configuration file")
@click.option("--port", type=int, help="client TCP port (default 6379)")
@click.option("--bind", help="listen address(es) (default 127.0.0.1)")
@click.option("--dir", "dir_", help="data directory (default ./data)")
@click.pass_context
def server(ctx, config_file, port, bind, dir_):
    """Start a node. Every configuration option is also accepted as --name value
    (Redis's option names, e.g. --cluster-enabled yes --appendfsync always)."""
    pairs = parse_extra(ctx.args)
    if port is not None:
        pairs.append(("port", str(port)))
    if bind is not None:
        pairs.append(("bind", bind))
    if dir_ is not None:
        pairs.append(("dir", dir_))
    cfg = build_config(config_file, pairs)
    from .server import run
    try:
        run(cfg)
    except KeyboardInterrupt:
        pass


def _register_subcommands():
    """Attach the operator tools (cluster, migrations) if their modules are present."""
    try:
        from .tools import attach
    except ImportError:
        return
    attach(main)


_register_subcommands()

if __name__ == "__main__":
    sys.exit(main())
