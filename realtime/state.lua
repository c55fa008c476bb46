-- The gateways' shared state in Redis: sockets, presence, conversation viewers, typing.
--
-- One script, one operation per call (ARGV[1]), so every change and the events it causes
-- happen in one atomic step: two gateways changing the same user's presence at once can
-- never both announce it, and the events are published (Socket.IO Redis-manager messages
-- that every gateway delivers) in the order the changes happened.
--
-- ARGV[2] = Socket.IO channel, ARGV[3] = the publishing host id, ARGV[4..] = operation's.
-- Keys are built here from ids (standalone Redis; not for Redis Cluster).
--
--   parley:rt:gw                  zset  gateway id -> lease expiry (ms)
--   parley:rt:gw:<gid>            set   socket ids on that gateway
--   parley:rt:sock:<sid>          hash  t (tenant), u (user), n (name), g (gateway), s (status)
--   parley:rt:sock:<sid>:convs    set   conversations the socket has joined
--   parley:rt:user:<t>:<u>        set   the user's socket ids
--   parley:rt:names:<t>           hash  user id -> display name
--   parley:rt:presence:<t>        hash  user id -> online | away (absent: offline)
--   parley:rt:conv:<t>:<c>        set   socket ids viewing the conversation
--   parley:rt:typing:<t>:<c>      zset  user id -> typing expiry (ms)
--   parley:rt:typing              zset  "<t> <c> <u>" -> typing expiry (ms), for the sweep

local P = 'parley:rt:'
local op, CHANNEL, HOST = ARGV[1], ARGV[2], ARGV[3]

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local function publish(event, room, data, skip)
  redis.call('PUBLISH', CHANNEL, cjson.encode({
    method = 'emit', event = event, namespace = '/', room = room, data = {data},
    skip_sid = skip or cjson.null, callback = cjson.null, binary = false, host_id = HOST,
  }))
end

local function sock_key(sid) return P .. 'sock:' .. sid end
local function user_key(t, u) return P .. 'user:' .. t .. ':' .. u end
local function conv_key(t, c) return P .. 'conv:' .. t .. ':' .. c end
local function typing_key(t, c) return P .. 'typing:' .. t .. ':' .. c end

local function name_of(t, u)
  return redis.call('HGET', P .. 'names:' .. t, u) or ''
end

-- presence -------------------------------------------------------------------------------

local function user_status(t, u)
  local status = 'offline'
  for _, sid in ipairs(redis.call('SMEMBERS', user_key(t, u))) do
    local s = redis.call('HGET', sock_key(sid), 's')
    if not s then
      redis.call('SREM', user_key(t, u), sid)
    elseif s == 'online' then
      return 'online'
    else
      status = 'away'
    end
  end
  return status
end

local function refresh_presence(t, u)
  local key = P .. 'presence:' .. t
  local new, old = user_status(t, u), redis.call('HGET', key, u) or 'offline'
  if new == old then return end
  if new == 'offline' then redis.call('HDEL', key, u) else redis.call('HSET', key, u, new) end
  publish('presence:changed', 'tenant:' .. t, {user_id = u, status = new})
end

-- viewers and typing ---------------------------------------------------------------------

local function is_typing(t, c, u)
  return tonumber(redis.call('ZSCORE', typing_key(t, c), u) or '0') > now
end

