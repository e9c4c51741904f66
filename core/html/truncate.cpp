// A tokenizer for our own serializer's output only: tags are "<name ...>", "<name .../>" or
// "</name>", attribute values never hold a raw '>', entities end with ';'.
#include "core/html/truncate.hpp"

#include <cstdint>
#include <vector>

namespace qmilter::html {
namespace {

std::size_t closing_tag_size(std::string_view name) { return name.size() + 3; }

std::size_t utf8_char_length(char lead) {
  const auto byte = static_cast<std::uint8_t>(lead);
  if (byte < 0xC0) return 1;
  if (byte < 0xE0) return 2;
  if (byte < 0xF0) return 3;
  return 4;
}

std::string_view tag_name(std::string_view tag) {  // tag without '<' / '</'
  std::size_t end = 0;
  while (end < tag.size() && tag[end] != ' ' && tag[end] != '>' && tag[end] != '/') ++end;
  return tag.substr(0, end);
}

}  // namespace

std::string truncate_fragment(std::string_view fragment, std::size_t max_bytes,
                              std::string_view marker, bool input_was_cut, std::size_t max_text) {
  // Text never exceeds the fragment's bytes: only a smaller text budget needs the walk.
  if (!input_was_cut && fragment.size() <= max_bytes && fragment.size() <= max_text) return std::string(fragment);
  if (marker.size() > max_bytes) marker = {};
  std::size_t text = 0;  // text bytes up to pos

  std::vector<std::string_view> open;  // names of the elements open at pos
  std::size_t closing = 0;             // bytes needed to close them
  std::size_t pos = 0;
  while (pos < fragment.size()) {
    std::size_t end = pos;
    std::size_t extra_closing = 0;
    std::string_view opened;
    bool closes = false;
    std::size_t text_size = 0;  // of this token, when it is text
    const char c = fragment[pos];
    if (c == '<') {
      const std::size_t gt = fragment.find('>', pos);
      if (gt == std::string_view::npos) break;  // not our output: stop before it
      end = gt + 1;
      const std::string_view tag = fragment.substr(pos + 1, gt - pos - 1);
      if (tag.starts_with("/")) {
        closes = true;
      } else if (!tag.ends_with("/")) {
        opened = tag_name(tag);
        extra_closing = closing_tag_size(opened);
      }
    } else if (c == '&') {
      const std::size_t semicolon = fragment.find(';', pos);
      end = semicolon == std::string_view::npos ? pos + 1 : semicolon + 1;
      text_size = 1;
    } else {
      end = pos + utf8_char_length(c);
      text_size = end - pos;
    }
    if (end > fragment.size()) break;
    if (text + text_size > max_text) break;
    // A closing tag was already paid for by the element it closes.
    if (!closes && end + closing + extra_closing + marker.size() > max_bytes) break;
    text += text_size;
    if (closes && !open.empty()) {
      closing -= closing_tag_size(open.back());
      open.pop_back();
    } else if (!opened.empty()) {
      open.push_back(opened);
      closing += extra_closing;
    }
    pos = end;
  }
  if (pos >= fragment.size() && !input_was_cut) return std::string(fragment);

  std::string out(fragment.substr(0, pos));
  for (auto it = open.rbegin(); it != open.rend(); ++it) {
    out.append("</");
    out.append(*it);
    out.push_back('>');
  }
  out.append(marker);
  return out;
}

}  // namespace qmilter::html
