"""Differential tests: Lua scripting (EVAL family, SCRIPT) and redis-py's Lock/register_script."""

import time

import pytest
import redis

from .rawclient import RawClient
from .servers import start_predis, start_redis

SCRIPTS = [
    ("return 1", []), ("return 'hello'", []), ("return 3.99", []), ("return true", []),
    ("return false", []), ("return nil", []), ("return {1, 2, {3, 'x'}, nil, 5}", []),
    ("return {1, 2.5, 'a', true, false}", []), ("return {ok='FINE'}", []),
    ("return {err='My Error'}", []), ("return redis.error_reply('E2')", []),
    ("return redis.error_reply('E2 with space')", []), ("return redis.status_reply('S')", []),
    ("return KEYS[1] .. ARGV[1]", ["1", "k", "v"]), ("return #KEYS + #ARGV", ["2", "a", "b", "c"]),
    ("return redis.call('set', KEYS[1], ARGV[1])", ["1", "key", "val"]),
    ("return redis.call('get', KEYS[1])", ["1", "key"]),
    ("return redis.call('get', 'nokey')", []), ("return type(redis.call('get', 'nokey'))", []),
    ("return redis.call('incr', 'key')", []), ("return redis.pcall('incr', 'key')", []),
    ("local t = redis.pcall('incr', 'key'); return t['err']", []),
    ("return redis.call('nosuch')", []), ("return redis.pcall('nosuch')", []),
    ("return redis.call('get')", []),
    ("x = 5", []), ("return y", []), ("error('boom')", []), ("return error({err='E3 x'})", []),
    ("setmetatable(_G, {})", []), ("local g = getmetatable(_G); g.__index = {}", []),
    ("redis = function() return 1 end", []), ("redis.call = function() return 1 end", []),
    ("cjson.encode = 1", []), ("bit.band = 1", []), ("cmsgpack.pack = 1", []),
    ("string.foo = 1", []), ("rawset(_G, 'x', 1)", []), ("rawset(redis, 'call', 1)", []),
    ("setmetatable(redis, {})", []), ("return type(getmetatable(_G))", []),
    ("return ('abc'):upper() .. string.rep('a', 2) .. math.floor(2.5)", []),
    ("return loadstring(string.dump(function() return 1 end))()", []),
    ("return redis.acl_check_cmd('get', 'k')", []), ("return redis.acl_check_cmd()", []),
    ("return redis.acl_check_cmd('nosuch')", []), ("return redis.acl_check_cmd('get', {})", []),
    ("return x +", []), ("return redis.sha1hex('abc')", []), ("redis.sha1hex()", []),
    ("return redis.sha1hex('a', 'b')", []), ("return redis.sha1hex(1.5)", []),
    ("return redis.sha1hex({})", []), ("return redis.sha1hex(nil)", []),
    ("return redis.pcall('publish', 'ch', 'm')", []),
    ("return cjson.encode({1, 2, {a=1}})", []), ("return cjson.decode('[1,2,{\"a\":3}]')[3].a", []),
    ("return bit.band(7, 3)", []), ("return bit.tohex(255)", []), ("return bit.bxor(5, 3, 1)", []),
    ("redis.call('rpush', 'l', 'a', 'b'); return redis.call('lrange', 'l', 0, -1)", []),
    ("redis.call('hset', 'h', 'f', 'v'); return redis.call('hgetall', 'h')", []),
    ("return redis.call('ping')", []), ("return redis.call('type', 'l')", []),
    ("redis.setresp(3); return redis.call('hgetall', 'h')", []),
    ("redis.setresp(3); local m = redis.call('hgetall', 'h'); return m['map']['f']", []),
    ("redis.setresp(3); return type(redis.call('get', 'nokey'))", []),
    ("return type(loadstring)", []), ("return string.format('%d-%s', 5, 'x')", []),
    ("return math.floor(7.5)", []), ("return table.concat({'a','b'}, ',')", []),
    ("return redis.call('set', 'k', 'v', 'EX', 'bad')", []),
    ("return cmsgpack.pack({1,2,3}, 'abc', 1.5, -1, 300, {a=1}, true, 2^40, 0.1, "
     "string.rep('x', 40), -200, -40000)", []),
    ("local a, b, c = cmsgpack.unpack(cmsgpack.pack(1, 'x', {1, {k='v'}})); "
     "return {a, b, c[2]['k']}", []),
    ("return {cmsgpack.unpack_one(cmsgpack.pack(7, 8))}", []),
    ("return {cmsgpack.unpack_limit(cmsgpack.pack(7, 8, 9), 2)}", []),
    ("return struct.pack('>iHbc3s', 1, 2, -3, 'abcdef', 'zz')", []),
    ("return {struct.unpack('>iH', struct.pack('>iH', -5, 7))}", []),
    ("return struct.size('>iHd')", []), ("return {struct.unpack('<I3', 'abc')}", []),
    ("return struct.pack('!4 i b i', 1, 2, 3)", []), ("return {struct.unpack('s', 'ab\\0cd')}", []),
    ("return {struct.unpack('c0', struct.pack('Bc0', 3, 'xyz'))}", []),
    # what the random-scripts test found (test_random_scripts.py)
    ("return {1e20, 2^63, -2^63, 1/0, -1/0, 0/0, 3.7, -3.7}", []),
    ("return {{err=0}, {err=true}, {err={}}, {ok=1}, {ok={}}, {ok=true}, {err='a\\0b'}}", []),
    ("return {{ok='a\\0b'}, {err='x\\r\\n'}, {err=''}, {ok='a\\r\\nb'}}", []),
    ("return {redis.error_reply('\\0a'), redis.error_reply('x\\r\\n'), "
     "redis.error_reply('-'), redis.error_reply('- x'), redis.error_reply('-A B C')}", []),
    ("return {redis.error_reply(1), redis.status_reply('a', 'b'), redis.error_reply()}", []),
    ("redis.setresp(3); return {map={[1]='a', [1.5]='b', ['1']='c'}}", []),
    ("redis.setresp(3); return {map={[true]=1}, set={}}", []),
    ("return {verbatim_string={format='\\0ab', string='s'}}", []),
    ("return redis.call('echo', 100000000) .. redis.call('echo', 0.5)", []),
    ("return redis.pcall('object', 'nosuch')", []), ("return redis.pcall('object')", []),
    ("return redis.acl_check_cmd('object', 'nosuch')", []),
    # the bit library as LuaBitOp reads its arguments, and its errors (a library sweep)
    ("return {bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(2^53), "
     "bit.tobit('7'), bit.tobit(' 0x10 '), bit.tohex(255, 0), bit.tohex(-1, -4), "
     "bit.tohex(1, -2^31), bit.tohex(1/0), bit.rol(0x12345678, 0), bit.ror(1, 36)}", []),
    ("return bit.tobit('x')", []), ("return bit.tobit()", []), ("return bit.tobit(nil)", []),
    ("return bit.band(1, 'x', 'y')", []), ("local f = bit.rshift return f(1)", []),
    ("return bit:tobit()", []), ("return bit.tohex(1, nil)", []),
    # Redis's pcall: error tables and the errors of C functions come back as strings
    ("local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}", []),
    ("local ok, e = pcall(redis.call, 'get', 'a', 'b') return e", []),
    ("local ok, e = pcall(error, {err='x'}) return e", []),
    ("local ok, e = pcall(error, {err=5}) return e", []),
    ("local ok, e = pcall(bit.tobit) return e", []),
    ("return {pcall(function() return 1, nil, 3 end)}", []),
    # cjson.null: decoded nulls keep their place, encode as null, read as a NULL pointer
    ("local t = cjson.decode('[null,1,{\"a\":null}]') return {#t, cjson.encode(t), "
     "tostring(t[1]), type(t[3].a), tostring(t[1] == cjson.null)}", []),
    ("return cjson.null", []), ("return cmsgpack.pack(cjson.null)", []),
    # lua-cjson's parser: its tokens and words, numbers by strtod, errors at the caller's line
    ("return cjson.decode('[1 2]')", []), ("return cjson.decode('[1,]')", []),
    ("return cjson.decode('{\"a\"}')", []), ("return cjson.decode('[1]x')", []),
    ("return cjson.decode('\" \\\\x\"')", []), ("return cjson.decode('[')", []),
    ("return cjson.decode('\"\\\\ud83d\"')", []), ("return cjson.decode('{1:2}')", []),
    ("return cjson.encode(cjson.decode('[123456789012345678901234567890, 1e400, 0x1F, 01]'))",
     []),
    ("return cjson.encode(cjson.decode('[\"\\\\u00e9\\\\ud83d\\\\ude00\"]'))", []),
    ("return cjson.decode()", []), ("return cjson.decode({})", []), ("return cjson.decode(12)", []),
    ("return cjson.encode()", []), ("return cjson.encode(1/0)", []),
    ("local ok, e = pcall(cjson.decode, '[') return e", []),
    ("return cjson.encode({[1/0]=0})", []),
    # cmsgpack: doubles as lua-cmsgpack chooses their width, maps set key by key
    ("return {cmsgpack.pack(1e300), cmsgpack.pack(2^63), cmsgpack.pack(0/0), "
     "cmsgpack.pack({[true]=1}), cmsgpack.pack({[2^40]=1})}", []),
    ("return {cmsgpack.unpack('\\207\\128\\0\\0\\0\\0\\0\\0\\0'), "
     "cmsgpack.unpack('\\130\\1\\1\\195\\0')}", []),
    ("return cmsgpack.unpack('\\207\\1')", []), ("return cmsgpack.unpack('\\196\\1a')", []),
    ("return cmsgpack.pack()", []), ("return {cmsgpack.unpack_one('\\1\\2', 1)}", []),
    ("return {cmsgpack.unpack_limit('\\1\\2\\3', 2, 0)}", []),
    ("return {cmsgpack.unpack_limit('\\1\\2\\3', 0)}", []),
    ("return cmsgpack.unpack_one('\\1', 5)", []), ("return cmsgpack.unpack_one('\\1', -1)", []),
    ("return cmsgpack.unpack_limit('\\1')", []), ("return cmsgpack.unpack({})", []),
    # an error object that is no string nor table, as Lua's tostring writes it
    ("error()", []), ("error(true)", []), ("error(0.1 + 0.2)", []),
    # redis.log / setresp / set_repl: Redis's checks, errors at the script's line
    ("return redis.log()", []), ("return redis.log(1)", []), ("return redis.log(99, 'x')", []),
    ("return redis.log('a', 'x')", []), ("return redis.log('2', 'x', 1, {}, nil, 2.5)", []),
    ("return redis.set_repl()", []), ("return redis.set_repl(99)", []),
    ("return redis.set_repl('x')", []), ("return redis.setresp()", []),
    ("return redis.setresp(4)", []), ("redis.setresp('3') return redis.call('ping')", []),
    ("redis.setresp(2.5) return redis.call('ping')", []),
    ("local ok, e = pcall(redis.log) return e", []),
    # math.random: Redis's lrand48 sequence, one per process (both servers draw alike)
    ("return {math.random(100), math.random(1, 10), tostring(math.random())}", []),
    ("math.randomseed(42) return {math.random(1000), math.random(-5, -1)}", []),
    ("return math.random(0)", []), ("return math.random(5, 1)", []),
    ("return math.random(1, 2, 3)", []), ("return math.random('x')", []),
    ("return math.randomseed()", []),
    ("KEYS = nil return 1", []), ("ARGV = {} return 1", []),  # (read-only globals)
    # integers read as luaL_checkinteger reads them (NaN, infinity: LLONG_MIN)
    ("return {cmsgpack.unpack_one('\\1', 0/0)}", []), ("return struct.unpack('b', 'a', 1/0)", []),
    ("return math.random(1/0)", []), ("return cjson.encode_max_depth('x')", []),
    ("return {cjson.encode_max_depth(), cjson.encode_max_depth(5), cjson.encode_max_depth(0)}",
     []),
    ("KEYS[1] = 'x' return KEYS[1]", ["1", "k"]),
    # struct as lua_struct.c reads formats and converts values on x86-64
    ("return {struct.pack('!I5>', 1, -1, 0), struct.pack(' <i3', -2^31, 1, 1.5), "
     "struct.pack('<L', 2^64), struct.pack('<l', -1e30), struct.pack('<i16', -1)}", []),
    ("return {struct.unpack('>i16', string.rep('\\255', 16)), "
     "struct.unpack('c1c0', '3abc'), struct.unpack('fc0', 'abcdefgh'), struct.size('z')}", []),
    ("return struct.pack('=i', 1)", []), ("return struct.pack('c2', 0)", []),
    ("return struct.pack('ii')", []), ("return struct.unpack('b', 'a', 0)", []),
    ("return struct.unpack('b', 'a', -1)", []), ("return struct.pack('i33', 1)", []),
    ("return struct.size('s')", []), ("return struct.unpack('s', 'ab')", []),
    ("return redis.call('set', 'k', cjson.null)", []),
    ("return {struct.unpack('Bc0', struct.pack('Bc0', 3, 'xyz'))}", []),
]


