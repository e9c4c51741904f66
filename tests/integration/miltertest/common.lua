-- Helpers shared by qmilter's miltertest scripts (loaded with dofile(scriptdir .. ...)).
-- Globals set by the runner (-D): socket = the filter's socket; each script documents its
-- own. Every failed expectation raises error(), which makes miltertest exit non-zero.

-- miltertest exits 1 on a Lua error without printing it: say what failed first.
function fail(msg)
  mt.echo("FAIL: " .. msg)
  error(msg, 2)
end

function check(cond, msg)
  if not cond then fail(msg) end
end

local reply_names = {}
for _, name in ipairs({"SMFIR_ACCEPT", "SMFIR_CONTINUE", "SMFIR_DISCARD", "SMFIR_REJECT",
                       "SMFIR_TEMPFAIL", "SMFIR_REPLYCODE", "SMFIR_SKIP"}) do
  reply_names[_G[name]] = name
end

function reply_name(code)
  return reply_names[code] or string.format("%q", string.char(code))
end

function expect_reply(conn, want, step)
  local got = mt.getreply(conn)
  if got ~= want then
    fail(string.format("%s: expected %s, got %s", step, reply_name(want), reply_name(got)))
  end
end

-- Connect and negotiate with the MTA's default offer (all steps, all no-reply bits).
function open_connection()
  local conn = mt.connect(socket, 50, 0.1)
  check(conn ~= nil, "mt.connect(" .. tostring(socket) .. ") failed")
  check(mt.negotiate(conn, nil, nil, nil) == nil, "mt.negotiate() failed")
  return conn
end

-- True when the filter asked not to be sent the step (no_flag) or not to reply to it.
function silent_step(conn, no_flag, nr_flag)
  return mt.test_option(conn, no_flag) or mt.test_option(conn, nr_flag)
end

-- Fail unless the filter negotiated away the replies of every step before end of
-- headers: the clean path must cost one round trip (end of headers).
function check_no_reply_steps(conn)
  local steps = {
    {"connect", SMFIP_NOCONNECT, SMFIP_NR_CONN},
    {"helo", SMFIP_NOHELO, SMFIP_NR_HELO},
    {"mail", SMFIP_NOMAIL, SMFIP_NR_MAIL},
    {"rcpt", SMFIP_NORCPT, SMFIP_NR_RCPT},
    {"header", SMFIP_NOHDRS, SMFIP_NR_HDR},
  }
  for _, s in ipairs(steps) do
    check(silent_step(conn, s[2], s[3]),
          "filter expects a reply to " .. s[1] .. " (negotiated neither SMFIP_NO* nor SMFIP_NR_*)")
  end
  -- qmilter reads headers, so it must not skip them.
  check(not mt.test_option(conn, SMFIP_NOHDRS), "filter negotiated SMFIP_NOHDRS")
  check(not mt.test_option(conn, SMFIP_NOEOH), "filter negotiated SMFIP_NOEOH")
end

-- Send connect/helo/mail/rcpt the way Postfix does, skipping the steps the filter
-- negotiated away; replies of steps it did not silence must be CONTINUE - except at
-- connect, where a filter may settle the whole connection (ACCEPT for a client all
-- quarantines ignore): then that reply is returned and nothing more is sent.
function send_envelope(conn, client_ip, from, rcpts, queue_id)
  check(mt.conninfo(conn, "client.rig.test", client_ip) == nil, "mt.conninfo() failed")
  if not silent_step(conn, SMFIP_NOCONNECT, SMFIP_NR_CONN) then
    local reply = mt.getreply(conn)
    if reply == SMFIR_ACCEPT then return reply end
    expect_reply(conn, SMFIR_CONTINUE, "connect")
  end
  if not mt.test_option(conn, SMFIP_NOHELO) then
    check(mt.helo(conn, "client.rig.test") == nil, "mt.helo() failed")
    if not mt.test_option(conn, SMFIP_NR_HELO) then expect_reply(conn, SMFIR_CONTINUE, "helo") end
  end
  mt.macro(conn, SMFIC_MAIL, "i", queue_id)
  if not mt.test_option(conn, SMFIP_NOMAIL) then
    check(mt.mailfrom(conn, from) == nil, "mt.mailfrom() failed")
    if not mt.test_option(conn, SMFIP_NR_MAIL) then expect_reply(conn, SMFIR_CONTINUE, "mail") end
  end
  if not mt.test_option(conn, SMFIP_NORCPT) then
    for _, rcpt in ipairs(rcpts) do
      check(mt.rcptto(conn, rcpt) == nil, "mt.rcptto(" .. rcpt .. ") failed")
      if not mt.test_option(conn, SMFIP_NR_RCPT) then expect_reply(conn, SMFIR_CONTINUE, "rcpt") end
    end
  end
  return nil
end

-- Send headers {{name, value}, ...} and end of headers; returns the reply to EOH.
function send_headers(conn, headers)
  for _, h in ipairs(headers) do
    check(mt.header(conn, h[1], h[2]) == nil, "mt.header(" .. h[1] .. ") failed")
    if not mt.test_option(conn, SMFIP_NR_HDR) then expect_reply(conn, SMFIR_CONTINUE, "header " .. h[1]) end
  end
  check(mt.eoh(conn) == nil, "mt.eoh() failed")
  return mt.getreply(conn)
end

function send_body_and_eom(conn, body)
  if not mt.test_option(conn, SMFIP_NOBODY) then
    check(mt.bodystring(conn, body) == nil, "mt.bodystring() failed")
    if not mt.test_option(conn, SMFIP_NR_BODY) then expect_reply(conn, SMFIR_CONTINUE, "body") end
  end
  check(mt.eom(conn) == nil, "mt.eom() failed")
  return mt.getreply(conn)
end

-- Headers, then (if the filter has not decided yet) body and end of message. A filter
-- that needs no body (nothing to store or notify) may give its verdict at end of headers.
-- The global `verdict_at` ("eoh" or "eom", from -D) requires one of the two.
-- Returns the reply and where it came ("eoh" / "eom").
function send_message(conn, headers, body)
  local reply = send_headers(conn, headers)
  if reply ~= SMFIR_CONTINUE then
    check(verdict_at == nil or verdict_at == "eoh",
          "expected the verdict at end of message, got " .. reply_name(reply) .. " at end of headers")
    return reply, "eoh"
  end
  check(verdict_at == nil or verdict_at == "eom",
        "expected the verdict at end of headers, got SMFIR_CONTINUE")
  return send_body_and_eom(conn, body), "eom"
end
