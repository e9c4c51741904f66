// The text part search: depth-first through the MIME tree; an html part beats a plain one,
// a part of the message itself beats one inside an attached message/rfc822, attachments
// (Content-Disposition: attachment) are not text parts, the first of equals wins.
#include "core/mime/text_part_finder.hpp"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <libetpan/libetpan.h>

#include "core/html/utf8.hpp"
#include "core/mime/attachment_finder.hpp"
#include "core/mime/charset_decoder.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::mime {
namespace {

struct MimeDeleter {
  void operator()(mailmime* mime) const { mailmime_free(mime); }
};

struct Candidate {
  const mailmime* part = nullptr;
  TextPart::Kind kind = TextPart::Kind::none;
  int rank = std::numeric_limits<int>::max();  // lower is better
};

bool equals_ignoring_case(const char* a, std::string_view b) { return a != nullptr && sdk::ascii_iequals(a, b); }

// libetpan's subtype for "Content-Type: text" written without one: it never says which
// subtypes were missing, and a literal "text/unknown" is an unknown text subtype, which
// RFC 2046 also reads as plain.
constexpr std::string_view kMissingSubtype = "unknown";

// text/html, text/plain or none for a single part; no Content-Type, or "text" without a
// subtype (RFC 2045: an invalid Content-Type means the default), means text/plain.
TextPart::Kind kind_of(const mailmime* part) {
  const mailmime_content* content = part->mm_content_type;
  if (content == nullptr) return TextPart::Kind::plain;
  const mailmime_type* type = content->ct_type;
  if (type == nullptr || type->tp_type != MAILMIME_TYPE_DISCRETE_TYPE ||
      type->tp_data.tp_discrete_type == nullptr ||
      type->tp_data.tp_discrete_type->dt_type != MAILMIME_DISCRETE_TYPE_TEXT)
    return TextPart::Kind::none;
  if (equals_ignoring_case(content->ct_subtype, "html")) return TextPart::Kind::html;
  if (equals_ignoring_case(content->ct_subtype, "plain") || equals_ignoring_case(content->ct_subtype, kMissingSubtype))
    return TextPart::Kind::plain;
  return TextPart::Kind::none;
}

bool is_attachment(const mailmime* part) {
  mailmime_single_fields fields{};
  mailmime_single_fields_init(&fields, part->mm_mime_fields, part->mm_content_type);
  return fields.fld_disposition != nullptr && fields.fld_disposition->dsp_type != nullptr &&
         fields.fld_disposition->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
}

// Iterative depth-first walk (nesting depth is attacker-controlled).
Candidate find_best(const mailmime* root) {
  Candidate best;
  int order = 0;
  std::vector<std::pair<const mailmime*, int>> stack{{root, 0}};  // part, attached-message depth
  while (!stack.empty()) {
    const auto [part, nested] = stack.back();
    stack.pop_back();
    if (part == nullptr) continue;
    switch (part->mm_type) {
      case MAILMIME_SINGLE: {
        const TextPart::Kind kind = kind_of(part);
        if (kind == TextPart::Kind::none || is_attachment(part)) break;
        // nested message first, then html before plain, then document order.
        const int rank = (nested > 0 ? 1 << 28 : 0) + (kind == TextPart::Kind::html ? 0 : 1 << 27) + order++;
        if (rank < best.rank) best = {part, kind, rank};
        break;
      }
      case MAILMIME_MULTIPLE: {
        const clist* children = part->mm_data.mm_multipart.mm_mp_list;
        if (children == nullptr) break;
        std::vector<const mailmime*> in_order;
        for (clistiter* it = clist_begin(children); it != nullptr; it = clist_next(it))
          in_order.push_back(static_cast<const mailmime*>(clist_content(it)));
        for (auto it = in_order.rbegin(); it != in_order.rend(); ++it) stack.emplace_back(*it, nested);
        break;
      }
      case MAILMIME_MESSAGE:
        stack.emplace_back(part->mm_data.mm_message.mm_msg_mime, part == root ? nested : nested + 1);
        break;
      default:
        break;
    }
  }
  return best;
}

// Bytes libetpan's decoders may read past the length they are given.
constexpr std::size_t kDecoderOverread = 4;

// How many encoded bytes surely decode to at least max_bytes: base64 needs 4 per 3 plus
// its line breaks, QP at most 3 per byte (=XX), the rest 1.
std::size_t encoded_limit(int encoding, std::size_t max_bytes) {
  if (max_bytes > std::numeric_limits<std::size_t>::max() / 4) return max_bytes;
  switch (encoding) {
    case MAILMIME_MECHANISM_BASE64: return max_bytes / 3 * 4 + max_bytes / 16 + 16;
    case MAILMIME_MECHANISM_QUOTED_PRINTABLE: return max_bytes * 3 + 16;
    default: return max_bytes + 16;
  }
}

// The body bytes of the part after transfer decoding, at most about max_bytes of them.
std::string transfer_decode(const mailmime_data* data, std::size_t max_bytes, std::string_view raw, bool& cut) {
  if (data == nullptr || data->dt_type != MAILMIME_DATA_TEXT || data->dt_data.dt_text.dt_data == nullptr)
    return {};
  std::string_view encoded(data->dt_data.dt_text.dt_data, data->dt_data.dt_text.dt_length);
  const int encoding = data->dt_encoded ? data->dt_encoding : MAILMIME_MECHANISM_8BIT;
  const std::size_t limit = encoded_limit(encoding, max_bytes);
  if (limit < encoded.size()) {
    encoded = encoded.substr(0, limit);
    cut = true;
  }
  if (encoding != MAILMIME_MECHANISM_BASE64 && encoding != MAILMIME_MECHANISM_QUOTED_PRINTABLE)
    return std::string(encoded);
  // libetpan's QP decoder reads the two characters after a '=' without checking the
  // length (found by fuzz_preview): a part ending near the message's end (or, should
  // libetpan ever hand out data outside it, anywhere) is decoded from a padded copy;
  // anything else is followed by more of the message.
  const auto address = [](const char* p) { return reinterpret_cast<std::uintptr_t>(p); };
  const bool followed_by_message = address(encoded.data()) >= address(raw.data()) &&
                                   address(encoded.data()) + encoded.size() + kDecoderOverread <=
                                       address(raw.data()) + raw.size();
  std::string padded;
  if (!followed_by_message) {
    padded.reserve(encoded.size() + kDecoderOverread);
    padded.append(encoded).append(kDecoderOverread, '\n');
    encoded = std::string_view(padded).substr(0, encoded.size());
  }
  std::size_t index = 0;
  char* decoded = nullptr;
  std::size_t decoded_length = 0;
  if (mailmime_part_parse(encoded.data(), encoded.size(), &index, encoding, &decoded,
                          &decoded_length) != MAILIMF_NO_ERROR) {
    return std::string(encoded);  // undecodable: show what is there rather than nothing
  }
  std::string out(decoded, decoded_length);
  mmap_string_unref(decoded);
  return out;
}

std::string charset_of(const mailmime* part, TextPart::Kind kind, std::string_view body) {
  if (part->mm_content_type != nullptr) {
    // Not mailmime_content_charset_get: it answers "us-ascii" for a missing parameter,
    // which would hide the <meta> of an HTML part.
    char name[] = "charset";
    if (const char* charset = mailmime_content_param_get(part->mm_content_type, name)) return charset;
  }
  return kind == TextPart::Kind::html ? sniff_html_charset(body) : std::string();
}

// libetpan parses nested containers recursively and rescans for each level's boundary:
// 200k nested message/rfc822 parts overflow the stack, 20k nested multiparts take seconds.
// Real mail has a handful; past this many the message gets no preview.
constexpr std::size_t kMaxContainers = 200;

bool ends_with_ignoring_case(std::string_view text, std::size_t end, std::string_view word) {
  return end >= word.size() && sdk::ascii_iequals(text.substr(end - word.size(), word.size()), word);
}

// An upper bound of the MIME containers (multipart/*, message/*) a message declares.
std::size_t count_containers(std::string_view raw) {
  std::size_t count = 0;
  for (std::size_t slash = raw.find('/'); slash != std::string_view::npos; slash = raw.find('/', slash + 1)) {
    if (ends_with_ignoring_case(raw, slash, "multipart") || ends_with_ignoring_case(raw, slash, "message")) ++count;
  }
  return count;
}

// libetpan's tree costs ~600 bytes per part: 25 MB of tiny parts would take 350 MB. Every
// part starts with a line beginning "--"; real mail has a few dozen.
constexpr std::size_t kMaxDelimiterLines = 20000;

std::size_t count_delimiter_lines(std::string_view raw) {
  std::size_t count = raw.starts_with("--") ? 1 : 0;
  for (std::size_t newline = raw.find('\n'); newline != std::string_view::npos; newline = raw.find('\n', newline + 1)) {
    if (raw.compare(newline + 1, 2, "--") == 0) ++count;
  }
  return count;
}

// Where the body starts in a message libetpan could not parse at all.
std::string_view body_of(std::string_view raw) {
  for (const std::string_view separator : {std::string_view("\r\n\r\n"), std::string_view("\n\n")}) {
    const std::size_t pos = raw.find(separator);
    if (pos != std::string_view::npos) return raw.substr(pos + separator.size());
  }
  return {};
}

}  // namespace

