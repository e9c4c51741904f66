-- A message the quarantine's regex matches, sent with the queue id (macro `i`) the test
-- chooses, however long: the verdict must be the quarantine's action (DISCARD), never a
-- TEMPFAIL because the id the store derives from it cannot be a file name.
-- Globals: socket, scriptdir, queue_id.
dofile(scriptdir .. "/common.lua")

check(queue_id ~= nil and queue_id ~= "", "-D queue_id=... is required")
local conn = open_connection()
send_envelope(conn, "192.0.2.12", "<sender@example.org>", {"<rcpt@example.com>"}, queue_id)
local reply, at = send_message(conn, {
  {"From", "sender@example.org"},
  {"Subject", "long queue id"},
  {"X-Spam-Flag", "YES"},
}, "spam body\r\n")
check(reply == SMFIR_DISCARD, "queue id of " .. #queue_id .. " characters: expected SMFIR_DISCARD, got " ..
      reply_name(reply) .. " at " .. at)
mt.disconnect(conn)
mt.echo("ok: queue id of " .. #queue_id .. " characters discarded at " .. at)