@pytest.mark.parametrize("script,rest", SCRIPTS)
def test_eval(diff23, script, rest):
    d = diff23
    d.assert_same("SET", "key", "5")
    numkeys = rest[0] if rest else "0"
    expected, actual = d.both("EVAL", script, numkeys, *rest[1:])
    if isinstance(expected, str):  # error text: the sha and line suffix must match too
        assert actual == expected
    else:
        assert actual == expected, (script, expected, actual)


def test_eval_errors_and_script_cache(diff):
    diff.assert_same("EVAL", "return 1", "-1")
    diff.assert_same("EVAL", "return 1", "2", "a")
    diff.assert_same("EVAL", "return 1", "x")
    diff.assert_same("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0")
    sha = diff.assert_same("SCRIPT", "LOAD", "return ARGV[1]")
    diff.assert_same("EVALSHA", sha, "0", "hi")
    diff.assert_same("EVALSHA", sha.upper(), "0", "hi")
    diff.assert_same("SCRIPT", "EXISTS", sha, "0000")
    diff.assert_same("SCRIPT", "FLUSH")
    diff.assert_same("SCRIPT", "EXISTS", sha)
    diff.assert_same("SCRIPT", "FLUSH", "BAD")
    diff.assert_same("SCRIPT", "KILL")
    diff.assert_same("EVAL_RO", "return redis.call('set', 'a', 'b')", "0")
    diff.assert_same("EVAL_RO", "return redis.call('get', 'a')", "0")
    diff.assert_same("EVAL_RO", "return redis.call('publish', 'ch', 'm')", "0")
    diff.assert_same("EVAL", "return redis.call('eval', 'return 1', 0)", "0")


