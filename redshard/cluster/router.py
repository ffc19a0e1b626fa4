"""Cluster routing: the pure decision of Redis's getNodeByQuery (REDIS-NOTES §2).

`route(st, keys, ...)` looks only at its arguments: the slot table view `st` (owner list,
myself, migrating/importing maps, ok flag, allow-reads-when-down, endpoint()), the keys of the
request (for EXEC: of every queued command, in order), the request's flags and an existence
check. It returns None (serve here) or the error text (without '-' and CRLF)."""

from .keyslot import keyslot

CROSSSLOT = b"CROSSSLOT Keys in request don't hash to the same slot"
NOT_SERVED = b"CLUSTERDOWN Hash slot not served"
DOWN = b"CLUSTERDOWN The cluster is down"
DOWN_RO = b"CLUSTERDOWN The cluster is down and only accepts read commands"
TRYAGAIN = b"TRYAGAIN Multiple keys request during rehashing of slot"


def moved(slot, endpoint):
    return b"MOVED %d %s" % (slot, endpoint)


def ask(slot, endpoint):
    return b"ASK %d %s" % (slot, endpoint)


def route(st, keys, is_write=False, asking=False, readonly=False, is_migrate=False,
          exists=None):
    """Decide where a request with `keys` (list of bytes) is served.

    st: owner (list of 16384 nodes or None), myself, migrating/importing ({slot: node}),
        ok (cluster_state ok), allow_reads_when_down (bool), endpoint(node) -> b"host:port".
    is_write: the command (for EXEC: any queued command) is a write.
    asking: the client sent ASKING, or the command has the "asking" flag (RESTORE-ASKING).
    readonly: the client sent READONLY.
    is_migrate: the command is MIGRATE.
    exists(key, slot) -> bool: existence without side effects (only called for open slots).
    """
    if not keys:
        return None
    first = keys[0]
    slot = keyslot(first)
    owner = st.owner[slot]
    if owner is None:
        return NOT_SERVED
    me = st.myself
    migrating = importing = False
    if owner is me and slot in st.migrating:
        migrating = True
    elif slot in st.importing:
        importing = True
    multi = False
    for k in keys[1:]:
        if k is first or k == first:
            continue
        if keyslot(k) != slot:
            return CROSSSLOT
        multi = True
    missing = existing = 0
    if migrating or importing:
        for k in keys:
            if exists(k, slot):
                existing += 1
            else:
                missing += 1
    if not st.ok:
        if not st.allow_reads_when_down:
            return DOWN
        if is_write:
            return DOWN_RO
    if is_migrate and (migrating or importing):
        return None
    if migrating and missing:
        if existing:
            return TRYAGAIN
        return ask(slot, st.endpoint(st.migrating[slot]))
    if importing and asking:
        if multi and missing:
            return TRYAGAIN
        return None
    if readonly and not is_write and "slave" in me.flags and me.master_id == owner.id:
        return None
    if owner is not me:
        return moved(slot, st.endpoint(owner))
    return None
