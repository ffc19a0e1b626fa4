"""Attaching key migration to a node: MIGRATE's target-connection cache, the slot-migration
manager (cluster mode, `node.migrations`) and the INFO `# Migration` section."""

from . import stats
from .targets import TargetCache


def attach(node):
    """Called by `Node.__init__` for every node."""
    node.migrate_targets = TargetCache(node)
    node.migrate_stats = stats.MigrationStats()
    node.info_sections["migration"] = stats.info_lines
    node.migrations = None
    if node.config["cluster-enabled"]:
        from .manager import Manager
        node.migrations = Manager(node)
        node.background.append(node.migrations.run)
