// libetpan owns every node handed to it and frees the tree with mailmime_free; strings go in
// as malloc'd copies. Bodies are referenced, not copied, so they must outlive the write.
#include "core/compose/html_message.hpp"

#include <libetpan/libetpan.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>

#include "core/compose/header_encoding.hpp"

namespace qmilter::compose {
namespace {

struct MimeDeleter {
  void operator()(mailmime* mime) const { mailmime_free(mime); }
};
using MimePtr = std::unique_ptr<mailmime, MimeDeleter>;

struct MmapStringDeleter {
  void operator()(MMAPString* s) const { mmap_string_free(s); }
};

char* copy(std::string_view text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// The longest address a From may carry (RFC 5321's limit on a path, less its brackets):
// anything longer is no address a reply could reach, and it could not be folded.
constexpr std::size_t max_address_bytes = 254;

// The From header's value from a "Name <addr>" or "addr" text; anything without a usable
// address gets the fallback address and the whole text as its display name, so a template
// variable can never break the header. Written by hand rather than by libetpan's mailbox
// writer, which quotes a name holding specials (",", "." ...) — a quoted string it can
// neither fold nor write past 499 characters — and puts a long atom on one line.
std::string from_value(const HtmlMessageHeaders& headers) {
  const std::string from = without_line_breaks(headers.from);
  std::string display;
  std::string address;
  std::size_t index = 0;
  mailimf_mailbox* parsed = nullptr;
  if (mailimf_mailbox_parse(from.data(), from.size(), &index, &parsed) == MAILIMF_NO_ERROR &&
      parsed != nullptr && index == from.size() && parsed->mb_addr_spec != nullptr &&
      std::strchr(parsed->mb_addr_spec, '@') != nullptr && std::strlen(parsed->mb_addr_spec) <= max_address_bytes) {
    address = parsed->mb_addr_spec;
    if (parsed->mb_display_name != nullptr) display = parsed->mb_display_name;
  } else {
    display = from;
    address = headers.fallback_address.empty() ? "MAILER-DAEMON" : headers.fallback_address;
  }
  if (parsed != nullptr) mailimf_mailbox_free(parsed);
  const std::string phrase = encode_display_name(display);
  // libetpan's header writer folds this between words: each is at most 60 characters.
  return phrase.empty() ? address : phrase + " <" + address + ">";
}

mailmime* make_part(const char* content_type, int encoding, mailmime_fields* fields, std::string_view body) {
  mailmime_content* content = mailmime_content_new_with_str(content_type);
  if (content == nullptr) throw std::bad_alloc();
  if (fields == nullptr) fields = mailmime_fields_new_encoding(encoding);
  mailmime* part = mailmime_new_empty(content, fields);
  // mailmime_set_body_text keeps the pointer; the caller's strings outlive the write.
  mailmime_set_body_text(part, const_cast<char*>(body.data()), body.size());
  return part;
}

mailmime* make_text_part(const char* content_type, std::string_view body) {
  mailmime* part = make_part(content_type, MAILMIME_MECHANISM_QUOTED_PRINTABLE, nullptr, body);
  // mailmime_param_new_with_data copies its arguments (unlike the other constructors here).
  clist_append(part->mm_content_type->ct_parameters,
               mailmime_param_new_with_data(const_cast<char*>("charset"), const_cast<char*>("UTF-8")));
  return part;
}

mailmime* make_image_part(const InlineImage& image) {
  mailmime_disposition* disposition =
      mailmime_disposition_new_with_data(MAILMIME_DISPOSITION_TYPE_INLINE, copy(image.file_name), nullptr, nullptr, nullptr,
                                         static_cast<size_t>(-1));
  mailmime_fields* fields = mailmime_fields_new_with_data(mailmime_mechanism_new(MAILMIME_MECHANISM_BASE64, nullptr),
                                                          copy(image.file_name), nullptr, disposition, nullptr);
  return make_part(image.content_type.c_str(), MAILMIME_MECHANISM_BASE64, fields, image.bytes);
}

void set_boundary(mailmime* multipart, const std::string& boundary) {
  clist* parameters = multipart->mm_content_type->ct_parameters;
  for (clistiter* it = clist_begin(parameters); it != nullptr; it = clist_next(it)) {
    auto* parameter = static_cast<mailmime_parameter*>(clist_content(it));
    if (std::strcmp(parameter->pa_name, "boundary") == 0) {
      std::free(parameter->pa_value);
      parameter->pa_value = copy(boundary);
    }
  }
}

}  // namespace

std::string random_hex(std::size_t count) {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    const auto b = static_cast<unsigned>(generator() & 0xFF);
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

// Short enough that the longer Content-Type line, multipart/alternative's, needs no folding.
MessageBoundaries new_boundaries() { return {"qmilter-" + random_hex(11), "qmilter-" + random_hex(11)}; }

sdk::Result<std::string> write_html_message(const HtmlMessageHeaders& headers, std::string_view text_body,
                                            std::string_view html_body, const MessageBoundaries& boundaries) {
  const std::string subject = encode_unstructured(without_line_breaks(headers.subject));
  const std::string message_id = std::to_string(std::time(nullptr)) + "." + random_hex(8) + ".qmilter@" + host_name();

  mailimf_address_list* to = mailimf_address_list_new_empty();
  mailimf_address_list_add_mb(to, nullptr, copy(without_line_breaks(headers.to)));
  mailimf_fields* fields = mailimf_fields_new_with_data_all(
      mailimf_get_current_date(), nullptr, nullptr, nullptr, to, nullptr, nullptr, copy(message_id), nullptr,
      nullptr, copy(subject));
  if (fields == nullptr) return sdk::Error{"cannot build the message headers"};
  mailimf_fields_add(fields, mailimf_field_new_custom(copy("From"), copy(from_value(headers))));
  // RFC 3834: vacation responders and the like must not answer a notification or digest.
  mailimf_fields_add(fields, mailimf_field_new_custom(copy("Auto-Submitted"), copy("auto-generated")));

  MimePtr message(mailmime_new_message_data(nullptr));
  mailmime_set_imf_fields(message.get(), fields);
  // RFC 2046: alternatives in increasing order of preference, so HTML readers show the HTML.
  mailmime* alternative = mailmime_multiple_new("multipart/alternative");
  set_boundary(alternative, boundaries.alternative);
  mailmime_smart_add_part(message.get(), alternative);
  mailmime_smart_add_part(alternative, make_text_part("text/plain", text_body));
  mailmime* related = mailmime_multiple_new("multipart/related");
  set_boundary(related, boundaries.related);
  mailmime_smart_add_part(alternative, related);
  mailmime_smart_add_part(related, make_text_part("text/html", html_body));
  for (const InlineImage* image : headers.images) mailmime_smart_add_part(related, make_image_part(*image));

  std::unique_ptr<MMAPString, MmapStringDeleter> out(mmap_string_new(""));
  if (!out) throw std::bad_alloc();
  int column = 0;
  if (mailmime_write_mem(out.get(), &column, message.get()) != MAILIMF_NO_ERROR) {
    return sdk::Error{"libetpan could not write the message"};
  }
  return std::string(out->str, out->len);
}

std::string quoted_printable(std::string_view text, bool last) {
  std::unique_ptr<MMAPString, MmapStringDeleter> out(mmap_string_new(""));
  if (!out) throw std::bad_alloc();
  int column = 0;
  if (!text.empty() &&
      mailmime_quoted_printable_write_mem(out.get(), &column, 1, text.data(), text.size()) != MAILIMF_NO_ERROR) {
    throw std::bad_alloc();
  }
  std::string encoded(out->str, out->len);
  if (!last && column != 0) encoded += "=\r\n";
  return encoded;
}

}  // namespace qmilter::compose
