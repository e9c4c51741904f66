// Splitting a message file into milter headers and a CRLF body (see eml_message.hpp).
#include "loadgen/eml_message.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace qmilter::bench {
namespace {

// Next line without its line end (LF or CRLF); advances pos past the line end.
std::string_view next_line(std::string_view text, std::size_t& pos, bool& had_newline) {
  const auto end = text.find('\n', pos);
  std::string_view line = text.substr(pos, end == std::string_view::npos ? text.npos : end - pos);
  had_newline = end != std::string_view::npos;
  pos = had_newline ? end + 1 : text.size();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

constexpr std::string_view builtin_text =
    "Received: from client.bench.example (client.bench.example [192.0.2.10])\n"
    "\tby mx.bench.example (Postfix) with ESMTPS id 4Zb3kq1Xyz\n"
    "\tfor <alice@bench.example>; Tue, 24 Nov 2026 12:00:00 +0000 (UTC)\n"
    "Received: from [10.0.0.5] (unknown [198.51.100.7])\n"
    "\tby client.bench.example (Postfix) with ESMTPSA id 9QpLm2Abc\n"
    "\tfor <alice@bench.example>; Tue, 24 Nov 2026 11:59:59 +0000 (UTC)\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=bench.example; s=mail;\n"
    "\tt=1795521600; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n"
    "\th=From:To:Subject:Date:Message-ID;\n"
    "\tb=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSwganVzdCBhIGJlbmNobWFyayBmaWxsZXI=\n"
    "From: Bob Sender <bob@client.bench.example>\n"
    "To: Alice Receiver <alice@bench.example>\n"
    "Subject: Quarterly figures for review\n"
    "Date: Tue, 24 Nov 2026 11:59:58 +0000\n"
    "Message-ID: <20261124115958.12345@client.bench.example>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "X-Mailer: bench-loadgen\n"
    "\n"
    "Hello Alice,\n"
    "\n"
    "please find the quarterly figures below. Revenue grew in every region but one;\n"
    "the details are in the attached spreadsheet, which I will send separately.\n"
    "\n"
    "  Region      Q1      Q2      Q3\n"
    "  North     1200    1350    1410\n"
    "  South      980    1010     995\n"
    "  East      1500    1620    1700\n"
    "  West       870     910     960\n"
    "\n"
    "Let me know if anything looks off before Thursday's meeting.\n"
    "\n"
    "Best regards,\n"
    "Bob\n"
    "-- \n"
    "Bob Sender, Finance\n"
    "client.bench.example\n";

}  // namespace

EmlMessage EmlMessage::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read message file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

EmlMessage EmlMessage::parse(std::string_view text, const std::string& origin) {
  EmlMessage message;
  std::size_t pos = 0;
  bool had_newline = false;
  if (text.rfind("From ", 0) == 0) next_line(text, pos, had_newline);

  // Headers: until the empty line; a line starting with white space continues the last one.
  // A line that is neither ends the header section, as Postfix treats it (start of body).
  while (pos < text.size()) {
    const std::size_t line_start = pos;
    const std::string_view line = next_line(text, pos, had_newline);
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t') && !message.headers_.empty()) {
      message.headers_.back().raw_value += '\n';
      message.headers_.back().raw_value.append(line);
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      pos = line_start;
      break;
    }
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    message.headers_.push_back({std::string(name), std::string(line.substr(colon + 1))});
  }
  if (message.headers_.empty()) {
    throw std::runtime_error("message file '" + origin + "' has no header lines");
  }

  // Body: every line end becomes CRLF; a last line without one gets it, as SMTP DATA does.
  message.body_.reserve(text.size() - pos + (text.size() - pos) / 32);
  while (pos < text.size()) {
    const std::string_view line = next_line(text, pos, had_newline);
    message.body_.append(line);
    message.body_ += "\r\n";
  }
  return message;
}

EmlMessage EmlMessage::builtin() { return parse(builtin_text, "(built-in message)"); }

void EmlMessage::add_header(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw std::runtime_error("header '" + std::string(line) + "' has no 'Name:' part");
  }
  headers_.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
}

void EmlMessage::set_body_size(std::size_t bytes) {
  static constexpr std::string_view pattern =
      "The quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUV";
  body_.clear();
  body_.reserve(bytes);
  while (body_.size() < bytes) {
    const std::size_t left = bytes - body_.size();
    if (left <= 2) {
      body_.append(left, '.');
      break;
    }
    const std::size_t text = std::min(pattern.size(), left - 2);
    body_.append(pattern.substr(0, text));
    body_ += "\r\n";
  }
}

void EmlMessage::set_total_size(std::size_t bytes) {
  set_body_size(0);
  const std::size_t headers = size();
  if (bytes < headers) {
    throw std::runtime_error("message size " + std::to_string(bytes) + " is smaller than its " +
                             std::to_string(headers) + " bytes of headers");
  }
  set_body_size(bytes - headers);
}

std::size_t EmlMessage::size() const {
  std::size_t total = body_.size() + 2;
  for (const auto& header : headers_) total += header.name.size() + 1 + header.raw_value.size() + 2;
  return total;
}

}  // namespace qmilter::bench
