-- Runs inside the server's Lua 5.1 state before any script: the redis.* API, the sandbox,
-- and helpers the engine calls. Names starting with __predis are the engine's, not scripts'.
local getinfo, getlocal = debug.getinfo, debug.getlocal
local py = __predis_py  -- Python callables installed by the engine

local function user_line()
  for level = 2, 40 do
    local info = getinfo(level, 'Sl')
    if not info then break end
    if info.source == '@user_script' or info.source == '@user_function' then
      return info.currentline
    end
  end
  return -1
end

redis = {}
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
local version = py.version()
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = version[1], version[2]
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3

-- redis.call is the Python function itself (a C function to Lua), so the calling script's frame
-- stays on the stack even for `return redis.call(...)`, and its line can be reported.
redis.call = py.call_raise
function redis.pcall(...)
  return py.call(...)[2]
end
-- One string argument, or Redis's error table (returned, not raised)
local function one_string(...)
  return select('#', ...) == 1 and type((...)) == 'string'
end
local WRONG_ARGUMENTS = {err = 'ERR wrong number or type of arguments'}
function redis.error_reply(...)
  if not one_string(...) then return {err = WRONG_ARGUMENTS.err} end
  return {err = py.error_text((...))}
end
function redis.status_reply(...)
  if not one_string(...) then return {err = WRONG_ARGUMENTS.err} end
  return {ok = (...)}
end
redis.sha1hex = py.sha1hex  -- a C function too, for the same reason
redis.log = py.log  -- (C functions to Lua too: their errors carry the script's line)
redis.setresp = py.setresp
redis.set_repl = py.set_repl
function redis.replicate_commands() return true end
redis.breakpoint = py.ldb_breakpoint  -- (the Lua debugger's: see debugger.py)
redis.debug = py.ldb_debug
redis.acl_check_cmd = py.acl_check_cmd

-- Redis's own math.random and math.randomseed (its lrand48 sequence, see luarandom.py)
math.random, math.randomseed = py.math_random, py.math_randomseed

cmsgpack = {pack = py.msgpack_pack, unpack = py.msgpack_unpack,
            unpack_one = py.msgpack_unpack_one, unpack_limit = py.msgpack_unpack_limit}

cjson = {encode = py.cjson_encode, decode = py.cjson_decode, null = py.cjson_null}
for _, name in ipairs(py.cjson_settings) do cjson[name] = py['cjson_' .. name] end

struct = {pack = py.struct_pack, unpack = py.struct_unpack, size = py.struct_size}

-- The bit functions are the Python callables themselves (C functions to Lua), so their errors
-- name them as the script called them and carry its position (see __predis.c_caller)
bit = {}
for _, name in ipairs({'tobit', 'tohex', 'bnot', 'band', 'bor', 'bxor', 'lshift', 'rshift',
                       'arshift', 'rol', 'ror', 'bswap'}) do
  bit[name] = py['bit_' .. name]
end

-- Redis's pcall (luaRedisPcall): an error that is a table with a string `err` (redis.call's)
-- comes back as that string, and so do the errors the Python side raises (py.error_value)
local lua_pcall = pcall
local function caught(ok, ...)
  if ok then return true, ... end
  return false, py.error_value((...))
end
local function redis_pcall(f, ...)
  return caught(lua_pcall(f, ...))
end

-- Redis makes its libraries and the globals table read-only (a patch to its Lua). Stock Lua 5.1
-- cannot refuse writes to a table's existing keys, so scripts see read-only views instead:
-- empty tables that read through to the real one and refuse every write, rawset and
-- setmetatable included. (Iterating a view with pairs finds nothing.)
local READONLY = 'Attempt to modify a readonly table'
local function refuse() error(READONLY, 2) end
local views = setmetatable({}, {__mode = 'k'})
local function readonly_view(real, index)
  local meta = {__index = index or real, __newindex = refuse}
  local view = setmetatable({}, meta)
  meta.__metatable = setmetatable({}, {__index = meta, __newindex = refuse})
  views[view], views[meta.__metatable] = true, true
  return view
end

-- Scripts run with their own environment table (setfenv), never the real _G, which lupa
-- itself relies on: the sandbox holds only what Redis offers, and refuses new globals.
local globals = {}
for _, name in ipairs({'assert', 'error', 'getmetatable', 'ipairs', 'next', 'pairs',
                       'rawequal', 'rawget', 'select', 'tonumber', 'tostring', 'type',
                       'unpack', 'xpcall', 'gcinfo', 'collectgarbage', '_VERSION'}) do
  globals[name] = _G[name]
end
globals.pcall = redis_pcall
for name, lib in pairs({redis = redis, cjson = cjson, bit = bit, cmsgpack = cmsgpack,
                        struct = struct, string = string, table = table, math = math}) do
  globals[name] = readonly_view(lib)
end
-- (as Redis's C checks word it: without the script's position)
globals.rawset = function(t, k, v)
  if views[t] then error(READONLY, 0) end
  return rawset(t, k, v)
end
globals.setmetatable = function(t, meta)
  if views[t] then error(READONLY, 0) end
  return setmetatable(t, meta)
end
-- The environment over a table of globals: the view scripts see as _G, whose loadstring gives
-- the chunks it makes the same environment.
local globals_of = {}  -- sandbox -> the table of globals it reads
local function sandbox_over(names)
  local box
  names.loadstring = function(code, name)
    if type(code) == 'string' and code:byte(1) == 27 then
      return nil  -- precompiled bytecode is refused, as Redis does (it can break the VM)
    end
    local f, err = loadstring(code, name)
    if f then setfenv(f, box) end
    return f, err
  end
  box = readonly_view(names, function(_, key)
    local value = names[key]
    if value == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(key) .. "'",
            2)
    end
    return value
  end)
  names._G = box
  globals_of[box] = names
  return box
