"""Acceptance (black box): the single-node command families of issue 2 (strings, keys, expiry,
transactions, connection/server) driven side by side on redshard and a real Redis 7.0.15 with raw
RESP2 and RESP3 connections; replies compared byte for byte, except where Redis's reply order is
unspecified (KEYS, SCAN: compared as sorted sets; cursors as zero / non-zero) or time-dependent
(TTLs: compared within a tolerance). WATCH scenarios use two connections per server."""

import shlex
import time

import pytest

from servers import RawConn

STRINGS = r"""
set "" ""
get ""
strlen ""
exists ""
set k v ex 9223372036854775807
set k v px 9223372036854775807
set k v exat 9223372036854775807
set k v pxat 9223372036854775807
set k v ex 4611686018427387
set k v ex 9223372036854776
set k v ex 1.5
set k v px -1
set k v ex
set k v get get
set k v nx get
get k
set k v xx nx
set k v keepttl persist
set k v pxat 1
get k
set k v exat 1
set k v keepttl
set k v ex 100 keepttl
set k v NX XX
set k v nX
set k v Ex 100
ttl k
set k v2 keepttl
ttl k
set k v3 get xx keepttl
ttl k
set k v4 px 100000 get
pttl k
incr k
set n 9223372036854775807
incr n
set n -9223372036854775808
decr n
incrby n -1
decrby n 1
decrby n -9223372036854775808
set n " 1"
incr n
set n "1 "
incr n
set n 01
incr n
set n +1
incr n
set n 1.0
incr n
incrbyfloat n 1
set n 1.5
incrbyfloat n 0.1
incrbyfloat n 1e17
incrbyfloat n -1e17
set n 3
incrbyfloat n 5.0e3
incrbyfloat n 1.23456789012345678
incrbyfloat n "1 "
incrbyfloat n " 1"
incrbyfloat n ""
set n ""
incrbyfloat n 1
set n 10
incrbyfloat n -10
get n
incrbyfloat n 1e-20
incrbyfloat n 2.0000000000000000001
set n 1e5
incrbyfloat n 1
set n 0x10
incrbyfloat n 1
incrbyfloat x 10.50
incrbyfloat y 3.0e-3
incrbyfloat y 1.7976931348623157e308
incrbyfloat y 1.7976931348623157e308
incr
incrby n 1.5
incrby n 99999999999999999999
incrby n ""
decrby n -1
append newk ""
exists newk
append newk abc
getrange newk 0 0
getrange newk -100 100
getrange newk 2 1
getrange newk -1 -2
getrange newk 0 9223372036854775807
getrange newk -9223372036854775808 9223372036854775807
getrange nokey 0 -1
getrange newk 3 3
getrange "" 0 -1
setrange newk 536870911 ""
setrange newk 536870912 ""
setrange nokey2 536870911 ""
setrange nokey2 9223372036854775807 x
setrange newk 9223372036854775807 x
setrange newk -9223372036854775808 x
setrange newk 1.5 x
append newk x
strlen nokey
mget
mget a
mset "" ""
get ""
msetnx x 1 x 2
msetnx x2 1 x2 2
get x2
getset x2
getdel x2 x2
getex x2 ex 10 px 10
getex x2 ex 10 ex 10
getex x2 ex -1
getex x2 px 0
getex x2 exat 0
getex x2 pxat 0
getex x2 ex 9223372036854775807
getex x2 exat 9223372036854775807
getex x2 persist persist
getex x2 ex
getex x2 foo
getex x2
getex x2 exat 1
exists x2
getex nokey ex 0
getex nokey ex x
getex nokey px 9223372036854775807
set w 1
getex w ex 0
getex w ex x
set s ab
lcs s s
lcs s nokey
lcs nokey nokey2
set s1 ohmytext
set s2 mynewtext
lcs s1 s2
lcs s1 s2 len
lcs s1 s2 idx
lcs s1 s2 idx minmatchlen 4
lcs s1 s2 idx withmatchlen
lcs s1 s2 idx withmatchlen minmatchlen 0 len
lcs s1 s2 len idx
lcs s1 s2 minmatchlen 3
lcs s1 s2 minmatchlen
substr s1 0 -1
substr s1
substr s1 a b
getrange s1 0
setex s 9223372036854775807 v
setex s 9223372036854776 v
setex s -1 v
psetex s -1 v
psetex s 9223372036854775807 v
setnx
setnx s
mset a 1 b 2 c 3
object encoding a
set e 12345678901234567890
object encoding e
set e 1234567890123456789
object encoding e
set e -0
object encoding e
set e 0
object encoding e
set e " 1"
object encoding e
set e 01
object encoding e
set e -1
object encoding e
append e 1
object encoding e
set e xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
object encoding e
set e xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
object encoding e
setrange e 0 y
object encoding e
incr nn
object encoding nn
incrbyfloat ff 1.5
object encoding ff
getset ff 1
object encoding ff
"""