def test_redis_py_lock_and_register_script(servers):
    outcomes = []
    for server in servers:
        client = redis.Redis(port=server.port)
        client.flushall()
        lock = client.lock("resource", timeout=10)
        steps = [lock.acquire(blocking=False), client.lock("resource").acquire(blocking=False),
                 lock.extend(5), lock.reacquire(), lock.owned()]
        lock.release()
        steps.append(lock.locked())
        multiply = client.register_script("return redis.call('incrby', KEYS[1], ARGV[1]) * 2")
        steps += [multiply(keys=["counter"], args=[5]), multiply(keys=["counter"], args=[1])]
        outcomes.append(steps)
        client.close()
    assert outcomes[1] == outcomes[0]


LIB1 = """#!lua name=lib1
redis.register_function('f1', function(keys, args) return redis.call('ping') end)
redis.register_function{function_name='f2', callback=function(keys, args) return #keys + #args end, flags={'no-writes'}}"""


@pytest.mark.parametrize("protocol", [2, 3])
def test_functions(servers, protocol):
    from .rawclient import RawClient

    outcomes = []
    for server in servers:
        client = RawClient(server.port)
        if protocol == 3:
            client.call("HELLO", "3")
        client.call("FUNCTION", "FLUSH")
        steps = [client.call("FUNCTION", "LOAD", "return 1"), client.call("FUNCTION", "LOAD", LIB1),
                 client.call("FUNCTION", "LOAD", LIB1)]
        for body in ("x = 1", "redis.call('ping')", "return 1", "redis.register_function('bad name', function() end)",
                     "redis.register_function('f3', 'notafunc')",
                     "redis.register_function('f9', function(k, a) return y end)",
                     "local function helper() return 'h' end\nredis.register_function('f10', function(k, a) return helper() end)"):
            steps.append(client.call("FUNCTION", "LOAD", f"#!lua name=lib{len(steps)}\n{body}"))
        steps += [client.call("FUNCTION", "LOAD", "#!lua name=bad-name\nreturn 1"),
                  client.call("FUNCTION", "LOAD", "#!lua name=libz foo=bar\nreturn 1"),
                  client.call("FCALL", "f1", "0"), client.call("FCALL", "f2", "2", "a", "b", "c"),
                  client.call("FCALL_RO", "f1", "0"), client.call("FCALL_RO", "f2", "0"),
                  client.call("FCALL", "nope", "0"), client.call("FCALL", "f9", "0"),
                  client.call("FCALL", "f10", "0"),
                  client.call("FUNCTION", "LIST", "LIBRARYNAME", "lib1", "WITHCODE"),
                  client.call("FUNCTION", "STATS"), client.call("FUNCTION", "DELETE", "lib1"),
                  client.call("FUNCTION", "DELETE", "lib1"), client.call("FCALL", "f1", "0"),
                  client.call("FUNCTION", "FLUSH")]
        outcomes.append([_sorted_functions(step) for step in steps])
        client.close()
    assert outcomes[1] == outcomes[0]


def _sorted_functions(reply):
    """FUNCTION LIST's per-library function order is unspecified (a dict's): sort it."""
    if isinstance(reply, list) and reply and isinstance(reply[0], (list, dict)):
        return [_sorted_library(item) for item in reply]
    return reply


def _sorted_library(library):
    if isinstance(library, dict):
        library = dict(library)
        if b"functions" in library:
            library[b"functions"] = sorted(library[b"functions"], key=repr)
        return library
    if isinstance(library, list) and b"functions" in library:
        library = list(library)
        index = library.index(b"functions") + 1
        library[index] = sorted(library[index], key=repr)
    return library


