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
    """['--name', 'value', '--flag=value', ...] -> [(name, value)]."""
    pairs = []
    i = 0
    while i < len(args):
        a = args[i]
        if not a.startswith("--"):
            raise click.UsageError("unexpected argument %r" % a)
        a = a[2:]
        if "=" in a:
            name, val = a.split("=", 1)
            i += 1
        else:
            name = a
            o = OPTIONS_BY_NAME.get(name)
            if i + 1 >= len(args) or (args[i + 1].startswith("--") and not (o and o.kind in ("int", "mem"))):
                if o is not None and o.kind == "bool":
                    val = "yes"
                    i += 1
                    pairs.append((name, val))
                    continue
                raise click.UsageError("option --%s needs a value" % name)
            val = args[i + 1]
            i += 2
        pairs.append((name, val))
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
