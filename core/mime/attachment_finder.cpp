// Names are read as mail clients read them: filename of the disposition before name of the
// type, RFC 2231 continuations and charsets, then RFC 2047 encoded words (which many
// senders put in parameters although the RFC does not allow it).
#include "core/mime/attachment_finder.hpp"

#include <string>
#include <string_view>
#include <utility>

#include "core/mime/charset_decoder.hpp"
#include "core/mime/header_text.hpp"
#include "qmilter/sdk/text.hpp"

namespace qmilter::mime {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
  return out;
}

std::string_view view(const char* text) { return text == nullptr ? std::string_view() : std::string_view(text); }

std::string content_type_of(const mailmime* part) {
  const mailmime_content* content = part->mm_content_type;
  if (content == nullptr || content->ct_type == nullptr) return "text/plain";
  const mailmime_type* type = content->ct_type;
  std::string major;
  if (type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE && type->tp_data.tp_discrete_type != nullptr) {
    const mailmime_discrete_type* discrete = type->tp_data.tp_discrete_type;
    switch (discrete->dt_type) {
      case MAILMIME_DISCRETE_TYPE_TEXT: major = "text"; break;
      case MAILMIME_DISCRETE_TYPE_IMAGE: major = "image"; break;
      case MAILMIME_DISCRETE_TYPE_AUDIO: major = "audio"; break;
      case MAILMIME_DISCRETE_TYPE_VIDEO: major = "video"; break;
      case MAILMIME_DISCRETE_TYPE_APPLICATION: major = "application"; break;
      default: major = lower(view(discrete->dt_extension)); break;
    }
  } else if (type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE && type->tp_data.tp_composite_type != nullptr) {
    const mailmime_composite_type* composite = type->tp_data.tp_composite_type;
    switch (composite->ct_type) {
      case MAILMIME_COMPOSITE_TYPE_MESSAGE: major = "message"; break;
      case MAILMIME_COMPOSITE_TYPE_MULTIPART: major = "multipart"; break;
      default: major = lower(view(composite->ct_token)); break;
    }
  }
  return repair_utf8(major + "/" + lower(view(content->ct_subtype)));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// The parameters of one part as (name, value) pairs, disposition ones first.
std::vector<std::pair<std::string_view, std::string_view>> parameters_of(const mailmime* part,
                                                                         const mailmime_single_fields& fields) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  if (fields.fld_disposition != nullptr && fields.fld_disposition->dsp_parms != nullptr) {
    for (clistiter* it = clist_begin(fields.fld_disposition->dsp_parms); it != nullptr; it = clist_next(it)) {
      const auto* parm = static_cast<const mailmime_disposition_parm*>(clist_content(it));
      if (parm->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME) {
        out.emplace_back("filename", view(parm->pa_data.pa_filename));
      } else if (parm->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER && parm->pa_data.pa_parameter != nullptr) {
        out.emplace_back(view(parm->pa_data.pa_parameter->pa_name), view(parm->pa_data.pa_parameter->pa_value));
      }
    }
  }
  if (part->mm_content_type != nullptr && part->mm_content_type->ct_parameters != nullptr) {
    for (clistiter* it = clist_begin(part->mm_content_type->ct_parameters); it != nullptr; it = clist_next(it)) {
      const auto* parameter = static_cast<const mailmime_parameter*>(clist_content(it));
      out.emplace_back(view(parameter->pa_name), view(parameter->pa_value));
    }
  }
  return out;
}

