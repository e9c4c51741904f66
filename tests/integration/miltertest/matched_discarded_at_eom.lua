-- A message the quarantine's regex matches, action discard: the filter lets it go on
-- past end of headers and answers DISCARD at end of message.
-- Globals: socket, scriptdir.
dofile(scriptdir .. "/common.lua")

local conn = open_connection()
send_envelope(conn, "192.0.2.11", "<sender@example.org>", {"<rcpt@example.com>"}, "DISCARD001")
local reply = send_headers(conn, {
  {"From", "sender@example.org"},
  {"Subject", "buy now"},
  {"X-Spam-Flag", "YES"},
})
check(reply == SMFIR_CONTINUE, "end of headers: expected SMFIR_CONTINUE, got " .. reply_name(reply))
reply = send_body_and_eom(conn, "spam body\r\n")
check(reply == SMFIR_DISCARD, "end of message: expected SMFIR_DISCARD, got " .. reply_name(reply))
mt.disconnect(conn)
mt.echo("ok: matched message discarded at end of message")