KEYS = r"""
set a 1
expire a 100 GT
ttl a
expire a 100 LT
ttl a
pexpire a 200000 xx gt
expire a 100 NX NX
expire a 9223372036854775
expire a 9223372036854776
pexpire a 9223372036854775807
expire a -9223372036854775808
pexpire a -9223372036854775808
expireat a -9223372036854775808
expireat a 1.5
expire a ""
expire a 10 ""
set a 1
expireat a 1
exists a
set a 1
pexpireat a 0
exists a
set a 1
expire a 1000
expire a 999 GT
expire a 1001 LT
persist a GT
persist a x
expiretime nokey
pexpiretime nokey
set p 1
expiretime p
pexpiretime p
ttl nokey
pttl nokey
ttl p
pttl p
ttl
ttl a b
rename nokey x
rename a a
rename nokey nokey
renamenx a a
renamenx nokey nokey
set a 1
expire a 1000
rename a b
ttl b
renamenx b a
set b2 x
renamenx b b2
rename b b2
get b2
ttl b2
copy b2 b2
copy b2 b3 db 0
copy b2 b3 db 0 replace
copy b2 b4 db -1
copy b2 b4 db 15
copy b2 b4 db 15
copy b2 b4 db 15 replace
copy b2 b4 replace replace
copy b2 b4 db 1 db 2
copy nokey b5
copy b2 b6 REPLACE DB 3
select 3
get b6
ttl b6
move b6 0
select 0
move b2 0
move b2 -1
move b2 16
move b2 1.5
move nokey 1
set b6 zz
select 3
move b6 0
select 0
get b6
copy b6 b6 db 0
del
del nokey
exists
exists nokey nokey
touch
unlink
type
keys
keys ""
keys *
mset h1 1 hallo 2 hello 3 hillo 4 hbllo 5 h\\llo 6 "h*llo" 7 "h?llo" 8
keys h?llo
keys h*llo
keys h[ae]llo
keys h[^e]llo
keys h[a-b]llo
keys h[b-a]llo
keys h\\*llo
keys h\\?llo
keys "h[\\]llo"
keys h[
keys h[a
keys [
keys *[
keys *\\
keys ?
keys **o
keys h*l*o
scan 0 type string count 1000 match h?llo
scan 0 type none
scan 0 type list
scan 0 type foo
scan 0 type String count 1000 match h1
scan 0 count -1
scan 0 count 9223372036854775807 match h1
scan 18446744073709551616
scan 1.5
scan 0 match h1 match h2
scan 0 type
scan 0 count 1000 novalue
randomkey x
flushall
randomkey
scan 0
object encoding nokey
object freq nokey
set o 1
object freq o
object refcount o
object refcount nokey
object idletime nokey
object encoding o o
object help x
object encoding
dbsize
touch o o o nokey
type o
dump
restore
restore x 0
"""

