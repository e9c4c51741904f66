// libetpan owns every node handed to it and frees the tree with mailmime_free; strings go in
// as malloc'd copies. Bodies are referenced, not copied, so they must outlive the write.
#include "notification_message.hpp"

#include <libetpan/libetpan.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <algorithm>

#include "header_encoding.hpp"

namespace qmilter::notification_email {
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

std::string random_hex(std::size_t bytes) {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto b = static_cast<unsigned>(generator() & 0xFF);
    out += hex[b >> 4];
    out += hex[b & 15];
  }
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
std::string from_value(const NotificationContent& content) {
  std::string display;
  std::string address;
  std::size_t index = 0;
  mailimf_mailbox* parsed = nullptr;
  if (mailimf_mailbox_parse(content.from.data(), content.from.size(), &index, &parsed) == MAILIMF_NO_ERROR &&
      parsed != nullptr && index == content.from.size() && parsed->mb_addr_spec != nullptr &&
      std::strchr(parsed->mb_addr_spec, '@') != nullptr && std::strlen(parsed->mb_addr_spec) <= max_address_bytes) {
    address = parsed->mb_addr_spec;
    if (parsed->mb_display_name != nullptr) display = parsed->mb_display_name;
  } else {
    display = content.from;
    address = content.fallback_address.empty() ? "MAILER-DAEMON" : content.fallback_address;
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

// The whole message with `body` as the HTML part's text (quoted-printable).
sdk::Result<std::string> write_message(const NotificationContent& content, std::string_view body,
                                       const std::string& boundary) {
  const std::string subject = encode_unstructured(without_line_breaks(content.subject));
  const std::string message_id = std::to_string(std::time(nullptr)) + "." + random_hex(8) + ".qmilter@" + host_name();

  mailimf_address_list* to = mailimf_address_list_new_empty();
  mailimf_address_list_add_mb(to, nullptr, copy(without_line_breaks(content.to)));
  mailimf_fields* fields = mailimf_fields_new_with_data_all(
      mailimf_get_current_date(), nullptr, nullptr, nullptr, to, nullptr, nullptr, copy(message_id), nullptr,
      nullptr, copy(subject));
  if (fields == nullptr) return sdk::Error{"cannot build the notification headers"};
  mailimf_fields_add(fields, mailimf_field_new_custom(copy("From"), copy(from_value(content))));
  // RFC 3834: vacation responders and the like must not answer a notification.
  mailimf_fields_add(fields, mailimf_field_new_custom(copy("Auto-Submitted"), copy("auto-generated")));

  MimePtr message(mailmime_new_message_data(nullptr));
  mailmime_set_imf_fields(message.get(), fields);
  mailmime* related = mailmime_multiple_new("multipart/related");
  set_boundary(related, boundary);
  mailmime_smart_add_part(message.get(), related);

  mailmime* html = make_part("text/html", MAILMIME_MECHANISM_QUOTED_PRINTABLE, nullptr, body);
  // mailmime_param_new_with_data copies its arguments (unlike the other constructors here).
  clist_append(html->mm_content_type->ct_parameters,
               mailmime_param_new_with_data(const_cast<char*>("charset"), const_cast<char*>("UTF-8")));
  mailmime_smart_add_part(related, html);
  if (content.replacement_image != nullptr) mailmime_smart_add_part(related, make_image_part(*content.replacement_image));
  if (content.embedded_images != nullptr) {
    for (const InlineImage& image : *content.embedded_images) mailmime_smart_add_part(related, make_image_part(image));
  }

  std::unique_ptr<MMAPString, MmapStringDeleter> out(mmap_string_new(""));
  if (!out) throw std::bad_alloc();
  int column = 0;
  if (mailmime_write_mem(out.get(), &column, message.get()) != MAILIMF_NO_ERROR) {
    return sdk::Error{"libetpan could not write the notification"};
  }
  return std::string(out->str, out->len);
}

// Text quoted-printable encoded from column 0. Unless it is the body's last piece it ends
// at column 0 too (a soft line break where needed), so the pieces can be encoded one by one
// and joined: the shared preview's encoding does not depend on the text before it.
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

}  // namespace

NotificationBatchBuilder::NotificationBatchBuilder(std::string_view preview_html)
    // A boundary nobody can predict (96 random bits), so no preview text can contain it;
    // short enough that the Content-Type line needs no folding. One per message: the MIME
    // tail after the body is then the same for every recipient.
    : boundary_("qmilter-" + random_hex(12)) {
  batch_.shared.push_back(quoted_printable(preview_html, false));
}

sdk::Status NotificationBatchBuilder::add(const NotificationContent& content) {
  // Where the body goes in the message libetpan writes: letters and digits pass through
  // quoted-printable unchanged, and nobody can guess them into a header.
  const std::string placeholder = "qmilterbody" + random_hex(16);
  auto written = write_message(content, placeholder, boundary_);
  if (!written) return written.error();
  const std::string& message = written.value();
  const std::size_t at = message.find(placeholder);
  if (at == std::string::npos || message.find(placeholder, at + 1) != std::string::npos) {
    return sdk::Error{"libetpan wrote the notification body unexpectedly"};
  }
  OutboxItem item{content.to, {}};
  std::string own = message.substr(0, at);
  const std::size_t pieces = std::max<std::size_t>(content.html.size(), 1);
  for (std::size_t i = 0; i < pieces; ++i) {
    if (i > 0) {
      if (!own.empty()) item.pieces.push_back({OutboxPiece::own, std::move(own)});
      own.clear();
      item.pieces.push_back({preview_piece, {}});
    }
    if (i < content.html.size()) own += quoted_printable(content.html[i], i + 1 == pieces);
  }
  std::string tail = message.substr(at + placeholder.size());
  if (batch_.shared.size() == tail_piece) batch_.shared.push_back(tail);
  if (tail == batch_.shared[tail_piece]) {
    if (!own.empty()) item.pieces.push_back({OutboxPiece::own, std::move(own)});
    item.pieces.push_back({tail_piece, {}});
  } else {
    item.pieces.push_back({OutboxPiece::own, own + tail});
  }
  batch_.items.push_back(std::move(item));
  return {};
}

sdk::Result<std::string> build_notification(const NotificationContent& content, std::string_view preview_html) {
  NotificationBatchBuilder builder(preview_html);
  if (auto added = builder.add(content); !added) return added.error();
  const OutboxBatch batch = std::move(builder).take();
  std::string message;
  for (const OutboxPiece& piece : batch.items.front().pieces) {
    message += piece.shared == OutboxPiece::own ? piece.bytes : batch.shared.at(piece.shared);
  }
  return message;
}

}  // namespace qmilter::notification_email
