-- A message the quarantine's regex matches, action reject: the SMTP reply
-- `554 5.7.0 <reject_reason>` (smfi_setreply + REJECT travels as SMFIR_REPLYCODE), at end
-- of message or - when nothing is stored or notified - already at end of headers.
-- miltertest keeps the reply text only at end of message; the Postfix tests check it
-- in both cases.
-- Globals: socket, scriptdir, reason (the configured reject_reason), verdict_at (optional).
dofile(scriptdir .. "/common.lua")

local conn = open_connection()
send_envelope(conn, "192.0.2.12", "<sender@example.org>", {"<rcpt@example.com>"}, "REJECT0001")
local reply, at = send_message(conn, {
  {"From", "sender@example.org"},
  {"Subject", "buy now"},
  {"X-Spam-Flag", "YES"},
}, "spam body\r\n")
check(reply == SMFIR_REPLYCODE, "expected SMFIR_REPLYCODE, got " .. reply_name(reply) .. " at " .. at)
if at == "eom" then
  check(mt.eom_check(conn, MT_SMTPREPLY, "554", "5.7.0", reason),
        "end of message: reply is not `554 5.7.0 " .. reason .. "`")
end
mt.disconnect(conn)
mt.echo("ok: matched message rejected at " .. at)
