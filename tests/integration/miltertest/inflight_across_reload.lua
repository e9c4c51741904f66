-- A message in flight while the daemon reloads: the script sends envelope and headers,
-- creates the file `ready`, waits (deadline 30 s) for the file `gate` - the test reloads
-- qmilter with a different configuration meanwhile - then ends the message. The verdict
-- must be the one of the configuration the connection started with.
-- Globals: socket, scriptdir, ready, gate, expect ("discard" | "reject").
dofile(scriptdir .. "/common.lua")

local wanted = ({discard = SMFIR_DISCARD, reject = SMFIR_REPLYCODE})[expect]
check(wanted ~= nil, "bad -D expect=" .. tostring(expect))

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() return true end
  return false
end

local conn = open_connection()
check(send_envelope(conn, "192.0.2.20", "<sender@example.org>", {"<rcpt@example.com>"},
                    "INFLIGHT01") == nil, "connection settled at connect")
for _, h in ipairs({{"From", "sender@example.org"}, {"X-Spam-Flag", "YES"}}) do
  check(mt.header(conn, h[1], h[2]) == nil, "mt.header(" .. h[1] .. ") failed")
  if not mt.test_option(conn, SMFIP_NR_HDR) then expect_reply(conn, SMFIR_CONTINUE, "header") end
end

local f = assert(io.open(ready, "w"))
f:close()
local waited = 0
while not exists(gate) do
  check(waited < 30, "timed out waiting for " .. gate)
  mt.sleep(0.05)
  waited = waited + 0.05
end

local reply, at = send_message(conn, {}, "body\r\n")
check(reply == wanted, "expected " .. reply_name(wanted) .. " (the configuration at connect), got " ..
      reply_name(reply) .. " at " .. at)
mt.disconnect(conn)
mt.echo("ok: in-flight message kept its configuration (" .. reply_name(reply) .. " at " .. at .. ")")