TRANSACTIONS = r"""
discard
exec
multi
multi
ping
exec
multi
set a 1
get
incr a
exec
multi
set a 1
nosuch
exec
get a
multi
set a x
incr a
get a
exec
multi
watch a
exec
multi
discard
discard
unwatch
watch
multi
select 1
set k dbone
select 0
exec
get k
select 1
get k
select 0
multi
exec
multi
multi
discard
multi
flushall
exec
multi
set x 1
expire x 100
ttl x
persist x
ttl x
exec
multi
set s 1
exec
multi
quit
multi
reset
multi
hello 3 foo
exec
multi
echo
echo a b
exec
multi
set k v ex 0
get k
exec
multi
set n 1
incrby n x
incr n
exec
"""

CONNECTION_SERVER = r"""
ping
ping a
ping a b
echo
echo ""
select
select -1
select 16
select 1.5
select 0x1
select " 1"
select 15
select 0
dbsize
dbsize x
flushdb
flushdb async sync
config get proto-max-bulk-len
config get maxmemory-policy
config get databases
config get nosuch
config get
config set
config set nosuch 1
config set maxmemory-policy foo
config set proto-max-bulk-len 1
config set maxclients
config resetstat x
client id x
client getname
client setname ""
client getname
client setname "a b"
client setname ok
client getname
client reply
client reply foo
client no-evict
client no-evict maybe
client no-evict on
client no-evict off
client kill
client kill 1.2.3.4:5
client kill id 999999
client kill id x
client kill addr
client kill foo bar
client kill maxage x
client kill skipme maybe
client foo
client
client info x
client list type
client list type foo
client list id
client list id x
client list id 99999999
client pause
client pause x
client pause 10 foo
client unpause x
hello 4
hello 1
hello x
hello 3 auth
hello 3 auth default
hello 3 setname "a b"
hello 3 foo
auth
auth x
auth a b
auth a b c
info x y z
time x
type
wait 0
command getkeys
command getkeys get
command getkeys nosuch a
command getkeys ping
command info nosuch
command docs nosuch
command list filterby
command list filterby aclcat nosuch
command list filterby x y
command foo
command help x
object
"""

# SET/GETEX/EXPIRE option combinations and bounds, OBJECT FREQ/IDLETIME under each maxmemory
# policy, COPY/MOVE across databases
OPTIONS = r"""
set k v
object freq k
config set maxmemory-policy allkeys-lfu
object freq k
object idletime k
config set maxmemory-policy volatile-lfu
object freq k
config set maxmemory-policy allkeys-lru
object idletime k
object freq k
config set maxmemory-policy noeviction
set k v ex 100 nx
set k v px 100 xx get keepttl
set k v exat 4102444800 keepttl
set k v pxat 4102444800000 get nx
set k v keepttl get xx
get k
set k v ex 100 px 100
set k v ex 100 exat 100
set k v px 100 pxat 100
set k v keepttl px 100
set k v keepttl keepttl
set k v xx xx
set k v get nx
set k2 v get nx
set k2 v2 get nx
set k v ex 0
set k v ex -1
set k v px 0
set k v pxat 0
set k v exat -1
set k v pxat -1
set k v ex 9223372036854775807
set k v ex 9223372036854775
set k v px 9223372036854775807
set k v pxat 9223372036854775807
set k v exat 9223372036854775807
set k v exat 9223372036854775
set k v ex abc
set k v ex 1.0
set k v ex " 1"
getex k ex 9223372036854775
getex k px 9223372036854775807
getex k exat 9223372036854775
getex k pxat 9223372036854775807
getex k exat -1
getex k pxat -1
expire k 9223372036854775 xx
pexpireat k 9223372036854775807
expireat k 9223372036854775
expire k 9223372036854775807
pexpire k 9223372036854775807
pexpire k 9223372036854775000
expire k 9223372036854774
ttl k
flushall
setex k 1.5 v
psetex k 1.5 v
setex k 0x10 v
copy nokey x db 0
set a 1
copy a a db 0
copy a a db 1
copy a a db 1
copy a b db 1 replace
select 1
exists a b
select 0
move a 0
move a 1
move nokey 1
set a 1
expire a 1000
copy a c db 2
select 2
ttl c
select 0
getdel a
ttl a
"""

