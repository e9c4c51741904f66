-- One matching message (X-Spam-Flag: YES) from the client address `client_ip` (IPv4 or
-- IPv6): for a client in the quarantine's ignore_hosts the verdict is ACCEPT (the
-- quarantine is off for this connection), otherwise the quarantine's action.
-- Globals: socket, scriptdir, client_ip, expect ("accept" | "discard").
dofile(scriptdir .. "/common.lua")

local wanted = ({accept = SMFIR_ACCEPT, discard = SMFIR_DISCARD})[expect]
check(wanted ~= nil, "bad -D expect=" .. tostring(expect))

local conn = open_connection()
local reply, at = send_envelope(conn, client_ip, "<sender@example.org>", {"<rcpt@example.com>"},
                                "CLIENT0001"), "connect"
if reply == nil then
  reply, at = send_message(conn, {
    {"From", "sender@example.org"},
    {"X-Spam-Flag", "YES"},
  }, "body\r\n")
end
check(reply == wanted, "client " .. client_ip .. ": expected " .. reply_name(wanted) ..
      ", got " .. reply_name(reply) .. " at " .. at)
mt.disconnect(conn)
mt.echo("ok: client " .. client_ip .. " got " .. reply_name(reply) .. " at " .. at)
