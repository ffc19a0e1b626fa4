"""Operator tools behind the `redshard` CLI (local cluster start-up, cluster management,
migrations). They talk to nodes over RESP only."""


def attach(main):
    """Add the tool subcommands to the click group `main`."""
    import importlib
    for mod in ("cluster_cli", "migrations_cli"):
        try:
            m = importlib.import_module("%s.%s" % (__name__, mod))
        except ImportError:
            continue
        m.attach(main)
