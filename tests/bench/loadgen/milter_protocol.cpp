// Packet framing of the milter protocol (see milter_protocol.hpp).
#include "loadgen/milter_protocol.hpp"

#include <array>

namespace qmilter::bench::milter {

std::string protocol_flag_names(std::uint32_t protocol) {
  static constexpr std::array<std::pair<std::uint32_t, const char*>, 21> names{{
      {p_no_connect, "NOCONNECT"}, {p_no_helo, "NOHELO"},   {p_no_mail, "NOMAIL"},
      {p_no_rcpt, "NORCPT"},       {p_no_body, "NOBODY"},   {p_no_hdrs, "NOHDRS"},
      {p_no_eoh, "NOEOH"},         {p_nr_hdr, "NR_HDR"},    {p_no_unknown, "NOUNKNOWN"},
      {p_no_data, "NODATA"},       {p_skip, "SKIP"},        {p_rcpt_rej, "RCPT_REJ"},
      {p_nr_conn, "NR_CONN"},      {p_nr_helo, "NR_HELO"},  {p_nr_mail, "NR_MAIL"},
      {p_nr_rcpt, "NR_RCPT"},      {p_nr_data, "NR_DATA"},  {p_nr_unkn, "NR_UNKN"},
      {p_nr_eoh, "NR_EOH"},        {p_nr_body, "NR_BODY"},  {p_hdr_leadspc, "HDR_LEADSPC"},
  }};
  std::string out;
  for (const auto& [bit, name] : names) {
    if ((protocol & bit) != 0) {
      if (!out.empty()) out += ' ';
      out += name;
    }
  }
  return out.empty() ? "(none)" : out;
}

void append_u32(std::string& out, std::uint32_t value) {
  out += static_cast<char>((value >> 24) & 0xFF);
  out += static_cast<char>((value >> 16) & 0xFF);
  out += static_cast<char>((value >> 8) & 0xFF);
  out += static_cast<char>(value & 0xFF);
}

std::uint32_t read_u32(std::string_view data, std::size_t offset) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(data[offset + i]);
  }
  return value;
}

void append_packet(std::string& out, char code, std::string_view data) {
  append_u32(out, static_cast<std::uint32_t>(data.size() + 1));
  out += code;
  out.append(data);
}

void append_macros(std::string& out, char for_command, const std::vector<Macro>& macros) {
  if (macros.empty()) return;
  std::string data(1, for_command);
  for (const auto& [name, value] : macros) {
    data.append(name);
    data += '\0';
    data.append(value);
    data += '\0';
  }
  append_packet(out, cmd_macro, data);
}

}  // namespace qmilter::bench::milter