# 512 MB / proto-max-bulk-len boundaries (checked without allocating), huge ranges
LIMITS = r"""
config set proto-max-bulk-len 1048576
setrange k 1048575 x
setrange k 1048576 ""
setrange k 1048576 x
set a 1
append a ""
setrange a 1048574 xx
strlen a
setrange a 0 ""
append a xx
config set proto-max-bulk-len 536870912
set big 1
setrange big 536870911 ""
setrange big 536870912 ""
getrange big 0 536870911
getrange big 536870911 -1
lcs big big
incrbyfloat big 1e308
incrbyfloat big 1e308
"""

# MEMORY USAGE (exact for strings written by SET; APPEND/SETRANGE leave Redis's sds with greedy
# free space we do not model, so those are not compared) and MEMORY HELP / errors
MEMORY = r"""
set a 1
memory usage a
set abc 12345
memory usage abc
set k hello
memory usage k
set k xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
memory usage k
set k xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
memory usage k
set kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk v
memory usage kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk
set k 123456789012345
memory usage k
set k -1
memory usage k
set k ""
memory usage k
set k 12345678901234567890
memory usage k
append k 0
setrange k 1000 x
memory usage nokey
memory usage k samples x
memory usage k samples -1
memory usage k samples
memory usage k foo
memory usage
memory help
memory help x
memory foo
memory
"""

# DEBUG POPULATE: names, values, padding, existing keys skipped, bad counts and sizes
POPULATE = r"""
set key:1 mine
debug populate 3
mget key:0 key:1 key:2 key:3
debug populate 2 pre 3
debug populate 2 pre2 12
debug populate 2 pre3 0
mget pre:0 pre:1 pre2:1 pre3:1
object encoding key:2
strlen pre2:0
debug populate -1
debug populate x
debug populate 01
debug populate 2 pre4 -1
debug populate 1 a b c
debug populate
dbsize
multi
debug populate 5 m
exec
dbsize
"""

# commands queued in MULTI that Redis refuses or runs specially (no_multi, admin, blocking)
IN_MULTI = r"""
multi
monitor
shutdown nosave
debug sleep 0
client pause 1
wait 0 0
save
bgsave
flushall
config set hz 10
client kill id 99999999
exec
"""

# ---- reply normalisation -------------------------------------------------------------------------
def parse(buf, i=0):
    """A minimal RESP2/RESP3 parser: (value, next index); aggregates as (type, [items])."""
    t = buf[i:i + 1]
    j = buf.index(b"\r\n", i)
    line = buf[i + 1:j]
    i = j + 2
    if t in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return (t, None), i
        return (t, buf[i:i + n]), i + n + 2
    if t in (b"*", b"~", b"%", b">", b"|"):
        n = int(line)
        if n < 0:
            return (t, None), i
        n *= 2 if t in (b"%", b"|") else 1
        out = []
        for _ in range(n):
            x, i = parse(buf, i)
            out.append(x)
        return (t, out), i
    return (t, line), i


TTL_TOLERANCE = {b"TTL": 2, b"PTTL": 2000, b"EXPIRETIME": 2, b"PEXPIRETIME": 2000}


def same_reply(args, x, y):
    """True when reply bytes x (redshard) and y (Redis) agree for command `args`."""
    if x == y:
        return True
    name = args[0].upper()
    if isinstance(name, str):
        name = name.encode()
    try:
        (vx, _), (vy, _) = parse(x), parse(y)
    except (ValueError, IndexError):
        return False
    if name in TTL_TOLERANCE and vx[0] == vy[0] == b":":
        a, b = int(vx[1]), int(vy[1])
        return a == b or (a > 0 and b > 0 and abs(a - b) <= TTL_TOLERANCE[name])
    if name == b"KEYS" and vx[0] == vy[0] and vx[1] is not None:
        return sorted(vx[1]) == sorted(vy[1])
    if (name == b"OBJECT" and args[1].upper() in ("IDLETIME", b"IDLETIME")
            and vx[0] == vy[0] == b":"):
        # seconds since the last access: a one-second clock tick may fall between the two
        return abs(int(vx[1]) - int(vy[1])) <= 1
    if name == b"SCAN" and vx[0] == vy[0] == b"*" and len(vx[1]) == 2 == len(vy[1]):
        (cx, kx), (cy, ky) = vx[1], vy[1]
        return ((cx[1] == b"0") == (cy[1] == b"0") and kx[0] == ky[0]
                and sorted(kx[1]) == sorted(ky[1]))
    return False


