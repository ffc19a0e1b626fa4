"""Attaching key migration to a node: MIGRATE's target-connection cache, the slot-migration
manager (cluster mode) and the INFO `# Migration` section."""

from .targets import TargetCache
from . import stats


def attach(node):
    """Called by `Node.__init__` for every node."""
    node.migrate_targets = TargetCache(node)
    node.migrate_stats = stats.MigrationStats()
    node.info_sections["migration"] = stats.info_lines
