"""Pure slot-placement arithmetic for the operator CLI, with redis-cli's rules: the initial
split of 16384 slots among masters, the reshard plan (which sources give which slots), the
rebalance plan (weights, threshold, rounding), and the drain plan (spread a node's slots over the
others). Inputs are plain {node_id: sorted slots} maps, so every rule is testable on its own."""

NSLOTS = 16384


def allocate_slots(masters):
    """[(first, last)] for `masters` masters, as redis-cli create: 3 -> 0-5460, 5461-10922,
    10923-16383."""
    if masters < 1:
        raise ValueError("need at least one master")
    per = NSLOTS / masters
    first = 0
    cursor = 0.0
    out = []
    for i in range(masters):
        last = int(cursor + per - 1 + 0.5)
        if last > NSLOTS - 1 or i == masters - 1:
            last = NSLOTS - 1
        if last < first:
            last = first
        out.append((first, last))
        first = last + 1
        cursor += per
    return out


def reshard_plan(sources, count):
    """redis-cli's reshard plan: `sources` {id: slots}; sources sorted by slot count descending,
    each gives count*its/total slots (first rounded up, the others down), its lowest slots first,
    never more than `count` in all. Returns [(slot, source_id)]."""
    order = sorted(sources, key=lambda i: -len(sources[i]))
    total = sum(len(sources[i]) for i in order)
    if total == 0:
        return []
    plan = []
    for k, sid in enumerate(order):
        share = count * len(sources[sid]) / total
        n = int(share) if k else -int(-share // 1)
        n = min(n, count - len(plan), len(sources[sid]))
        plan.extend((s, sid) for s in sorted(sources[sid])[:n])
        if len(plan) >= count:
            break
    return plan


def rebalance_plan(slots, weights, threshold=2.0):
    """redis-cli's rebalance: `slots` {id: slots} of the participating masters, `weights`
    {id: weight}. Returns [(src_id, dst_id, [slots])] or [] when every node is within
    `threshold` percent of its expected share."""
    total_weight = sum(weights[i] for i in slots)
    if total_weight <= 0:
        raise ValueError("total weight must be positive")
    expected = {i: int(NSLOTS / total_weight * weights[i]) for i in slots}
    over = False
    for i in slots:
        have = len(slots[i])
        if have == 0:
            if expected[i] > 1:
                over = True
        elif abs(100 - 100.0 * expected[i] / have) > threshold:
            over = True
    if not over:
        return []
    balance = {i: len(slots[i]) - expected[i] for i in slots}
    total = sum(balance.values())
    while total > 0:
        for i in slots:
            if balance[i] <= 0 and total > 0:
                balance[i] -= 1
                total -= 1
    order = sorted(slots, key=lambda i: balance[i])
    remaining = {i: sorted(slots[i]) for i in slots}
    moves = []
    dst, src = 0, len(order) - 1
    while dst < src:
        d, s = order[dst], order[src]
        n = min(abs(balance[d]), abs(balance[s]), len(remaining[s]))
        if n > 0:
            take, remaining[s] = remaining[s][:n], remaining[s][n:]
            moves.append((s, d, take))
            balance[d] += n
            balance[s] -= n
        elif balance[d] != 0 and balance[s] != 0:
            break
        if balance[d] == 0:
            dst += 1
        if balance[s] == 0:
            src -= 1
    return moves


def rebalance_by_keys(slot_keys, owners, weights):
    """Balance key counts instead of slot counts: `slot_keys` {slot: keys}, `owners`
    {id: slots}, `weights` {id: weight}. Greedy: the most loaded node gives its slots (lowest
    first) to the least loaded node while that narrows the gap. Returns [(src, dst, [slots])]."""
    total_weight = sum(weights[i] for i in owners)
    total_keys = sum(slot_keys.get(s, 0) for i in owners for s in owners[i])
    target = {i: total_keys * weights[i] / total_weight for i in owners}
    load = {i: sum(slot_keys.get(s, 0) for s in owners[i]) for i in owners}
    remaining = {i: sorted(owners[i]) for i in owners}
    moved = {}
    for _ in range(NSLOTS):
        src = max(owners, key=lambda i: load[i] - target[i])
        dst = min(owners, key=lambda i: load[i] - target[i])
        excess, deficit = load[src] - target[src], target[dst] - load[dst]
        if src == dst or excess <= 0 or deficit <= 0 or not remaining[src]:
            break
        pick = None
        for s in remaining[src]:
            k = slot_keys.get(s, 0)
            if weights[src] == 0 or 0 < k <= min(excess, deficit) * 2:
                pick = s
                break
        if pick is None:
            break
        remaining[src].remove(pick)
        k = slot_keys.get(pick, 0)
        load[src] -= k
        load[dst] += k
        moved.setdefault((src, dst), []).append(pick)
    return [(s, d, sorted(v)) for (s, d), v in moved.items()]


def drain_plan(slots, receivers):
    """Spread `slots` (of the node being drained) over `receivers` {id: slot count} so the
    counts end as even as possible. Returns {receiver_id: [slots]} (lowest slots first)."""
    if not receivers:
        raise ValueError("no node to receive the slots")
    counts = dict(receivers)
    quota = {i: 0 for i in counts}
    for _ in slots:
        i = min(counts, key=lambda k: (counts[k], k))
        quota[i] += 1
        counts[i] += 1
    ordered = sorted(slots)
    out = {}
    for i in sorted(quota):
        if quota[i]:
            out[i], ordered = ordered[:quota[i]], ordered[quota[i]:]
    return out


def ranges_args(slots):
    """Slots -> flat [start, end, start, end, ...] for SLOTSRANGE."""
    out = []
    for s in sorted(slots):
        if out and out[-1] == s - 1:
            out[-1] = s
        else:
            out += [s, s]
    return out
