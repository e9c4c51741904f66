// Charset conversion. Labels are mapped to the superset mail software really sends
// (GB2312 → GB18030, Shift_JIS → CP932, ISO-8859-1 → windows-1252, as browsers do), then
// iconv converts with one U+FFFD per byte it cannot read.
#include "core/mime/charset_decoder.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <array>
#include <cerrno>
#include <utility>

#include <iconv.h>

#include "core/html/utf8.hpp"

namespace qmilter::mime {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

std::string lower_trimmed(std::string_view name) {
  while (!name.empty() && (name.front() == ' ' || name.front() == '"' || name.front() == '\''))
    name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '"' || name.back() == '\''))
    name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
  });
  return out;
}

bool is_utf8_label(std::string_view label) {
  static constexpr std::array<std::string_view, 8> kLabels = {
      "", "us-ascii", "ascii", "utf-8", "utf8", "unicode-1-1-utf-8", "x-unknown", "ansi_x3.4-1968"};
  return std::find(kLabels.begin(), kLabels.end(), label) != kLabels.end();
}

// The iconv name for a mail charset label.
std::string iconv_name(const std::string& label) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kAliases = {{
      {"iso-8859-1", "WINDOWS-1252"}, {"iso8859-1", "WINDOWS-1252"}, {"latin1", "WINDOWS-1252"},
      {"l1", "WINDOWS-1252"},         {"gb2312", "GB18030"},         {"gbk", "GB18030"},
      {"x-gbk", "GB18030"},           {"cp936", "GB18030"},          {"euc-cn", "GB18030"},
      {"shift_jis", "CP932"},         {"shift-jis", "CP932"},        {"sjis", "CP932"},
      {"x-sjis", "CP932"},            {"ms_kanji", "CP932"},         {"windows-31j", "CP932"},
      {"iso-2022-jp", "ISO-2022-JP-2"}, {"big5", "BIG5-HKSCS"},     {"big-5", "BIG5-HKSCS"},
      {"cn-big5", "BIG5-HKSCS"},      {"x-x-big5", "BIG5-HKSCS"},   {"ks_c_5601-1987", "CP949"},
      {"euc-kr", "CP949"},
  }};
  for (const auto& [from, to] : kAliases) {
    if (label == from) return std::string(to);
  }
  return label;
}

class Iconv {
 public:
  explicit Iconv(const std::string& from) : cd_(iconv_open("UTF-8", from.c_str())) {}
  ~Iconv() {
    if (ok()) iconv_close(cd_);
  }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1)); }

  std::string convert(std::string_view bytes) {
    std::string out;
    out.resize(bytes.size() * 2 + 16);
    char* in = const_cast<char*>(bytes.data());  // iconv's signature, it does not write
    std::size_t in_left = bytes.size();
    std::size_t used = 0;
    bool flushing = false;
    while (true) {
      char* out_ptr = out.data() + used;
      std::size_t out_left = out.size() - used;
      const std::size_t rc = flushing ? iconv(cd_, nullptr, nullptr, &out_ptr, &out_left)
                                      : iconv(cd_, &in, &in_left, &out_ptr, &out_left);
      used = static_cast<std::size_t>(out_ptr - out.data());
      if (rc != static_cast<std::size_t>(-1)) {
        if (flushing) break;
        flushing = true;  // emit the shift sequence back to the initial state
        continue;
      }
      if (errno == E2BIG) {
        out.resize(out.size() * 2);
        continue;
      }
      // EILSEQ: a byte this charset cannot hold; EINVAL: a character cut off at the end.
      if (out.size() - used < kReplacement.size()) out.resize(out.size() * 2);
      out.replace(used, kReplacement.size(), kReplacement);
      used += kReplacement.size();
      if (errno == EINVAL || in_left == 0) {
        in_left = 0;
      } else {
        ++in;
        --in_left;
      }
    }
    out.resize(used);
    return out;
  }

 private:
  iconv_t cd_;
};

}  // namespace

std::string decode_to_utf8(std::string_view bytes, std::string_view charset) {
  const std::string label = lower_trimmed(charset);
  // glibc's iconv_open ignores junk around a name it knows, and takes "//" suffixes as
  // options: only plain charset names reach it.
  const bool plain_name = std::all_of(label.begin(), label.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
  });
  if (!is_utf8_label(label) && plain_name) {
    Iconv converter(iconv_name(label));
    // iconv's output is UTF-8 by contract; the repair pass makes it so by construction too.
    if (converter.ok()) return html::repair_utf8(converter.convert(bytes), html::Utf8Repair::sequences_only);
  }
  // UTF-8, or an unknown charset: ASCII survives, everything else becomes U+FFFD.
  return html::repair_utf8(bytes, html::Utf8Repair::sequences_only);
}

std::string sniff_html_charset(std::string_view html) {
  const std::string head = lower_trimmed(html.substr(0, 4096));
  std::size_t pos = 0;
  while ((pos = head.find("charset", pos)) != std::string::npos) {
    pos += 7;
    while (pos < head.size() && (head[pos] == ' ' || head[pos] == '\t')) ++pos;
    if (pos >= head.size() || head[pos] != '=') continue;
    ++pos;
    while (pos < head.size() && (head[pos] == ' ' || head[pos] == '"' || head[pos] == '\'')) ++pos;
    std::size_t end = pos;
    while (end < head.size() && (std::isalnum(static_cast<unsigned char>(head[end])) ||
                                 head[end] == '-' || head[end] == '_' || head[end] == '.' ||
                                 head[end] == ':'))
      ++end;
    if (end > pos) return head.substr(pos, end - pos);
  }
  return {};
}

}  // namespace qmilter::mime