def test_function_dump_and_restore(servers):
    from .rawclient import RawClient

    ref, predis = (RawClient(s.port) for s in servers)
    library = ("#!lua name=dumped\nredis.register_function('dumped_f', function(keys, args) "
               "return 'hello from a function with a body long enough to be compressed' end)")
    for client in (ref, predis):
        client.call("FUNCTION", "FLUSH")
        client.call("FUNCTION", "LOAD", library)
    redis_payload = ref.call("FUNCTION", "DUMP")
    our_payload = predis.call("FUNCTION", "DUMP")
    outcomes = []
    for client, payload in ((ref, redis_payload), (predis, redis_payload), (predis, our_payload)):
        outcomes.append([client.call("FUNCTION", "RESTORE", payload),
                         client.call("FUNCTION", "RESTORE", payload, "APPEND"),
                         client.call("FUNCTION", "RESTORE", payload, "BAD"),
                         client.call("FUNCTION", "RESTORE", b"garbage"),
                         client.call("FUNCTION", "FLUSH"),
                         client.call("FUNCTION", "RESTORE", payload),
                         client.call("FCALL", "dumped_f", "0"),
                         client.call("FUNCTION", "RESTORE", payload, "REPLACE"),
                         client.call("FUNCTION", "RESTORE", payload, "FLUSH")])
    ref.call("SET", "plain", "v")
    string_dump = ref.call("DUMP", "plain")
    outcomes.append([ref.call("FUNCTION", "RESTORE", string_dump)])
    outcomes.append([predis.call("FUNCTION", "RESTORE", string_dump)])
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert outcomes[3] == outcomes[4]
    ref.close()
    predis.close()


@pytest.mark.parametrize("first_line", [
    "#! name=test", "#!lua name=foo name=bar", '#!lua name="quoted"', "#!lua NAME=upper",
    '#!lua name="unbalanced', "#!LUA name=shouting", "#!js name=x", "#!lua name=bad-name",
    "#!js name=bad-name", "#!lua name=ok extra", "#!lua", "lua name=x"])
def test_function_library_metadata_is_split_as_redis_splits_it(diff, first_line):
    """The first line goes through sdssplitargs (quotes allowed); `name=` in any case; the
    name is checked before the engine; a body with no newline is invalid metadata."""
    diff.assert_same("FUNCTION", "FLUSH")
    diff.assert_same("FUNCTION", "LOAD", first_line + "\nredis.register_function('f', "
                     "function() return 1 end)")
    diff.assert_same("FUNCTION", "LOAD", first_line)


def test_function_names_ignore_case_and_load_errors(diff):
    """Found by Redis's own suite: function names are case-insensitive (library names are
    not), compile errors and repeated metadata have their own words, and replies read tables
    raw (a metatable cannot break them)."""
    diff.assert_same("FUNCTION", "FLUSH")
    for args in (
            ["FUNCTION", "LOAD", "REPLACE", "#!lua name=test\nredis.register_function('test', "
             "function(KEYS, ARGV)\n return _G \nend)"],
            ["FCALL", "test", "0"], ["FCALL", "TEST", "0"], ["FCALL_RO", "Test", "0"],
            ["FCALL", "missing", "abc"], ["FCALL", "test", "abc"],  # (the function first)
            ["FUNCTION", "LOAD", "REPLACE", "#!lua name=test\nbad script"],
            ["FUNCTION", "LOAD", "REPLACE", "#!lua name=test foo=bar\nreturn 1"],
            ["FUNCTION", "LOAD", "REPLACE", "#!lua name=test name=x\nreturn 1"],
            ["FUNCTION", "LOAD", "REPLACE", "TYPE", "ALL"], ["FUNCTION", "LOAD", "NOSUCH", "x"],
            ["FUNCTION", "LOAD", "REPLACE", "REPLACE", "#!lua name=test\nbad"],
            ["FUNCTION", "LOAD", "REPLACE", "#!lua name=TEST\nredis.register_function('Test', "
             "function() return 2 end)"],
            ["FUNCTION", "LIST"], ["FUNCTION", "DELETE", "TEST"], ["FUNCTION", "DELETE", "test"],
            ["FCALL", "test", "0"],
            ["EVAL", "return _G", "0"],
            ["EVAL", "local a = {}; setmetatable(a, {__index=function() foo() end}) return a", "0"],
            ["EVAL", "local a = {1, 2}; setmetatable(a, {__index=function() foo() end}) return a",
             "0"],
            ["EVAL", "return setmetatable({}, {__index=function() return {err='x'} end})", "0"]):
        diff.assert_same(*args)
    # 'f' and 'F' in one library: Redis 7.0 accepts both and then crashes on FUNCTION DELETE
    # (its function count goes wrong); Predis refuses the second name.
    reply = diff.predis.call("FUNCTION", "LOAD", "#!lua name=two\nredis.register_function("
                             "'f', function() return 2 end)\nredis.register_function('F', "
                             "function() return 3 end)")
    assert reply == "ERR Error registering functions: ERR Function already exists in the library"


def _library(body: str) -> list:
    return ["FUNCTION", "LOAD", "REPLACE", "#!lua name=lib2\n" + body]