def run_script(our_port, redis_port, script, proto):
    """Run each line on both servers; return the mismatches [(line, ours, redis)]."""
    a, b = RawConn(our_port), RawConn(redis_port)
    for c in (a, b):
        c.cmd("HELLO", proto)
        c.cmd("FLUSHALL")
    bad = []
    for line in script.strip().split("\n"):
        if not line.strip() or line.startswith("#"):
            continue
        args = shlex.split(line)
        x, y = a.cmd(*args), b.cmd(*args)
        if not same_reply(args, x, y):
            bad.append((line, x, y))
        if args[0].lower() == "quit":
            a, b = RawConn(our_port), RawConn(redis_port)
            for c in (a, b):
                c.cmd("HELLO", proto)
    for c in (a, b):
        c.cmd("FLUSHALL")
    return bad


@pytest.mark.parametrize("proto", ["2", "3"])
@pytest.mark.parametrize("name", ["STRINGS", "KEYS", "TRANSACTIONS", "CONNECTION_SERVER",
                                  "OPTIONS", "LIMITS", "MEMORY", "POPULATE"])
def test_script_matches_real_redis(node, real_redis, name, proto):
    bad = run_script(node.port, real_redis.port, globals()[name], proto)
    assert not bad, "\n".join("%s\n  ours:  %r\n  redis: %r" % m for m in bad)
    assert "error in" not in node.logtext()