local function viewers(t, c)
  local seen, list = {}, {}
  for _, sid in ipairs(redis.call('SMEMBERS', conv_key(t, c))) do
    local u = redis.call('HGET', sock_key(sid), 'u')
    if not u then
      redis.call('SREM', conv_key(t, c), sid)
    elseif not seen[u] then
      seen[u] = true
      list[#list + 1] = {user_id = u, name = name_of(t, u), typing = is_typing(t, c, u)}
    end
  end
  table.sort(list, function(a, b)
    if a.name ~= b.name then return a.name < b.name end
    return a.user_id < b.user_id
  end)
  return list
end

local function viewer_ids(list)
  local ids = {}
  for i, v in ipairs(list) do ids[i] = v.user_id end
  table.sort(ids)
  return table.concat(ids, ',')
end

-- An empty list is never announced: nobody is left in the room to hear it.
local function announce_viewers(t, c, list)
  if #list > 0 then
    publish('conversation:viewers', 'conversation:' .. c, {conversation_id = c, viewers = list})
  end
end

local function flat(list)
  local out = {}
  for _, v in ipairs(list) do
    out[#out + 1] = v.user_id
    out[#out + 1] = v.name
    out[#out + 1] = v.typing and '1' or '0'
  end
  return out
end

local function clear_typing(t, c, u)
  redis.call('ZREM', P .. 'typing', t .. ' ' .. c .. ' ' .. u)
  return redis.call('ZREM', typing_key(t, c), u) == 1
end

local function typing_event(event, t, c, u, skip)
  publish(event, 'tenant:' .. t, {conversation_id = c, user_id = u, name = name_of(t, u)}, skip)
end

local function leave(sid, t, u, c)
  local before = viewer_ids(viewers(t, c))
  redis.call('SREM', conv_key(t, c), sid)
  redis.call('SREM', sock_key(sid) .. ':convs', c)
  -- The user stops typing there once none of their sockets is left in the conversation.
  local stays = false
  for _, other in ipairs(redis.call('SMEMBERS', conv_key(t, c))) do
    if redis.call('HGET', sock_key(other), 'u') == u then stays = true break end
  end
  local stopped = not stays and clear_typing(t, c, u)
  if stopped then typing_event('typing:stop', t, c, u, nil) end
  local after = viewers(t, c)
  if stopped or viewer_ids(after) ~= before then announce_viewers(t, c, after) end
end

local function close(sid)
  local info = redis.call('HMGET', sock_key(sid), 't', 'u', 'g')
  if not info[1] then return end
  local t, u, g = info[1], info[2], info[3]
  for _, c in ipairs(redis.call('SMEMBERS', sock_key(sid) .. ':convs')) do leave(sid, t, u, c) end
  redis.call('DEL', sock_key(sid), sock_key(sid) .. ':convs')
  redis.call('SREM', user_key(t, u), sid)
  redis.call('SREM', P .. 'gw:' .. g, sid)
  refresh_presence(t, u)
end

-- operations -----------------------------------------------------------------------------

if op == 'open' then
  -- sid, tenant, user, name, gateway, online | away
  local sid, t, u, name, g = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
  redis.call('HSET', sock_key(sid), 't', t, 'u', u, 'g', g, 's', ARGV[9])
  redis.call('HSET', P .. 'names:' .. t, u, name)
  redis.call('SADD', user_key(t, u), sid)
  redis.call('SADD', P .. 'gw:' .. g, sid)
  refresh_presence(t, u)
  return 1

elseif op == 'status' then
  -- sid, online | away
  local sid = ARGV[4]
  local info = redis.call('HMGET', sock_key(sid), 't', 'u')
  if not info[1] then return 0 end
  redis.call('HSET', sock_key(sid), 's', ARGV[5])
  refresh_presence(info[1], info[2])
  return 1

elseif op == 'close' then
  close(ARGV[4])
  return 1

elseif op == 'join' then
  -- sid, conversation -> flat viewers {user id, name, typing '1'|'0', ...}
  local sid, c = ARGV[4], ARGV[5]
  local info = redis.call('HMGET', sock_key(sid), 't', 'u')
  if not info[1] then return false end
  local t = info[1]
  local before = viewer_ids(viewers(t, c))
  redis.call('SADD', conv_key(t, c), sid)
  redis.call('SADD', sock_key(sid) .. ':convs', c)
  local after = viewers(t, c)
  if viewer_ids(after) ~= before then announce_viewers(t, c, after) end
  return flat(after)

elseif op == 'leave' then
  local sid, c = ARGV[4], ARGV[5]
  local info = redis.call('HMGET', sock_key(sid), 't', 'u')
  if info[1] and redis.call('SISMEMBER', conv_key(info[1], c), sid) == 1 then
    leave(sid, info[1], info[2], c)
  end
  return 1

elseif op == 'typing_start' then
  -- sid, conversation, timeout ms -> 'ok' | 'forbidden' (not in the conversation)
  local sid, c, timeout = ARGV[4], ARGV[5], tonumber(ARGV[6])
  local info = redis.call('HMGET', sock_key(sid), 't', 'u')
  local t, u = info[1], info[2]
  if not t or redis.call('SISMEMBER', conv_key(t, c), sid) == 0 then return 'forbidden' end
  local was = is_typing(t, c, u)
  redis.call('ZADD', typing_key(t, c), now + timeout, u)
  redis.call('ZADD', P .. 'typing', now + timeout, t .. ' ' .. c .. ' ' .. u)
  -- Every renewal (at most one per socket every third of the timeout) is announced, so
  -- clients can expire an indicator that stops being renewed; the viewer list only
  -- changes on the first.
  typing_event('typing:start', t, c, u, sid)
  if not was then announce_viewers(t, c, viewers(t, c)) end
  return 'ok'

elseif op == 'typing_stop' then
  local sid, c = ARGV[4], ARGV[5]
  local info = redis.call('HMGET', sock_key(sid), 't', 'u')
  local t, u = info[1], info[2]
  if not t or redis.call('SISMEMBER', conv_key(t, c), sid) == 0 then return 'forbidden' end
  -- Also when its time had run out but the sweep had not got to it: the sweep no longer
  -- will, and the others were told it started.
  if clear_typing(t, c, u) then
    typing_event('typing:stop', t, c, u, sid)
    announce_viewers(t, c, viewers(t, c))
  end
  return 'ok'

elseif op == 'heartbeat' then
  -- gateway, lease ms -> 1 when Redis did not know the gateway (new, or its state was lost
  -- or swept): the gateway then registers its sockets again.
  return redis.call('ZADD', P .. 'gw', now + tonumber(ARGV[5]), ARGV[4])

elseif op == 'sweep' then
  -- Typing nobody renewed in time stops; a gateway whose lease ran out (it died) takes its
  -- sockets with it. Bounded work per call; the next sweep takes the rest.
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', P .. 'typing', '-inf', now, 'LIMIT', 0, 200)) do
    local t, c, u = string.match(member, '^(%S+) (%S+) (%S+)$')
    redis.call('ZREM', P .. 'typing', member)
    if t then
      local until_ = redis.call('ZSCORE', typing_key(t, c), u)
      if until_ and tonumber(until_) <= now then
        redis.call('ZREM', typing_key(t, c), u)
        typing_event('typing:stop', t, c, u, nil)
        announce_viewers(t, c, viewers(t, c))
      end
    end
  end
  local gone = 0
  for _, g in ipairs(redis.call('ZRANGEBYSCORE', P .. 'gw', '-inf', now, 'LIMIT', 0, 5)) do
    for _, sid in ipairs(redis.call('SMEMBERS', P .. 'gw:' .. g)) do close(sid) end
    redis.call('DEL', P .. 'gw:' .. g)
    redis.call('ZREM', P .. 'gw', g)
    gone = gone + 1
  end
  return gone

elseif op == 'leave_gateway' then
  -- a gateway shutting down cleanly
  for _, sid in ipairs(redis.call('SMEMBERS', P .. 'gw:' .. ARGV[4])) do close(sid) end
  redis.call('DEL', P .. 'gw:' .. ARGV[4])
  redis.call('ZREM', P .. 'gw', ARGV[4])
  return 1

elseif op == 'presence' then
  -- tenant -> flat {user id, status, ...}
  return redis.call('HGETALL', P .. 'presence:' .. ARGV[4])
end

return redis.error_reply('unknown operation ' .. tostring(op))
