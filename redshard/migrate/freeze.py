"""Keys frozen while a migration batch carrying them is in flight.

`node.frozen` maps (db, key) -> trio.Event of the batch. While a key is frozen, reads of it are
served (its value is still here) but every command that may write it waits until the batch is
acknowledged (or fails), and then runs from the start: the key is gone by then, so it acts on an
empty key, or in cluster mode is redirected with ASK by the router. `Node.execute` calls
`wait_if_frozen` only when `node.frozen` is non-empty, so nothing is paid when no key is moving.
"""

import trio


def freeze(node, db, keys):
    """Freeze `keys` of `db`; returns the event to pass to `thaw`."""
    ev = trio.Event()
    frozen = node.frozen
    for k in keys:
        frozen[(db, k)] = ev
    return ev


def thaw(node, db, keys, ev):
    """Release keys frozen by `freeze` and wake the commands waiting for them."""
    frozen = node.frozen
    for k in keys:
        if frozen.get((db, k)) is ev:
            del frozen[(db, k)]
    ev.set()


def _keys_of(cmd, argv):
    try:
        return cmd.keys(argv)
    except Exception:
        return ()


def wait_if_frozen(node, c, cmd, argv):
    """None if the command may run now; else an awaitable that waits for the keys it may write
    to be released, then executes the command again (and returns its reply)."""
    if "readonly" in cmd.flags:
        return None
    if c.multi:
        if cmd.name != "exec":
            return None               # queued: checked again at EXEC
        keys = [k for qcmd, qargv in c.multi_queue if "readonly" not in qcmd.flags
                for k in _keys_of(qcmd, qargv)]
    elif cmd.has_keys:
        keys = _keys_of(cmd, argv)
    else:
        return None
    frozen = node.frozen
    db = c.db
    events = []
    for k in keys:
        ev = frozen.get((db, k))
        if ev is not None and ev not in events:
            events.append(ev)
    if not events:
        return None
    return _wait_then_execute(node, c, argv, events)


async def _wait_then_execute(node, c, argv, events):
    for ev in events:
        await ev.wait()
    r = node.execute(c, argv)
    while r is not None and type(r) is not bytes:
        r = await r
    return r
