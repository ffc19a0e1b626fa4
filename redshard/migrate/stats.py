"""Cumulative migration counters and the INFO `# Migration` section (with the chunk stagings
this node holds as the target of chunked moves: `chunk_stagings` / `chunk_staged_elements` in
progress, `chunk_retired_stagings` / `chunk_retired_elements` aborted and still being swept)."""


class MigrationStats:
    """Counters since start: MIGRATE commands and keys, slot-migration jobs, slots and keys."""

    __slots__ = ("migrate_calls", "migrate_keys_sent", "migrate_keys_acked", "migrate_errors",
                 "migrate_bytes_sent", "jobs_started", "jobs_done", "jobs_failed",
                 "jobs_cancelled", "slots_exported", "slots_imported", "keys_exported",
                 "bytes_exported", "keys_imported", "big_keys_interrupted")

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, 0)


def info_lines(node):
    s = node.migrate_stats
    lines = ["%s:%d" % (name, getattr(s, name)) for name in MigrationStats.__slots__]
    mgr = getattr(node, "migrations", None)
    if mgr is not None:
        lines.extend(mgr.info_lines())
    lines.append("migrate_cached_sockets:%d" % len(node.migrate_targets.conns))
    from .chunked import staging_info
    lines.extend(staging_info(node))
    return lines