end
local sandbox = sandbox_over(globals)

-- lupa's bridge hands a Python function at most 7,997 arguments, and `redis.call(name, key,
-- unpack(t))` may pass 8,001 (Redis's own limit, Lua's C stack). A script or library that
-- mentions unpack gets redis.call and redis.pcall as Lua functions that pass a call that
-- large as one table. Only those: `return f(...)` of a Lua function is a tail call, which
-- drops the script's frame and with it the line an error reply names. So these scripts are
-- compiled with `return redis.call(...)` read as `return (redis.call(...))`: the same single
-- value, not a tail call. (An alias of redis.call, `return call(...)`, still loses the line.)
local BRIDGE_MAX_ARGS = 7990
local redis_many = setmetatable({}, {__index = redis})
function redis_many.call(...)
  local n = select('#', ...)
  if n <= BRIDGE_MAX_ARGS then return py.call_raise(...) end
  return py.call_raise_packed({...}, n)
end
function redis_many.pcall(...)
  local n = select('#', ...)
  if n <= BRIDGE_MAX_ARGS then return py.call(...)[2] end
  return py.call_packed({...}, n)[2]
end
local globals_many = {}
for name, value in pairs(globals) do globals_many[name] = value end
globals_many.redis = readonly_view(redis_many)
local sandbox_many = sandbox_over(globals_many)
local function unpacks(body)
  return type(body) == 'string' and body:find('unpack', 1, true) ~= nil
end
-- The source with every string literal and comment overwritten by x's (same length), so that
-- what is found in it, parentheses included, is code.
local function code_only(body)
  local parts, from, i, n = {}, 1, 1, #body
  while i <= n do
    local c, stop = body:sub(i, i), nil
    local long = body:match('^%[(=*)%[', i) or body:match('^%-%-%[(=*)%[', i)
    if long then
      local close = body:find(']' .. long .. ']', i, true)
      stop = close and close + #long + 1 or n
    elseif c == '-' and body:sub(i + 1, i + 1) == '-' then
      stop = (body:find('\n', i, true) or n + 1) - 1
    elseif c == '"' or c == "'" then
      stop = i + 1
      while stop <= n and body:sub(stop, stop) ~= c and body:sub(stop, stop) ~= '\n' do
        stop = stop + (body:sub(stop, stop) == '\\' and 2 or 1)
      end
    end
    if stop then
      parts[#parts + 1] = body:sub(from, i - 1) .. string.rep('x', stop - i + 1)
      i, from = stop + 1, stop + 1
    else
      i = i + 1
    end
  end
  parts[#parts + 1] = body:sub(from)
  return table.concat(parts)
end
local function untailed(body)
  local code, parts, from = code_only(body), {}, 1
  local pattern = '%f[%w_]return%s+()redis%s*%.%s*p?call%s*%b()()'
  local _, _, call_start, call_end = code:find(pattern)
  while call_start do
    parts[#parts + 1] = body:sub(from, call_start - 1) .. '(' ..
                        body:sub(call_start, call_end - 1) .. ')'
    from = call_end
    _, _, call_start, call_end = code:find(pattern, call_end)
  end
  parts[#parts + 1] = body:sub(from)
  return table.concat(parts)
end

__predis = {}
function __predis.where()
  return user_line()
end
-- Called by a Python function that raises a Lua error as a C library would: the name it was
-- called by and how (luaL_argerror's), and its caller's position (luaL_where(L, 1))
function __predis.c_caller()
  local called, caller = getinfo(2, 'n'), getinfo(3, 'Sl')  -- (1: this function)
  local where = ''
  if caller and caller.currentline > 0 then
    where = caller.short_src .. ':' .. caller.currentline .. ': '
  end
  return {called and called.name or '?', called and called.namewhat or '', where}
end
function __predis.compile(body)
  local many = unpacks(body)
  local f, err = loadstring(many and untailed(body) or body, '@user_script')
  if not f then return {false, err} end
  setfenv(f, many and sandbox_many or sandbox)
  return {true, f}
end
-- The busy-script hook (server/scripting/busy.py): every 100,000 instructions the server may
-- serve other clients. Once the script is killed the hook fires on every line, so a pcall in
-- the script cannot swallow the kill for good (as in Redis). The error is raised in the
-- script's own code only, never in this file's helpers or the error handler.
local sethook = debug.sethook
local killed = false
local function in_user_code()
  local info = getinfo(3, 'S')  -- 1: in_user_code, 2: the hook, 3: where the hook fired
  return info ~= nil and (info.source == '@user_script' or info.source == '@user_function')
end
local function interrupt()
  if not killed and py.interrupt() then
    killed = true
    sethook(interrupt, 'l')
  end
  if killed and in_user_code() then
    error('Script killed by user with SCRIPT KILL...', 0)
  end
end
-- The Lua debugger's hook (hook_count -1), on every line of the script.
local function debugger_hook()
  local info = getinfo(2, 'Sl')  -- 1: this hook, 2: where it fired
  if info and info.source == '@user_script' then py.ldb_line(info.currentline) end
end
local function guarded(body, hook_count)
  local line = -1
  killed = false
  if hook_count > 0 then sethook(interrupt, '', hook_count) end
  if hook_count < 0 then sethook(debugger_hook, 'l') end
  local ok, result = xpcall(body, function(e) line = user_line(); return e end)
  sethook()
  return {ok, result, line}
end
-- What the Lua debugger shows of the stack where it stopped: the script's frames only (its
-- helpers here, the hook and the Python bridge are frames too). Levels are relative to the
-- function that calls script_levels.
local function script_levels()
  local levels, level = {}, 3
  while true do
    local info = getinfo(level, 'S')
    if not info then return levels end
    if info.source == '@user_script' then levels[#levels + 1] = level - 1 end
    level = level + 1
  end
end
function __predis.ldb_frames()  -- {name or false, line, ...} from the innermost frame out
  local out = {}
  for _, level in ipairs(script_levels()) do
    local info = getinfo(level, 'nl')
    out[#out + 1] = info.name or false
    out[#out + 1] = info.currentline
  end
  return out
end
function __predis.ldb_locals()  -- {names, values, count} of the innermost frame
  local names, values, level, i = {}, {}, script_levels()[1], 1
  while level do
    local name, value = getlocal(level, i)
    if not name then break end
    if not name:find('(*temporary)', 1, true) then
      names[#names + 1] = name
      values[#names] = value
    end
    i = i + 1
  end
  return {names, values, #names}
end
function __predis.ldb_lookup(wanted)  -- {found, value}: a local of any frame, KEYS or ARGV
  local levels = script_levels()
  for _, level in ipairs(levels) do
    local i = 1
    while true do
      local name, value = getlocal(level, i)
      if not name then break end
      if name == wanted then return {true, value} end
      i = i + 1
    end
  end
  if (wanted == 'KEYS' or wanted == 'ARGV') and levels[1] then
    return {true, getfenv(getinfo(levels[1], 'f').func)[wanted]}
  end
  return {false}
end
function __predis.ldb_eval(code)  -- {ok, value or message}: an expression, else a statement
  local f = loadstring('return ' .. code, '@ldb_eval')
  if not f then
    local err
    f, err = loadstring(code, '@ldb_eval')
    if not f then return {false, err} end
  end
  setfenv(f, sandbox)
  local ok, value = pcall(f)
  return {ok, value}
end
function __predis.run(fn, keys, argv, hook_count)
  -- KEYS and ARGV are read-only globals, as in Redis: set in the table the sandbox reads
  local names = globals_of[getfenv(fn)]
  names.KEYS, names.ARGV = keys, argv
  return guarded(fn, hook_count)
end
function __predis.call_function(fn, keys, argv, hook_count)
  return guarded(function() return fn(keys, argv) end, hook_count)
end
-- FUNCTION LOAD: the library body runs with Redis's load-time globals: nothing but a `redis`
-- holding register_function, log, the LOG_* levels and the version; anything else is a
-- nonexistent global. The registered callbacks later see the full sandbox, where `redis` has
-- no register_function.
local function valid_name(name)
  return type(name) == 'string' and name:match('^[%w_]+$') ~= nil
end
local function fail(message) error({err = 'ERR ' .. message}) end
local function stringish(value)
  if type(value) == 'number' then return tostring(value) end
  if type(value) == 'string' then return value end
end
-- redis.register_function's two forms: (name, callback) or {function_name=, callback=,
-- flags=, description=}; Redis's checks and words.
local function register_arguments(...)
  local argc = select('#', ...)
  if argc < 1 or argc > 2 then fail('wrong number of arguments to redis.register_function') end
  if argc == 2 then
    local name, callback = ...
    name = stringish(name)
    if not name then fail('first argument to redis.register_function must be a string') end
    if type(callback) ~= 'function' then
      fail('second argument to redis.register_function must be a function')
    end
    return name, callback, {}
  end
  local named = ...
  if type(named) ~= 'table' then
    fail('calling redis.register_function with a single argument is only applicable to Lua '
         .. 'table (representing named arguments).')
  end
  local name, callback, flags, description
  for key, value in pairs(named) do
    key = stringish(key)  -- Lua's C API takes numbers for strings too, as Redis does here
    if not key then
      fail('named argument key given to redis.register_function is not a string')
    end
    local option = key:lower()
    if option == 'function_name' then
      name = stringish(value)
      if not name then
        fail('function_name argument given to redis.register_function must be a string')
      end
    elseif option == 'description' then
      description = stringish(value)
      if not description then
        fail('description argument given to redis.register_function must be a string')
      end
    elseif option == 'callback' then
      if type(value) ~= 'function' then
        fail('callback argument given to redis.register_function must be a function')
      end
      callback = value
    elseif option == 'flags' then
      if type(value) ~= 'table' then
        fail('flags argument to redis.register_function must be a table representing '
             .. 'function flags')
      end
      flags = value
    else
      fail('unknown argument given to redis.register_function')
    end
  end
  if not name then fail('redis.register_function must get a function name argument') end
  if not callback then fail('redis.register_function must get a callback argument') end
  return name, callback, flags or {}, description
end
local function nonexistent(_, key, level)
  error("Script attempted to access nonexistent global variable '" .. tostring(key) .. "'",
        level or 2)
end
local readonly_error = function() error('Attempt to modify a readonly table', 2) end
function __predis.load_library(body)
  local registered, count = {}, 0
  local loading = true
  local function register(...)
    if not loading then  -- a reference kept past FUNCTION LOAD (Redis guards this too)
      fail('redis.register_function can only be called on FUNCTION LOAD command')
    end
    local name, callback, flags, description = register_arguments(...)
    if not valid_name(name) then
      -- Redis reports bad function names with its library-name message.
      fail('Library names can only contain letters, numbers, or underscores(_) and must be at '
           .. 'least one character long')
    end
    -- function names are case-insensitive, as Redis's function dictionary is
    for known in pairs(registered) do
      if known:lower() == name:lower() then fail('Function already exists in the library') end
    end
    registered[name] = {callback, flags, description}
    count = count + 1
  end
  local load_api = setmetatable({
    register_function = register, log = redis.log, REDIS_VERSION = redis.REDIS_VERSION,
    REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM, LOG_DEBUG = redis.LOG_DEBUG,
    LOG_VERBOSE = redis.LOG_VERBOSE, LOG_NOTICE = redis.LOG_NOTICE,
    LOG_WARNING = redis.LOG_WARNING,
  }, {__index = nonexistent, __newindex = readonly_error, __metatable = false})
  local load_globals = {redis = load_api}
  local names, box, code = globals, sandbox, body
  if unpacks(body) then names, box, code = globals_many, sandbox_many, untailed(body) end
  local env = setmetatable({}, {
    __index = function(_, key)
      local value
      if loading then
        value = load_globals[key]
      elseif key == '_G' then
        value = box
      else
        value = names[key]
      end
      if value == nil then nonexistent(nil, key, 3) end  -- 3: the line that named it
      return value
    end,
    __newindex = readonly_error,
    __metatable = false,
  })
  local f, err = loadstring(code, '@user_function')
  if not f then return {false, err, 'compile'} end
  setfenv(f, env)
  -- As Redis: a library body may run for 500 ms at most (the server serves no one meanwhile).
  local deadline = py.monotonic() + 0.5
  local function load_hook()
    if py.monotonic() > deadline then
      sethook(load_hook, 'l')  -- every line from now on, so a pcall cannot swallow it
      if in_user_code() then error('FUNCTION LOAD timeout', 0) end
    end
  end
  sethook(load_hook, '', 100000)
  local ok, failure = pcall(f)
  sethook()
  loading = false
  if not ok then
    if type(failure) == 'table' then failure = failure.err end
    return {false, 'ERR ' .. tostring(failure)}
  end
  return {true, registered, count}
end
__predis_py = nil