def test_library_load_environment_and_register_function_arguments(diff):
    """Found by Redis's own suite: a library body sees only redis.register_function, log,
    the LOG_* levels and the version; register_function checks its arguments with Redis's
    words; callbacks see the full API, without register_function."""
    diff.assert_same("FUNCTION", "FLUSH")
    for args in (
            _library("redis.register_function()"), _library("redis.register_function('f1')"),
            _library("redis.register_function('f1', function() return 1 end, {}, 'd', 'x')"),
            _library("redis.register_function(nil, function() return 1 end)"),
            _library("redis.register_function('', function() return 1 end)"),
            _library("return math.random()"), _library("return redis.call('ping')"),
            _library("return redis.setresp(3)"), _library("return string.len('x')"),
            _library("redis.log(redis.LOG_NOTICE, 'x') redis.register_function('v', "
                     "function() return redis.REDIS_VERSION_NUM > 0 end)"),
            ["FCALL", "v", "0"],
            _library("redis.register_function{function_name='f1', callback=function() "
                     "return 'hello' end, description='some desc'}"),
            ["FUNCTION", "LIST"], ["FCALL", "f1", "bad_arg"], ["FCALL", "f1", "10", "key1"],
            _library("redis.register_function{function_name='f1', callback=function() "
                     "return 1 end, flags={'no-writes'}, unknown='x'}"),
            _library("redis.register_function{function_name=1, callback=function() end}"),
            _library("redis.register_function{callback=function() return 1 end}"),
            _library("redis.register_function{function_name='x'}"),
            _library("redis.register_function{function_name='x', callback='y'}"),
            _library("redis.register_function{function_name='x', callback=function() end, "
                     "flags='y'}"),
            _library("redis.register_function{'x'}"),
            _library("redis.register_function('f1', function(keys, args) "
                     "redis.register_function('f2', function() return 2 end) return 1 end)"),
            ["FCALL", "f1", "0"], ["FUNCTION", "RESTORE", "a", "b", "c"],
            ["FUNCTION", "FLUSH", "sync", "extra"], ["FUNCTION", "FLUSH", "bad"]):
        diff.assert_same(*args)


CJSON_SCRIPTS = [
    "return cjson.encode({1, 2, {a=1}})", "return cjson.encode({s='a/b\"c\\n'})",
    "return cjson.encode(3.14159265358979)", "return cjson.encode({[1]='a', [3]='c'})",
    "local s = cjson.encode({[1]='a', [30]='c'}) return s", "return cjson.encode({})",
    "local s = cjson.encode({[true]=1}) return s", "local s = cjson.encode(0/0) return s",
    "return cjson.encode({one='one', [1]='one'})", "return cjson.encode_max_depth()",
    "cjson.encode_max_depth(1) local ok, e = pcall(cjson.encode, {a={1}}) "
    "cjson.encode_max_depth(1000) return {ok, e}",
    "cjson.decode_max_depth(1) local ok, e = pcall(cjson.decode, '{\"obj\": {\"array\": [1,2]}}') "
    "cjson.decode_max_depth(1000) return {ok, e}",
    "cjson.encode_invalid_numbers(true) local s = cjson.encode({n=0/0}) "
    "cjson.encode_invalid_numbers(false) return s",
    "return {cjson.encode_keep_buffer(false)}", "return cjson.decode('[1,2,{\"a\":3}]')[3].a",
    "return cjson.encode(cjson.decode('{\"x\":[1,2.5,\"s\",true]}'))",
    "return {cjson.encode_sparse_array()}", "return cjson.encode(1e300)",
    "return cjson.encode(100)",
]


def test_cjson_follows_lua_cjson(diff):
    """Found by Redis's own suite: lua-cjson's number format, escapes, sparse arrays, key
    types, nesting limits, invalid numbers and its configuration calls."""
    for script in CJSON_SCRIPTS:
        diff.assert_same("EVAL", script, "0")


def test_select_in_a_script_stays_in_it_and_xread_block_is_refused(diff):
    """Found by Redis's own suite."""
    for args in (["SET", "mykey", "original value"], ["SELECT", "10"], ["SET", "mykey", "ten"],
                 ["EVAL", "return redis.pcall('select', '0')", "0"], ["GET", "mykey"],
                 ["EVAL", "redis.call('select', '0') return redis.call('get', 'mykey')", "0"],
                 ["GET", "mykey"], ["SELECT", "0"], ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
                 ["EVAL", "return redis.pcall('xread', 'STREAMS', 's', '$')", "1", "s"],
                 ["EVAL", "return redis.pcall('xread', 'BLOCK', 0, 'STREAMS', 's', '$')", "1", "s"],
                 ["EVAL", "return redis.pcall('xreadgroup', 'group', 'g', 'c', 'BLOCK', 0, "
                  "'STREAMS', 's', '>')", "1", "s"],
                 ["MULTI"], ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], ["EXEC"]):
        diff.assert_same(*args)


def test_eval_shebang_flags(diff):
    """Redis 7's `#!lua flags=...` first line: no-writes makes a script read-only (and
    allowed under EVAL_RO), unknown engines, options and flags are refused."""
    for args in (["EVAL", "#!lua\nreturn redis.call('set','k','v')", "0"],
                 ["EVAL", "#!lua flags=no-writes\nreturn redis.call('set','k','v')", "0"],
                 ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get','k')", "0"],
                 ["EVAL_RO", "#!lua\nreturn 1", "0"], ["EVAL_RO", "#!lua flags=no-writes\nreturn 2", "0"],
                 ["EVAL", "#!lua flags=bad\nreturn 1", "0"], ["EVAL", "#!lua foo=bar\nreturn 1", "0"],
                 ["EVAL", "#!python\nreturn 1", "0"], ["EVAL", "#!lua", "0"],
                 ["EVAL", "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,"
                  "allow-cross-slot-keys\nreturn 3", "0"], ["EVAL", "#!lua flags=\nreturn 4", "0"],
                 ["EVAL", "#!lua\nreturn x +", "0"], ["EVAL", "#!lua\n\nerror('boom')", "0"],
                 ["SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 5"]):
        diff.assert_same(*args)
    sha = diff.predis.call("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 5").decode()
    diff.assert_same("EVALSHA_RO", sha, "0")


