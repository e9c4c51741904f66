-- A message the quarantine's regex matches, action reject: REJECT at end of message with
-- the SMTP reply `554 5.7.0 <reject_reason>`.
-- Globals: socket, scriptdir, reason (the configured reject_reason).
dofile(scriptdir .. "/common.lua")

local conn = open_connection()
send_envelope(conn, "192.0.2.12", "<sender@example.org>", {"<rcpt@example.com>"}, "REJECT0001")
local reply = send_headers(conn, {
  {"From", "sender@example.org"},
  {"Subject", "buy now"},
  {"X-Spam-Flag", "YES"},
})
check(reply == SMFIR_CONTINUE, "end of headers: expected SMFIR_CONTINUE, got " .. reply_name(reply))
reply = send_body_and_eom(conn, "spam body\r\n")
-- smfi_setreply() + SMFIS_REJECT travels as SMFIR_REPLYCODE carrying the text.
check(reply == SMFIR_REPLYCODE, "end of message: expected SMFIR_REPLYCODE, got " .. reply_name(reply))
check(mt.eom_check(conn, MT_SMTPREPLY, "554", "5.7.0", reason),
      "end of message: reply is not `554 5.7.0 " .. reason .. "`")
mt.disconnect(conn)
mt.echo("ok: matched message rejected with 554 5.7.0 " .. reason)
