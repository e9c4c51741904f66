-- A message the quarantine's regex matches, action discard: DISCARD, at end of message
-- or - when nothing is stored or notified - already at end of headers.
-- Globals: socket, scriptdir, verdict_at (optional: "eoh" | "eom").
dofile(scriptdir .. "/common.lua")

local conn = open_connection()
send_envelope(conn, "192.0.2.11", "<sender@example.org>", {"<rcpt@example.com>"}, "DISCARD001")
local reply, at = send_message(conn, {
  {"From", "sender@example.org"},
  {"Subject", "buy now"},
  {"X-Spam-Flag", "YES"},
}, "spam body\r\n")
check(reply == SMFIR_DISCARD, "expected SMFIR_DISCARD, got " .. reply_name(reply) .. " at " .. at)
mt.disconnect(conn)
mt.echo("ok: matched message discarded at " .. at)