def test_client_pause_write_holds_only_what_may_write(servers):
    """Found by Redis's own suite: WRITE pauses hold an EXEC with writes and scripts that did
    not declare no-writes; no-writes scripts (a shebang, a function flag) and EVAL_RO run."""
    import time

    from .rawclient import RawClient, encode_command

    def blocked(client):
        return int(client.call("INFO", "clients").split(b"blocked_clients:")[1].split(b"\r\n")[0])

    transcripts = []
    for server in servers:
        r = RawClient(server.port)
        r.call("FUNCTION", "FLUSH")
        r.call("SET", "x", "y")
        r.call("FUNCTION", "LOAD", "#!lua name=f1\nredis.register_function{function_name='f1', "
               "callback=function() return 'hello' end, flags={'no-writes'}}")
        transaction = RawClient(server.port)
        transaction.call("MULTI")
        transaction.call("SET", "FOO", "BAR")
        try:
            r.call("CLIENT", "PAUSE", "60000", "WRITE")
            transaction.send_raw(encode_command("EXEC"))
            plain, shebang = RawClient(server.port), RawClient(server.port)
            plain.send_raw(encode_command("EVAL", "return 1", "0"))
            shebang.send_raw(encode_command("EVAL", "#!lua\nreturn 1", "0"))
            deadline = time.time() + 5
            while blocked(r) < 3 and time.time() < deadline:
                time.sleep(0.01)
            free = RawClient(server.port)
            seen = [blocked(r), free.call("EVAL", "#!lua flags=no-writes\nreturn 'x'", "0"),
                    free.call("FCALL", "f1", "0"), free.call("EVAL_RO", "return 2", "0"),
                    free.call("GET", "x")]
        finally:
            r.call("CLIENT", "UNPAUSE")
        seen += [transaction.read_reply(), plain.read_reply(), shebang.read_reply()]
        r.call("FUNCTION", "FLUSH")
        transcripts.append(seen)
    assert transcripts[1] == transcripts[0]
    assert transcripts[0][0] == 3 and transcripts[0][-3:] == [[b"OK"], 1, 1]


def test_a_table_holding_itself_ends_in_the_stack_limit_error(servers):
    """Found by Redis's own suite (the server used to fail with an internal error). Read raw:
    hiredis refuses replies nested this deep."""
    from .rawclient import encode_command

    for server in servers:
        client = RawClient(server.port)
        client.send_raw(encode_command("EVAL", "local a = {}; local b = {a}; a[1] = b; return a",
                                       "0") + encode_command("PING"))
        data = b""
        while not data.endswith(b"+PONG\r\n"):
            data += client.sock.recv(65536)
        nesting = data[:-len(b"+PONG\r\n")]
        depth = len(nesting) - len(nesting.lstrip(b"*1\r\n"))
        assert nesting.endswith(b"-ERR reached lua stack limit\r\n") and depth > 100 * 4


def _replies_without_eviction(steps) -> list:
    """Each step's reply from a fresh redis-server, then a fresh Predis (noeviction)."""
    outcomes = []
    for start in (start_redis, start_predis):
        server = start(("--maxmemory-policy", "noeviction"))
        try:
            client = RawClient(server.port)
            outcomes.append([client.call(*step) for step in steps])
        finally:
            server.stop()
    return outcomes


def test_declared_flags_decide_the_dispatchers_refusals():
    """A script that declared flags is a write (and may grow memory) unless it declared
    no-writes (allow-oom): out of memory it is refused before it starts, with SET's words,
    also when queued in MULTI (scripting/declared.py)."""
    steps = [("SET", "big", "x" * 100000), ("CONFIG", "SET", "maxmemory", "1"),
             ("EVAL", "#!lua\nreturn 1", "0"), ("EVAL", "#!lua flags=allow-oom\nreturn 1", "0"),
             ("EVAL", "#!lua flags=no-writes\nreturn 1", "0"), ("EVAL", "return 1", "0"),
             ("EVAL", "return redis.call('set','a','b')", "0"),
             ("MULTI",), ("EVAL", "#!lua\nreturn 1", "0"), ("EXEC",)]
    outcomes = _replies_without_eviction(steps)
    assert outcomes[1] == outcomes[0]
    assert str(outcomes[0][2]).startswith("OOM command not allowed")


def test_out_of_memory_inside_a_script_follows_its_start_and_its_writes():
    """Inside a script, a command that may grow memory is refused only when the server was out
    of memory as the script started, the script declared no allow-oom, and it has not written
    yet (Redis's scriptVerifyOOM: a script is never stopped half-way through its effects)."""
    steps = [("SET", "big", "x" * 100000), ("CONFIG", "SET", "maxmemory", "1"),
             ("EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','a','1')", "0"),
             ("GET", "a"),
             ("EVAL", "return redis.pcall('set','b','1')", "0"),
             ("EVAL", "redis.call('del','nothing'); return redis.pcall('set','c','1')", "0"),
             ("EVAL", "return redis.pcall('get','a')", "0"),
             ("FUNCTION", "LOAD", "#!lua name=oomlib\nredis.register_function{function_name="
              "'f1', callback=function() return redis.call('set','x','1') end, "
              "flags={'allow-oom'}}\nredis.register_function('f2', function() "
              "return redis.pcall('set','y','1') end)"),
             ("FCALL", "f1", "1", "x"), ("GET", "x"), ("FCALL", "f2", "1", "y"),
             ("CONFIG", "SET", "maxmemory", "0"), ("MGET", "a", "b", "c", "x", "y")]
    outcomes = _replies_without_eviction(steps)
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][3] == b"1" and str(outcomes[0][4]).startswith("OOM")


def test_acl_check_cmd_answers_for_the_scripts_user(servers):
    """redis.acl_check_cmd checks the command, and its keys, against the calling user."""
    seen = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("ACL", "SETUSER", "bob", "on", ">123", "+@scripting", "+set", "~x*")
        bob = RawClient(server.port)
        bob.call("AUTH", "bob", "123")
        seen.append([bob.call("EVAL", "return redis.acl_check_cmd(" + args + ")", "0")
                     for args in ("'set','xx',1", "'hset','xx','f',1", "'set','yy',1")])
        admin.call("ACL", "DELUSER", "bob")
        bob.close()
        admin.close()
    assert seen[1] == seen[0] == [1, None, None]


def test_an_error_is_counted_once_where_it_happens(servers):
    """errorstats count a failed or refused command inside a script once, when it fails;
    the script's error reply made of it is not counted again, but its own errors are."""
    seen = []
    scripts = ["return redis.call('incr','s')", "return redis.pcall('incr','s')",
               "local t = redis.pcall('incr','s') return 1", "return redis.error_reply('MY e')",
               "error('boom')", "return redis.call('set','x','y')",
               "return redis.pcall('set','x','y')"]
    for server in servers:
        client = RawClient(server.port)
        client.call("CONFIG", "RESETSTAT")
        client.call("SET", "s", "abc")
        for index, script in enumerate(scripts):
            if index == 5:
                client.call("CONFIG", "SET", "maxmemory", "1")
            client.call("EVAL", script, "1", "x")
        client.call("CONFIG", "SET", "maxmemory", "0")
        errors = client.call("INFO", "errorstats").decode().split()
        commands = [line.split(":")[0] + line.split("usec_per_call")[1].split(",", 1)[1]
                    for line in client.call("INFO", "commandstats").decode().split()
                    if line.startswith(("cmdstat_eval", "cmdstat_incr", "cmdstat_set:"))]
        total = client.call("INFO", "stats").decode().split("total_error_replies:")[1].split()[0]
        seen.append((sorted(errors), sorted(commands), total))
        client.close()
    assert seen[1] == seen[0]
    assert seen[0][2] == "7"


