// action = tag: deliver the message, marked. The quarantine keeps its copy and notifies as
// configured; the recipients get the message with <tag_headers> added and <tag_subject_prefix>
// and a space in front of its Subject. Both may use {quarantine} (the section's name) and
// {EMAIL_QUARANTINE_ID} (the stored entry's id, empty when nothing is stored).
#include <memory>
#include <string>
#include <vector>

#include "core/mime/header_text.hpp"
#include "qmilter/sdk/sdk.hpp"

namespace {

using namespace qmilter;
using namespace qmilter::sdk;

// A value with its {quarantine} and {EMAIL_QUARANTINE_ID} fields, split once at load.
class TagTemplate {
 public:
  static Result<TagTemplate> parse(const std::string& text, const std::string& where) {
    TagTemplate parsed;
    std::size_t at = 0;
    while (at < text.size()) {
      const std::size_t open = text.find('{', at);
      parsed.pieces_.push_back({text.substr(at, open == std::string::npos ? std::string::npos : open - at), {}});
      if (open == std::string::npos) break;
      const std::size_t close = text.find('}', open);
      if (close == std::string::npos) return Error{where + ": '{' without '}'"};
      const std::string name = text.substr(open + 1, close - open - 1);
      if (name != "quarantine" && name != "EMAIL_QUARANTINE_ID") {
        return Error{where + ": unknown variable {" + name + "} (known: {quarantine}, {EMAIL_QUARANTINE_ID})"};
      }
      parsed.pieces_.push_back({{}, name});
      at = close + 1;
    }
    return parsed;
  }

  std::string render(const std::string& quarantine, std::string_view id) const {
    std::string out;
    for (const Piece& piece : pieces_) {
      if (piece.variable.empty()) out += piece.literal;
      else out += piece.variable == "quarantine" ? quarantine : std::string(id);
    }
    return out;
  }

 private:
  struct Piece {
    std::string literal;
    std::string variable;  // "" for a literal
  };
  std::vector<Piece> pieces_;
};

struct HeaderTemplate {
  std::string name;
  TagTemplate value;
};

bool is_header_name(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c >= 0x7F || c == ':') return false;
  }
  return true;
}

class TagAction final : public Action {
 public:
  TagAction(std::string quarantine, std::vector<HeaderTemplate> headers, TagTemplate prefix)
      : quarantine_(std::move(quarantine)), headers_(std::move(headers)), prefix_(std::move(prefix)) {}

  static std::vector<OptionSpec> option_schema() {
    return {{"tag_headers", OptionType::list, false, "X-Quarantine: {quarantine}",
             "Headers the delivered message gets, comma-separated Name: value items"},
            {"tag_subject_prefix", OptionType::string, false, "", "Put with a space in front of the Subject"}};
  }

  static Result<std::unique_ptr<TagAction>> create(const Options& options, const PluginContext& context) {
    std::vector<HeaderTemplate> headers;
    for (const std::string& item : options.list("tag_headers")) {
      const std::size_t colon = item.find(':');
      const std::string name = item.substr(0, colon);
      if (colon == std::string::npos || !is_header_name(name)) {
        return Error{"option 'tag_headers': '" + item + "' is not 'Name: value' with a header name"};
      }
      std::string value = item.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      if (value.find_first_of("\r\n") != std::string::npos) return Error{"option 'tag_headers': values are one line"};
      auto parsed = TagTemplate::parse(value, "option 'tag_headers': " + name);
      if (!parsed.ok()) return parsed.error();
      headers.push_back({name, std::move(parsed).value()});
    }
    const std::string prefix = options.string("tag_subject_prefix");
    if (prefix.find_first_of("\r\n") != std::string::npos) return Error{"option 'tag_subject_prefix': must be one line"};
    auto parsed_prefix = TagTemplate::parse(prefix, "option 'tag_subject_prefix'");
    if (!parsed_prefix.ok()) return parsed_prefix.error();
    if (headers.empty() && prefix.empty()) {
      return Error{"action tag: set tag_headers or tag_subject_prefix (it would deliver the message unmarked)"};
    }
    return std::make_unique<TagAction>(context.quarantine, std::move(headers), std::move(parsed_prefix).value());
  }

  bool edits_message() const override { return true; }

  Result<Verdict> decide(const MessageView&, std::string_view quarantine_id) override {
    std::vector<Header> added;
    for (const HeaderTemplate& header : headers_) {
      std::string value = header.value.render(quarantine_, quarantine_id);
      // A header carries ASCII: anything else goes as encoded words.
      if (!mime::is_plain_ascii(value)) value = mime::encoded_words(value);
      added.push_back({header.name, std::move(value)});
    }
    return Verdict::tag(std::move(added), prefix_.render(quarantine_, quarantine_id));
  }

 private:
  const std::string quarantine_;
  const std::vector<HeaderTemplate> headers_;
  const TagTemplate prefix_;
};

}  // namespace

QMILTER_PLUGIN(TagAction, "tag", "1.0.0", "Delivers the message marked with <tag_headers> and <tag_subject_prefix>")
