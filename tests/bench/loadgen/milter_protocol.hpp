// The milter wire protocol, version 6, as the MTA side speaks it: command and reply codes,
// negotiation flags and packet framing (4-byte big-endian length, one code byte, data).
// Values are those of libmilter's mfdef.h, restated here so the load generator needs no
// libmilter at all. Pure functions and constants: safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qmilter::bench::milter {

inline constexpr std::uint32_t protocol_version = 6;
inline constexpr std::size_t max_body_chunk = 65535;  // MILTER_CHUNK_SIZE, what Postfix sends

// Commands (MTA → filter).
inline constexpr char cmd_abort = 'A';
inline constexpr char cmd_body = 'B';
inline constexpr char cmd_connect = 'C';
inline constexpr char cmd_macro = 'D';
inline constexpr char cmd_body_eob = 'E';
inline constexpr char cmd_helo = 'H';
inline constexpr char cmd_header = 'L';
inline constexpr char cmd_mail = 'M';
inline constexpr char cmd_eoh = 'N';
inline constexpr char cmd_optneg = 'O';
inline constexpr char cmd_quit = 'Q';
inline constexpr char cmd_rcpt = 'R';
inline constexpr char cmd_data = 'T';

// Replies (filter → MTA).
inline constexpr char reply_addrcpt = '+';
inline constexpr char reply_delrcpt = '-';
inline constexpr char reply_addrcpt_par = '2';
inline constexpr char reply_shutdown = '4';
inline constexpr char reply_accept = 'a';
inline constexpr char reply_replbody = 'b';
inline constexpr char reply_continue = 'c';
inline constexpr char reply_discard = 'd';
inline constexpr char reply_chgfrom = 'e';
inline constexpr char reply_conn_fail = 'f';
inline constexpr char reply_addheader = 'h';
inline constexpr char reply_insheader = 'i';
inline constexpr char reply_setsymlist = 'l';
inline constexpr char reply_chgheader = 'm';
inline constexpr char reply_progress = 'p';
inline constexpr char reply_quarantine = 'q';
inline constexpr char reply_reject = 'r';
inline constexpr char reply_skip = 's';
inline constexpr char reply_tempfail = 't';
inline constexpr char reply_replycode = 'y';

// Address families in SMFIC_CONNECT.
inline constexpr char family_inet = '4';
inline constexpr char family_inet6 = '6';
inline constexpr char family_unix = 'L';

// Protocol flags (SMFIP_*): what the filter asks the MTA to leave out or not wait for.
inline constexpr std::uint32_t p_no_connect = 0x00000001;
inline constexpr std::uint32_t p_no_helo = 0x00000002;
inline constexpr std::uint32_t p_no_mail = 0x00000004;
inline constexpr std::uint32_t p_no_rcpt = 0x00000008;
inline constexpr std::uint32_t p_no_body = 0x00000010;
inline constexpr std::uint32_t p_no_hdrs = 0x00000020;
inline constexpr std::uint32_t p_no_eoh = 0x00000040;
inline constexpr std::uint32_t p_nr_hdr = 0x00000080;
inline constexpr std::uint32_t p_no_unknown = 0x00000100;
inline constexpr std::uint32_t p_no_data = 0x00000200;
inline constexpr std::uint32_t p_skip = 0x00000400;
inline constexpr std::uint32_t p_rcpt_rej = 0x00000800;
inline constexpr std::uint32_t p_nr_conn = 0x00001000;
inline constexpr std::uint32_t p_nr_helo = 0x00002000;
inline constexpr std::uint32_t p_nr_mail = 0x00004000;
inline constexpr std::uint32_t p_nr_rcpt = 0x00008000;
inline constexpr std::uint32_t p_nr_data = 0x00010000;
inline constexpr std::uint32_t p_nr_unkn = 0x00020000;
inline constexpr std::uint32_t p_nr_eoh = 0x00040000;
inline constexpr std::uint32_t p_nr_body = 0x00080000;
inline constexpr std::uint32_t p_hdr_leadspc = 0x00100000;

// What the load generator offers: every step may be skipped or left unanswered, as
// Postfix 3.7 offers (no larger data sizes: body chunks stay at 64 KiB).
inline constexpr std::uint32_t offered_protocol = 0x001FFFFF;
// Every modification action of protocol 6 (SMFI_CURR_ACTS).
inline constexpr std::uint32_t offered_actions = 0x000001FF;

// Names of the set bits of a protocol mask, e.g. "NR_CONN NR_HELO", for reports.
std::string protocol_flag_names(std::uint32_t protocol);

// One macro definition: name without braces-stripping ("i", "{daemon_name}") and value.
using Macro = std::pair<std::string, std::string>;

// Appends one framed packet to out.
void append_packet(std::string& out, char code, std::string_view data);
// Appends an SMFIC_MACRO packet defining macros for the command `for_command`.
void append_macros(std::string& out, char for_command, const std::vector<Macro>& macros);
// Appends a 32-bit big-endian integer (option negotiation fields).
void append_u32(std::string& out, std::uint32_t value);
// Reads a 32-bit big-endian integer at offset (caller checks the size).
std::uint32_t read_u32(std::string_view data, std::size_t offset);

}  // namespace qmilter::bench::milter