def test_info_memory_counts_cached_scripts_functions_and_libraries(servers):
    """INFO memory's script figures follow the caches (Redis's unit/scripting checks
    number_of_cached_scripts across SCRIPT FLUSH ASYNC)."""
    clients = [redis.Redis(port=s.port) for s in servers]
    fields = ("number_of_cached_scripts", "number_of_functions", "number_of_libraries")

    def counts():
        found = [tuple(c.info("memory")[f] for f in fields) for c in clients]
        assert found[0] == found[1], found
        return found[0]

    for client in clients:
        client.script_flush()
        client.function_flush()
    assert counts() == (0, 0, 0)
    code = "#!lua name=mylib\n" + "".join(
        f"redis.register_function('f{i}', function() return {i} end)\n" for i in range(3))
    for client in clients:
        for j in range(100):
            client.script_load(f"return {j}")
        client.function_load(code)
    assert counts() == (100, 3, 1)
    sizes = [c.info("memory") for c in clients]
    for info in sizes:  # bodies and names are counted, Lua's state is measured
        assert info["used_memory_scripts_eval"] > 100 * 40 and info["used_memory_vm_eval"] > 0
        assert info["used_memory_scripts"] == \
            info["used_memory_scripts_eval"] + info["used_memory_functions"]
    for client in clients:
        client.script_flush("ASYNC")
    assert counts() == (0, 3, 1)
    assert all(c.info("memory")["used_memory_scripts_eval"] == 0 for c in clients)
    for client in clients:
        client.function_flush()
    assert counts() == (0, 0, 0)
    for client in clients:
        client.close()


def _info_field(client: RawClient, name: str) -> int:
    for line in client.call("INFO", "memory").decode().splitlines():
        if line.startswith(name + ":"):
            return int(line.split(":")[1])
    raise AssertionError(f"no {name} in INFO memory")


def test_script_flush_gives_evals_lua_memory_back_and_functions_count_apart(servers):
    """Redis runs EVAL and FUNCTION in two Lua states and SCRIPT FLUSH starts EVAL's afresh
    (Redis's unit/scripting "EVAL does not leak in the Lua stack" reads used_memory_lua)."""
    for server in servers:
        client = RawClient(server.port)
        client.call("SCRIPT", "FLUSH")
        client.call("FUNCTION", "FLUSH")
        client.call("EVAL", "local t = {} for i = 1, 100000 do t[i] = tostring(i) end "
                    "return #t", "0")
        assert client.call("FUNCTION", "LOAD", "#!lua name=cronlib\nredis.register_function("
                           "'noop', function() return 1 end)") == b"cronlib"
        assert _info_field(client, "used_memory_vm_functions") > 0
        assert client.call("SCRIPT", "FLUSH") == b"OK"
        client.call("SET", "leak_counter", "0")
        client.send_raw(b"".join(
            b"*4\r\n$4\r\nEVAL\r\n$33\r\nreturn redis.call('incr',KEYS[1])\r\n$1\r\n1\r\n"
            b"$12\r\nleak_counter\r\n" for _ in range(3000)))
        for _ in range(3000):
            client.read_reply()
        assert client.call("GET", "leak_counter") == b"3000"
        assert _info_field(client, "used_memory_lua") < 100 * 1024
        assert client.call("FCALL", "noop", "0") == 1  # the libraries stay loaded
        client.call("FUNCTION", "FLUSH")
        client.call("DEL", "leak_counter")


MASSIVE = ("local a = {} for i = 1, 7999 do a[i] = 1 end "
           "return redis.{call}('lpush', KEYS[1], unpack(a))")


@pytest.mark.parametrize("call", ["call", "pcall"])
def test_redis_call_takes_8001_arguments_from_unpack(diff, call):
    """Redis's unit/scripting "unpack with massive arguments": more than lupa's bridge passes
    to Python, so such scripts get Lua wrappers that hand the call over as one table."""
    script = MASSIVE.replace("{call}", call)
    diff.assert_same("EVAL", script, "1", "massive")
    diff.assert_same("LLEN", "massive")
    body = "#!lua name=massive\n" + script.replace("KEYS", "keys").replace(
        "local a", "local function f(keys) local a") + " end\nredis.register_function('f', f)"
    diff.assert_same("FUNCTION", "LOAD", "REPLACE", body)
    diff.assert_same("FCALL", "f", "1", "massive")
    # errors name the script's line as Redis does (such scripts are compiled without the tail
    # call of `return redis.call(...)`)
    diff.assert_same("EVAL", "local t = {unpack({1, 2})} return redis.call('nosuch')", "0")
    diff.assert_same("EVAL", "\n\nreturn redis.call('incr', unpack({'a', 'b'}))", "0")
    diff.assert_same("EVAL", "return redis.pcall('incr', unpack({'a', 'b'}))", "0")
    for script in (  # what is read without the tail call is code, never strings or comments
            "local s = 'return redis.call(1)' return {s, #{unpack({1, 2})}}",
            'local s = "return redis.call(\')\'" return {s, #{unpack({1})}}',
            "--[==[ unpack return redis.call( ]==] return redis.call('set', 'x', ')(')",
            "-- unpack\nreturn redis.call('get', [[x]]) .. [=[return redis.call(]=]",
            "return redis.call('incr',\n  unpack({'a', 'b'}))",
            "local t = {unpack({1})} return redis.call('hset', 'x', 'f', 'v').x"):
        diff.assert_same("EVAL", script, "0")
    diff.assert_same("EVAL", "local t = {unpack({1, 2})}\nredis.call('nosuch')", "0")
    diff.assert_same("FUNCTION", "DELETE", "massive")