ExtractedText extract_text_part(std::string_view raw_message, std::size_t max_bytes) {
  ExtractedText result;
  if (count_containers(raw_message) > kMaxContainers || count_delimiter_lines(raw_message) > kMaxDelimiterLines)
    return result;
  std::size_t index = 0;
  mailmime* parsed = nullptr;
  if (mailmime_parse(raw_message.data(), raw_message.size(), &index, &parsed) != MAILIMF_NO_ERROR ||
      parsed == nullptr) {
    // libetpan gave up: the body as plain text is still a truthful preview.
    std::string_view body = body_of(raw_message);
    if (body.size() > max_bytes) {
      body = body.substr(0, max_bytes);
      result.cut = true;
    }
    result.part = {TextPart::Kind::plain, html::repair_utf8(body, html::Utf8Repair::sequences_only)};
    return result;
  }
  const std::unique_ptr<mailmime, MimeDeleter> tree(parsed);
  const Candidate best = find_best(tree.get());
  result.attachments = find_attachments(tree.get(), best.part);
  if (best.part == nullptr) return result;

  std::string body = transfer_decode(best.part->mm_data.mm_single, max_bytes, raw_message, result.cut);
  if (body.size() > max_bytes) {
    body.resize(max_bytes);
    result.cut = true;
  }
  const std::string charset = charset_of(best.part, best.kind, body);
  result.part = {best.kind, decode_to_utf8(body, charset)};
  return result;
}

TextPart find_text_part(std::string_view raw_message) {
  return extract_text_part(raw_message, std::numeric_limits<std::size_t>::max()).part;
}

}  // namespace qmilter::mime