// The value of `name` from its RFC 2231 form (name*, name*0, name*0*, ...) when there is
// one, else the plain parameter with encoded words decoded; "" when absent.
std::string parameter_value(const std::vector<std::pair<std::string_view, std::string_view>>& parameters,
                            std::string_view name) {
  std::string joined;
  std::string charset;
  bool extended = false;
  for (int section = -1; section < 64; ++section) {
    const std::string plain = section < 0 ? std::string(name) + "*" : std::string(name) + "*" + std::to_string(section);
    bool found = false;
    for (const auto& [key, value] : parameters) {
      const bool encoded = sdk::ascii_iequals(key, plain + (section < 0 ? "" : "*"));
      if (!encoded && !(section >= 0 && sdk::ascii_iequals(key, plain))) continue;
      std::string_view text = value;
      if (encoded && (section <= 0)) {  // charset'language'value
        const std::size_t first = text.find('\'');
        const std::size_t second = first == std::string_view::npos ? first : text.find('\'', first + 1);
        if (second != std::string_view::npos) {
          charset = std::string(text.substr(0, first));
          text.remove_prefix(second + 1);
        }
      }
      joined += encoded ? percent_decoded(text) : std::string(text);
      extended = found = true;
      break;
    }
    if (section >= 0 && !found) break;
    if (section < 0 && found) break;  // name* alone: no continuations
  }
  if (extended) return without_line_breaks(decode_to_utf8(joined, charset.empty() ? "utf-8" : charset));
  for (const auto& [key, value] : parameters) {
    if (sdk::ascii_iequals(key, name)) return without_line_breaks(decode_header_value(value));
  }
  return {};
}

// Base64 and quoted-printable are counted as they decode, without decoding them.
std::uint64_t decoded_size(const mailmime_data* data) {
  if (data == nullptr || data->dt_type != MAILMIME_DATA_TEXT || data->dt_data.dt_text.dt_data == nullptr) return 0;
  const std::string_view text(data->dt_data.dt_text.dt_data, data->dt_data.dt_text.dt_length);
  const int encoding = data->dt_encoded ? data->dt_encoding : MAILMIME_MECHANISM_8BIT;
  if (encoding == MAILMIME_MECHANISM_BASE64) {
    std::uint64_t symbols = 0;
    for (const char c : text) {
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/')
        ++symbols;
    }
    return symbols * 3 / 4;
  }
  if (encoding == MAILMIME_MECHANISM_QUOTED_PRINTABLE) {
    std::uint64_t bytes = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '=') {
        if (i + 1 < text.size() && (text[i + 1] == '\r' || text[i + 1] == '\n')) {
          i += text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n' ? 2 : 1;  // soft break
          continue;
        }
        if (i + 2 < text.size()) i += 2;
      }
      ++bytes;
    }
    return bytes;
  }
  return text.size();
}

bool is_attachment_disposition(const mailmime_single_fields& fields) {
  return fields.fld_disposition != nullptr && fields.fld_disposition->dsp_type != nullptr &&
         fields.fld_disposition->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT;
}

}  // namespace

std::vector<Attachment> find_attachments(const mailmime* root, const mailmime* text_part) {
  std::vector<Attachment> found;
  std::vector<const mailmime*> stack{root};
  while (!stack.empty()) {
    const mailmime* part = stack.back();
    stack.pop_back();
    if (part == nullptr || part == text_part) continue;
    if (part->mm_type == MAILMIME_MULTIPLE) {
      const clist* children = part->mm_data.mm_multipart.mm_mp_list;
      if (children == nullptr) continue;
      std::vector<const mailmime*> in_order;
      for (clistiter* it = clist_begin(children); it != nullptr; it = clist_next(it))
        in_order.push_back(static_cast<const mailmime*>(clist_content(it)));
      stack.insert(stack.end(), in_order.rbegin(), in_order.rend());
      continue;
    }
    if (part->mm_type == MAILMIME_MESSAGE && part == root) {
      stack.push_back(part->mm_data.mm_message.mm_msg_mime);
      continue;
    }
    mailmime_single_fields fields{};
    mailmime_single_fields_init(&fields, part->mm_mime_fields, part->mm_content_type);
    const auto parameters = parameters_of(part, fields);
    Attachment attachment;
    attachment.file_name = parameter_value(parameters, "filename");
    if (attachment.file_name.empty()) attachment.file_name = parameter_value(parameters, "name");
    attachment.content_type = content_type_of(part);
    const bool text = attachment.content_type == "text/plain" || attachment.content_type == "text/html";
    if (part->mm_type == MAILMIME_MESSAGE) {
      attachment.size = part->mm_length;
    } else {
      if (text && attachment.file_name.empty() && !is_attachment_disposition(fields)) continue;  // a body alternative
      attachment.size = decoded_size(part->mm_data.mm_single);
    }
    found.push_back(std::move(attachment));
    if (found.size() == kMaxListedAttachments) break;
  }
  return found;
}

}  // namespace qmilter::mime