def test_set_repl_checks_its_argument(diff):
    for script in ("redis.set_repl(12345)", "redis.set_repl()", "redis.set_repl(1, 2)",
                   "redis.set_repl(-1)", "redis.set_repl(redis.REPL_NONE) return 1",
                   "redis.set_repl('3') return 1", "redis.set_repl('x') return 1"):
        diff.assert_same("EVAL", script, "0")


def test_functions_on_a_stale_replica_follow_allow_stale(servers):
    """replica-serve-stale-data no, link down: a function without allow-stale gets
    MASTERDOWN; one with it runs, but a command without the stale flag inside it fails
    (Redis's unit/functions "allow stale")."""
    from .servers import free_port

    library = ("#!lua name=stale\n"
               "redis.register_function{function_name='f1', callback=function() return 'hi' "
               "end, flags={'no-writes'}}\n"
               "redis.register_function{function_name='f2', callback=function() return 'hi' "
               "end, flags={'allow-stale', 'no-writes'}}\n"
               "redis.register_function{function_name='f3', callback=function() return "
               "redis.call('get', 'x') end, flags={'allow-stale', 'no-writes'}}\n"
               "redis.register_function{function_name='f4', callback=function() return "
               "redis.call('ping') end, flags={'allow-stale', 'no-writes'}}")
    outcomes = []
    for server in servers:
        client = RawClient(server.port)
        client.call("FUNCTION", "LOAD", "REPLACE", library)
        client.call("CONFIG", "SET", "replica-serve-stale-data", "no")
        client.call("REPLICAOF", "127.0.0.1", str(free_port()))
        try:
            outcomes.append([client.call("FCALL", name, "0") for name in ("f1", "f2", "f3",
                                                                          "f4")])
        finally:
            client.call("REPLICAOF", "NO", "ONE")
            client.call("CONFIG", "SET", "replica-serve-stale-data", "yes")
            client.call("FUNCTION", "DELETE", "stale")
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][0].startswith("MASTERDOWN") and outcomes[0][1] == b"hi"


def test_eval_scripts_on_a_stale_replica_follow_allow_stale(servers):
    """replica-serve-stale-data no, link down: a script without flags is refused before it
    runs (Redis's compatibility mode: EVAL itself may run on a stale replica), one declaring
    flags without allow-stale too (by the dispatcher), one with allow-stale runs but its
    commands without the stale flag fail (Redis's unit/scripting "allow-stale shebang flag")."""
    from .servers import free_port

    calls = [["EVAL", "return redis.call('get','x')", "1", "x"],
             ["EVAL", "#!lua flags=no-writes\nreturn 1", "0"],
             ["EVAL", "#!lua flags=allow-stale,no-writes\nreturn 1", "0"],
             ["EVAL", "#!lua flags=allow-stale,no-writes\nreturn redis.call('get','x')", "1",
              "x"],
             ["EVAL", "#!lua flags=allow-stale,no-writes\nreturn redis.call('echo','hi')",
              "0"]]
    outcomes = []
    for server in servers:
        client = RawClient(server.port)
        client.call("CONFIG", "SET", "replica-serve-stale-data", "no")
        client.call("REPLICAOF", "127.0.0.1", str(free_port()))
        try:
            outcome = [client.call(*call) for call in calls]
            outcomes.append(outcome)
        finally:
            client.call("REPLICAOF", "NO", "ONE")
            client.call("CONFIG", "SET", "replica-serve-stale-data", "yes")
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][0].startswith("MASTERDOWN") and outcomes[0][2] == 1


def test_a_script_sees_the_time_it_started_at(pair):
    """Keys do not expire halfway through a script: the time is fixed when it starts (Redis's
    "Script block the time during execution"), and a key already expired is gone for the
    script and for DEBUG OBJECT's physical look alike afterwards."""
    outcomes = []
    for server in pair:
        client = RawClient(server.port)
        client.call("FLUSHALL")
        client.call("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1")
        client.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        steps = [client.call("EVAL", "redis.call('SET', 'key', 'value', 'PX', '1') "
                             "redis.call('DEBUG', 'SLEEP', '0.01') "
                             "return redis.call('EXISTS', 'key')", "0"),
                 client.call("EXISTS", "key"),
                 client.call("SET", "key", "value", "PX", "1")]
        time.sleep(0.01)
        steps += [client.call("DEBUG", "OBJECT", "key")[:9],  # still in memory
                  client.call("EVAL", "return redis.call('EXISTS', 'key')", "0"),
                  client.call("EXISTS", "key"),
                  str(client.call("DEBUG", "OBJECT", "key"))]
        client.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        client.call("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0")
        client.close()
        outcomes.append(steps)
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][0] == 1 and outcomes[0][3] == b"Value at:"


@pytest.mark.parametrize("script, keys, expected", [
    ("return redis.pcall('blpop', KEYS[1], 0)", ["l"], None),
    ("return redis.pcall('brpop', KEYS[1], 0)", ["l"], None),
    ("return redis.pcall('brpoplpush', KEYS[1], KEYS[2], 0)", ["l", "m"], None),
    ("return redis.pcall('blmove', KEYS[1], KEYS[2], 'LEFT', 'LEFT', 0)", ["l", "m"], None),
    ("return redis.pcall('bzpopmin', KEYS[1], 0)", ["z"], None),
    ("return redis.pcall('bzpopmax', KEYS[1], 0)", ["z"], None),
    ("redis.call('rpush', KEYS[1], 'a'); return redis.call('blpop', KEYS[1], 0)", ["l"],
     [b"l", b"a"]),
    ("return redis.pcall('wait', '1', '0')", [], 0),
])
def test_blocking_commands_in_scripts_answer_at_once(pair, script, keys, expected):
    """Redis 7.2 runs blocking commands in scripts as their non-blocking selves (Redis's
    unit/scripting.tcl "Scripts do not block on ..."); 7.0, installed here, refused them."""
    client = redis.Redis(port=pair[1].port)
    client.flushall()
    client.set("written", "so WAIT has something to wait for")
    assert client.eval(script, len(keys), *keys) == expected
