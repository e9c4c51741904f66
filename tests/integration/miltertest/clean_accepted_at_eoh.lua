-- A message no quarantine matches: the filter answers ACCEPT at end of headers, and it
-- negotiated no reply for every step before, so clean mail costs one round trip.
-- Globals: socket, scriptdir.
dofile(scriptdir .. "/common.lua")

local conn = open_connection()
check_no_reply_steps(conn)
send_envelope(conn, "192.0.2.10", "<Sender@Example.ORG>", {"<rcpt@example.com>"}, "CLEAN00001")
local reply = send_headers(conn, {
  {"From", "Sender <sender@example.org>"},
  {"To", "rcpt@example.com"},
  {"Subject", "nothing to see here"},
  {"X-Spam-Flag", "NO"},
})
check(reply == SMFIR_ACCEPT, "end of headers: expected SMFIR_ACCEPT, got " .. reply_name(reply))
mt.disconnect(conn)
mt.echo("ok: clean message accepted at end of headers")