# ---- WATCH: two connections ('a' watches and runs EXEC, 'b' interferes) ----------------------------
SC = {
 "other_db_write": [("a","SET","k","1"),("a","WATCH","k"),("b","SELECT","1"),("b","SET","k","2"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "flushall_existing": [("a","SET","k","1"),("a","WATCH","k"),("b","FLUSHALL"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "flushall_missing": [("a","WATCH","k"),("b","SET","z","1"),("b","FLUSHALL"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "flushdb_other_db": [("a","SET","k","1"),("a","WATCH","k"),("b","SELECT","2"),("b","SET","k","1"),("b","FLUSHDB"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "flushall_other_db_only": [("a","WATCH","k"),("b","SELECT","2"),("b","SET","k","1"),("b","FLUSHALL"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "expired_before_exec": [("a","SET","k","1","PX","50"),("a","WATCH","k"),("sleep",0.2),("a","MULTI"),("a","PING"),("a","EXEC")],
 "expired_before_watch": [("a","SET","k","1","PX","20"),("sleep",0.1),("a","WATCH","k"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "expired_read_by_other": [("a","SET","k","1","PX","50"),("a","WATCH","k"),("sleep",0.2),("b","GET","k"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "missing_set_and_deleted": [("a","WATCH","k"),("b","SET","k","1"),("b","DEL","k"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "watch_in_multi": [("a","MULTI"),("a","WATCH","k"),("a","EXEC")],
 "own_write": [("a","WATCH","k"),("a","SET","k","1"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "same_value": [("a","SET","k","1"),("a","WATCH","k"),("b","SET","k","1"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "expire_by_other": [("a","SET","k","1"),("a","WATCH","k"),("b","EXPIRE","k","100"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "persist_noop": [("a","SET","k","1"),("a","WATCH","k"),("b","PERSIST","k"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "read_by_other": [("a","SET","k","1"),("a","WATCH","k"),("b","GET","k"),("b","TTL","k"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "del_missing": [("a","WATCH","k"),("b","DEL","k"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "select_after_watch": [("a","SET","k","1"),("a","WATCH","k"),("a","SELECT","1"),("b","SET","k","2"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "rename_onto": [("a","SET","k","1"),("a","SET","j","2"),("a","WATCH","k"),("b","RENAME","j","k"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "rename_from": [("a","SET","k","1"),("a","WATCH","k"),("b","RENAME","k","j"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "move_away": [("a","SET","k","1"),("a","WATCH","k"),("b","MOVE","k","3"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "move_into_watched_db": [("a","WATCH","k"),("b","SELECT","3"),("b","SET","k","1"),("b","MOVE","k","0"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "copy_onto": [("a","SET","j","1"),("a","WATCH","k"),("b","COPY","j","k"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "copy_db": [("a","SET","j","1"),("a","WATCH","k"),("b","SELECT","5"),("b","SET","x","1"),("b","COPY","x","k","DB","0"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "unwatch": [("a","WATCH","k"),("b","SET","k","1"),("a","UNWATCH"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "discard_clears": [("a","WATCH","k"),("b","SET","k","1"),("a","MULTI"),("a","DISCARD"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "exec_clears": [("a","WATCH","k"),("b","SET","k","1"),("a","MULTI"),("a","EXEC"),("b","SET","k","2"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "incr_fails_wrongtype": [("a","SET","k","x"),("a","WATCH","k"),("b","INCR","k"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "setnx_fails": [("a","SET","k","x"),("a","WATCH","k"),("b","SETNX","k","y"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "getex_ttl_change": [("a","SET","k","x"),("a","WATCH","k"),("b","GETEX","k","EX","100"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "getex_plain": [("a","SET","k","x"),("a","WATCH","k"),("b","GETEX","k"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "append_empty": [("a","SET","k","x"),("a","WATCH","k"),("b","APPEND","k",""),("a","MULTI"),("a","PING"),("a","EXEC")],
 "setrange_empty": [("a","SET","k","x"),("a","WATCH","k"),("b","SETRANGE","k","0",""),("a","MULTI"),("a","PING"),("a","EXEC")],
 "expire_past": [("a","SET","k","x"),("a","WATCH","k"),("b","EXPIRE","k","-1"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "expire_nx_fails": [("a","SET","k","x","EX","100"),("a","WATCH","k"),("b","EXPIRE","k","10","NX"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "reset": [("a","WATCH","k"),("b","SET","k","1"),("a","RESET"),("a","MULTI"),("a","PING"),("a","EXEC")],
 "multi_error_exec": [("a","MULTI"),("a","SET","k"),("a","SET","k","1"),("a","EXEC"),("a","GET","k")],
 "exec_wrongtype_partial": [("a","SET","k","x"),("a","MULTI"),("a","INCR","k"),("a","SET","k2","v"),("a","EXEC"),("a","GET","k2")],
}


def run_watch(port, steps):
    a, b = RawConn(port), RawConn(port)
    a.cmd("FLUSHALL")
    out = []
    for s in steps:
        if s[0] == "sleep":
            time.sleep(s[1])
            continue
        out.append((a if s[0] == "a" else b).cmd(*s[1:]))
    a.cmd("FLUSHALL")
    return out


@pytest.mark.parametrize("name", sorted(SC))
def test_watch_scenario_matches_real_redis(node, real_redis, name):
    assert run_watch(node.port, SC[name]) == run_watch(real_redis.port, SC[name])


def test_pathological_glob_patterns_answer_quickly_as_redis(node, real_redis):
    """KEYS / SCAN MATCH with many stars against long keys: no exponential backtracking (the node
    would stop serving everyone), same replies as Redis."""
    pats = ["*a" * 30 + "*b", "*a" * 30 + "*", "a*" * 40 + "a", "*?" * 30 + "*b", "*[ab]" * 25 + "*c"]
    for port in (node.port, real_redis.port):
        c = RawConn(port)
        c.cmd("FLUSHALL")
        c.cmd("SET", "a" * 80, "1")
        c.cmd("SET", "a" * 40 + "b", "1")
    a, b = RawConn(node.port), RawConn(real_redis.port)
    for p in pats:
        t = time.time()
        x = a.cmd("KEYS", p)
        assert time.time() - t < 2, p
        assert same_reply(["KEYS"], x, b.cmd("KEYS", p)), p
        x = a.cmd("SCAN", "0", "MATCH", p, "COUNT", "1000")
        assert same_reply(["SCAN"], x, b.cmd("SCAN", "0", "MATCH", p, "COUNT", "1000")), p
    a.cmd("FLUSHALL")
    b.cmd("FLUSHALL")


def test_object_idletime_and_freq_track_access_as_redis(node, real_redis):
    import hiredis
    outs = []
    for port in (node.port, real_redis.port):
        c = RawConn(port)
        c.cmd("SET", "k", "v")
        rd = hiredis.Reader()
        rd.feed(c.cmd("DUMP", "k"))
        payload = rd.gets()
        out = [c.cmd("RESTORE", "r", "0", payload, "IDLETIME", "1000", "REPLACE"),
               c.cmd("OBJECT", "IDLETIME", "r")]
        c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        try:
            out += [c.cmd("RESTORE", "f", "0", payload, "FREQ", "77", "REPLACE"),
                    c.cmd("OBJECT", "FREQ", "f")]
        finally:
            c.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")
        c.cmd("FLUSHALL")
        outs.append(out)
    assert outs[0] == outs[1]


def _int(reply):
    assert reply.startswith(b":"), reply
    return int(reply[1:-2])


def test_object_idletime_grows_until_an_access_and_only_real_accesses_reset_it(node, real_redis):
    conns = [RawConn(node.port), RawConn(real_redis.port)]
    for c in conns:
        c.cmd("FLUSHALL")
        for k in ("a", "b", "t", "e"):
            c.cmd("SET", k, "v")
        c.cmd("RPUSH", "l", "x")
    time.sleep(2.3)
    results = []
    for c in conns:
        # lookups that are not accesses (Redis's LOOKUP_NOTOUCH) leave the clock alone
        for cmd in (("TTL", "a"), ("PTTL", "a"), ("TYPE", "a"), ("EXISTS", "a"),
                    ("OBJECT", "ENCODING", "a"), ("OBJECT", "REFCOUNT", "a"),
                    ("MEMORY", "USAGE", "a"), ("EXPIRETIME", "a"), ("SCAN", "0"),
                    ("KEYS", "*"), ("DBSIZE",)):
            c.cmd(*cmd)
        # reads, writes and TOUCH are accesses
        c.cmd("GET", "b")
        c.cmd("TOUCH", "t")
        c.cmd("EXPIRE", "e", "100")
        c.cmd("LRANGE", "l", "0", "-1")
        results.append({k: _int(c.cmd("OBJECT", "IDLETIME", k)) for k in "abtel"})
    ours, redis = results
    for res in results:
        assert res["a"] >= 2
        assert all(res[k] <= 1 for k in "btel"), res
    assert ours.keys() == redis.keys()
    for c in conns:
        c.cmd("FLUSHALL")


def test_client_no_touch_keeps_idletime_except_for_touch(node):
    c, other = RawConn(node.port), RawConn(node.port)
    c.cmd("SET", "nt", "v")
    c.cmd("SET", "nt2", "v")
    time.sleep(2.3)
    assert c.cmd("CLIENT", "NO-TOUCH", "ON") == b"+OK\r\n"
    c.cmd("GET", "nt")
    c.cmd("MULTI")
    c.cmd("GET", "nt")
    c.cmd("EXEC")
    assert _int(c.cmd("OBJECT", "IDLETIME", "nt")) >= 2
    c.cmd("TOUCH", "nt")             # TOUCH still touches (Redis 7.2)
    assert _int(c.cmd("OBJECT", "IDLETIME", "nt")) <= 1
    other.cmd("GET", "nt2")          # other clients are not affected
    assert _int(c.cmd("OBJECT", "IDLETIME", "nt2")) <= 1
    c.cmd("CLIENT", "NO-TOUCH", "OFF")
    c.cmd("DEL", "nt", "nt2")


def test_lfu_counter_follows_redis_log_increment_and_object_moves(node, real_redis):
    res = []
    for port in (node.port, real_redis.port):
        c = RawConn(port)
        c.cmd("FLUSHALL")
        c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        try:
            out = {}
            c.cmd("SET", "k", "v")
            out["new"] = _int(c.cmd("OBJECT", "FREQ", "k"))          # LFU_INIT_VAL
            c.cmd("GET", "k")
            out["one_get"] = _int(c.cmd("OBJECT", "FREQ", "k"))      # p = 1 below the init value
            for _ in range(400):
                c.cmd("GET", "k")
            out["many"] = _int(c.cmd("OBJECT", "FREQ", "k"))
            c.cmd("SET", "k", "v2")                                  # overwrite keeps the counter
            out["overwritten"] = _int(c.cmd("OBJECT", "FREQ", "k"))
            c.cmd("RENAME", "k", "k2")                               # the object moves
            out["renamed"] = _int(c.cmd("OBJECT", "FREQ", "k2"))
            c.cmd("COPY", "k2", "k3")                                # a new object
            out["copied"] = _int(c.cmd("OBJECT", "FREQ", "k3"))
            c.cmd("DEL", "k2")
            c.cmd("SET", "k2", "v")
            out["recreated"] = _int(c.cmd("OBJECT", "FREQ", "k2"))
            out["idletime"] = c.cmd("OBJECT", "IDLETIME", "k2")[:30]
            out["missing"] = c.cmd("OBJECT", "FREQ", "nope")
            res.append(out)
        finally:
            c.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")
            c.cmd("FLUSHALL")
    ours, redis = res
    for out in res:
        assert (out["new"], out["one_get"], out["copied"], out["recreated"]) == (5, 6, 5, 5)
        assert 8 <= out["many"] <= 40, out
        assert out["many"] <= out["overwritten"] <= out["renamed"] <= out["many"] + 3, out
    assert ours["idletime"] == redis["idletime"] == b"-ERR An LFU maxmemory policy is sel"[:30]
    assert ours["missing"] == redis["missing"]


def test_hotkeys_in_redis_cli_finds_the_most_accessed_key(node):
    import subprocess
    c = RawConn(node.port)
    c.cmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    try:
        for k in ("cold1", "cold2", "hot"):
            c.cmd("SET", k, "v")
        for _ in range(300):
            c.cmd("GET", "hot")
        out = subprocess.run(["redis-cli", "-p", str(node.port), "--hotkeys"],
                             capture_output=True, text=True, timeout=60).stdout
    finally:
        c.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")
        c.cmd("DEL", "cold1", "cold2", "hot")
    lines = [ln for ln in out.splitlines() if ln.startswith("hot key found")]
    assert lines and lines[0].endswith('keyname: "hot"'), out     # hottest first
    assert int(lines[0].split("counter: ")[1].split()[0]) >= 8


@pytest.mark.parametrize("proto", ["2", "3"])
def test_command_docs_and_info_bytes_equal_redis_for_string_key_transaction_commands(
        node, real_redis, proto):
    import redshard.commands  # noqa: F401
    from redshard.commands.table import all_commands
    mods = {"redshard.commands.strings", "redshard.commands.keys",
            "redshard.commands.transactions"}
    names = [x.fullname for c in all_commands().values()
             for x in [c] + list(c.subcommands.values()) if x.handler.__module__ in mods]
    assert len(names) > 50
    a, b = RawConn(node.port), RawConn(real_redis.port)
    for c in (a, b):
        c.cmd("HELLO", proto)
    bad = [n for n in names for sub in ("DOCS", "INFO")
           if a.cmd("COMMAND", sub, n) != b.cmd("COMMAND", sub, n)]
    assert not bad


@pytest.mark.parametrize("proto", ["2", "3"])
def test_no_multi_command_in_multi_aborts_exec_as_redis(node, real_redis, proto):
    bad = run_script(node.port, real_redis.port, IN_MULTI, proto)
    assert not bad, "\n".join("%s\n  ours:  %r\n  redis: %r" % m for m in bad)
