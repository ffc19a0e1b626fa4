"""Unit tests of the pure routing function (REDIS-NOTES §2) and of slot-range formatting."""

from hypothesis import given, settings, strategies as hst

from redshard.cluster import router
from redshard.cluster.keyslot import NSLOTS, format_ranges, keyslot
from redshard.cluster.state import ClusterNode


class View:
    """The slice of ClusterState the router reads."""

    def __init__(self, ok=True, reads_when_down=False):
        self.myself = ClusterNode("a" * 40, "127.0.0.1", 7000, 17000, ("myself", "master"))
        self.other = ClusterNode("b" * 40, "127.0.0.1", 7001, 17001)
        self.third = ClusterNode("c" * 40, "127.0.0.1", 7002, 17002)
        self.owner = [self.myself] * 5461 + [self.other] * 5461 + [None] * (NSLOTS - 10922)
        self.migrating = {}
        self.importing = {}
        self.ok = ok
        self.allow_reads_when_down = reads_when_down

    def endpoint(self, n):
        return ("%s:%d" % (n.ip, n.port)).encode()


def route(v, keys, present=(), **kw):
    return router.route(v, keys, exists=lambda k, s: k in present, **kw)


# keys in known slots: key:4 -> 2724 (mine), foo -> 12182 (unassigned), bar -> 5061 (mine)
MINE = b"key:4"
MINE2 = b"{key:4}x"
THEIRS = b"{user1}.a"   # 8106
NOBODY = b"foo"


def test_keyslot_vectors():
    assert [keyslot(k) for k in (b"foo", b"bar", b"{user1}.a", b"user1", b"{}foo",
                                 b"foo{}{bar}", b"foo{{bar}}zap", b"", b"key:4", b"ch")] == \
        [12182, 5061, 8106, 8106, 9500, 8363, 4015, 0, 2724, 13271]


def test_keyless_and_local():
    v = View()
    assert route(v, []) is None
    assert route(v, [MINE]) is None
    assert route(v, [MINE, MINE2, MINE]) is None


def test_moved_and_not_served():
    v = View()
    assert route(v, [THEIRS]) == b"MOVED 8106 127.0.0.1:7001"
    assert route(v, [NOBODY]) == b"CLUSTERDOWN Hash slot not served"


def test_crossslot_even_across_owned_slots():
    v = View()
    assert route(v, [MINE, b"bar"]) == router.CROSSSLOT
    assert route(v, [THEIRS, MINE]) == router.CROSSSLOT


def test_down_states():
    v = View(ok=False)
    assert route(v, [NOBODY]) == b"CLUSTERDOWN Hash slot not served"   # before the state check
    assert route(v, [MINE]) == b"CLUSTERDOWN The cluster is down"
    assert route(v, [THEIRS]) == b"CLUSTERDOWN The cluster is down"    # no MOVED while down
    v = View(ok=False, reads_when_down=True)
    assert route(v, [MINE], is_write=True) == router.DOWN_RO
    assert route(v, [MINE]) is None
    assert route(v, [THEIRS]) == b"MOVED 8106 127.0.0.1:7001"


def test_migrating_ask_and_tryagain():
    v = View()
    v.migrating[2724] = v.third
    assert route(v, [MINE]) == b"ASK 2724 127.0.0.1:7002"
    assert route(v, [MINE], is_write=True) == b"ASK 2724 127.0.0.1:7002"
    assert route(v, [MINE], present={MINE}) is None
    assert route(v, [MINE, MINE2], present={MINE}) == router.TRYAGAIN
    assert route(v, [MINE, MINE2], present={MINE, MINE2}) is None
    assert route(v, [MINE, MINE2]) == b"ASK 2724 127.0.0.1:7002"
    # MIGRATE is served locally on an open slot
    assert route(v, [MINE], is_migrate=True) is None


def test_importing_needs_asking():
    v = View()
    v.importing[8106] = v.other
    assert route(v, [THEIRS]) == b"MOVED 8106 127.0.0.1:7001"
    assert route(v, [THEIRS], asking=True) is None
    assert route(v, [THEIRS, b"{user1}.b"], asking=True) == router.TRYAGAIN
    assert route(v, [THEIRS, b"{user1}.b"], asking=True,
                 present={THEIRS, b"{user1}.b"}) is None
    assert route(v, [THEIRS, THEIRS], asking=True) is None     # same key twice: not multi-key
    assert route(v, [THEIRS], is_migrate=True) is None


def test_importing_an_unassigned_slot_is_not_served():
    v = View()
    v.importing[12182] = v.other
    assert route(v, [NOBODY], asking=True) == router.NOT_SERVED


def test_readonly_replica_reads():
    v = View()
    v.myself.flags = {"myself", "slave"}
    v.myself.master_id = v.other.id
    assert route(v, [THEIRS], readonly=True) is None
    assert route(v, [THEIRS], readonly=True, is_write=True) == b"MOVED 8106 127.0.0.1:7001"
    assert route(v, [THEIRS]) == b"MOVED 8106 127.0.0.1:7001"


@settings(max_examples=100, deadline=None)
@given(hst.lists(hst.binary(max_size=6), min_size=1, max_size=5), hst.booleans(),
       hst.booleans(), hst.booleans())
def test_router_model(keys, ok, asking, is_write):
    """Against a straightforward restatement of the rules with a random owner table."""
    v = View(ok=ok)
    slot = keyslot(keys[0])
    res = route(v, keys, asking=asking, is_write=is_write)
    owner = v.owner[slot]
    if owner is None:
        assert res == router.NOT_SERVED
    elif any(keyslot(k) != slot for k in keys):
        assert res == router.CROSSSLOT
    elif not ok:
        assert res == router.DOWN
    elif owner is v.myself:
        assert res is None
    else:
        assert res == b"MOVED %d 127.0.0.1:7001" % slot


@settings(max_examples=100, deadline=None)
@given(hst.sets(hst.integers(0, NSLOTS - 1), max_size=200))
def test_format_ranges_is_canonical(slots):
    toks = format_ranges(sorted(slots))
    back = set()
    prev_end = -2
    for t in toks:
        a, _, b = t.partition("-")
        a, b = int(a), int(b or a)
        assert a <= b and a > prev_end + 1     # maximal runs, ascending
        if a == b:
            assert "-" not in t               # single slots alone
        back.update(range(a, b + 1))
        prev_end = b
    assert back == slots
