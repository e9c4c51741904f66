-- A message the quarantine's regex matches while one of its plugins fails: the reply is
-- `451 4.3.0` (smfi_setreply + TEMPFAIL travels as SMFIR_REPLYCODE), so the MTA keeps the
-- mail and retries it. miltertest keeps the reply text only at end of message.
-- Globals: socket, scriptdir, subject (the message's Subject), queue_id.
dofile(scriptdir .. "/common.lua")

local conn = open_connection()
send_envelope(conn, "192.0.2.13", "<sender@example.org>", {"<rcpt@example.com>"}, queue_id)
local reply, at = send_message(conn, {
  {"From", "sender@example.org"},
  {"Subject", subject},
  {"X-Spam-Flag", "YES"},
}, "spam body\r\n")
check(reply == SMFIR_REPLYCODE or reply == SMFIR_TEMPFAIL,
      "expected a temporary failure, got " .. reply_name(reply) .. " at " .. at)
if at == "eom" then
  local text = "Temporary failure in mail filter, try again later"
  check(mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.0", text),
        "end of message: reply is not `451 4.3.0 " .. text .. "`")
end
mt.disconnect(conn)
mt.echo("ok: matched message temporarily failed at " .. at)
