// The serializer of the sanitizer, driven by libxml2's SAX1 HTML events. libxml2 reports
// every implied and auto-closed element as a start/end pair, so a stack mirrors its open
// elements; a dropped element silences everything up to its end event.
#include "core/html/fragment_writer.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "core/html/css_filter.hpp"
#include "core/html/escape.hpp"
#include "core/html/element_policy.hpp"
#include "core/html/link_target.hpp"
#include "core/html/mixed_script.hpp"
#include "core/html/style_subset.hpp"

namespace qmilter::html {
namespace {

std::string_view as_view(const xmlChar* text) {
  return text == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(text));
}

void append_attribute(std::string& out, std::string_view name, std::string_view value) {
  out.push_back(' ');
  out.append(name);
  out.append("=\"");
  append_escaped(out, value);
  out.push_back('"');
}

// An a element with a target, open in the writer.
struct OpenLink {
  std::size_t depth;   // the writer's open-element count once the a element has closed
  std::string target;  // link_target() of its href
  std::string text;    // its visible text so far (the start is enough to name a host)
};

class Writer {
 public:
  Writer(const SanitizeOptions& options, FragmentMode mode, std::size_t expected_size)
      : options_(options), mode_(mode) {
    out_.reserve(expected_size);
  }

  void start_element(std::string_view name, const xmlChar** attributes) {
    if (dropping_ > 0) {
      ++dropping_;
      return;
    }
    ElementAction action = element_action(name);
    if (action == ElementAction::keep && name == "img" && (options_.strip_images || !options_.replace_images))
      action = ElementAction::drop;
    switch (action) {
      case ElementAction::drop:
        dropping_ = 1;
        return;
      case ElementAction::unwrap:
        open_.push_back({});
        return;
      case ElementAction::keep:
        open_.push_back(name);
        if (mode_ == FragmentMode::markup) write_start_tag(name, attributes);
        return;
    }
  }

  void end_element() {
    if (dropping_ > 0) {
      --dropping_;
      return;
    }
    if (open_.empty()) return;
    const std::string_view name = open_.back();
    open_.pop_back();
    if (!name.empty() && mode_ == FragmentMode::markup && !is_void_element(name)) {
      out_.append("</");
      out_.append(name);
      out_.push_back('>');
    }
    if (!links_.empty() && links_.back().depth == open_.size()) {
      write_link_target(links_.back());
      links_.pop_back();
    }
  }

  void characters(std::string_view text) {
    if (dropping_ != 0 || stopped_) return;
    append_escaped(out_, text);
    if (!links_.empty() && links_.back().text.size() < kMaxLinkText) links_.back().text.append(text);
  }

  // Parsing was halted: nothing more is written, see finish().
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

  // Closes what is still open (only after stop(): libxml2 closes everything at the end).
  std::string finish() {
    while (!open_.empty()) {
      dropping_ = 0;
      end_element();
    }
    return std::move(out_);
  }

 private:
  void write_start_tag(std::string_view name, const xmlChar** attributes) {
    out_.push_back('<');
    out_.append(name);
    const bool is_img = name == "img";
    std::string_view alt;
    if (is_img) {
      // A small fixed-size placeholder: stretched to the image's own size, full-width
      // crosses dominated newsletters.
      append_attribute(out_, "src", kReplacementSrc);
      out_.append(kPlaceholderSize);
    }
    for (const xmlChar** pair = attributes; pair != nullptr && pair[0] != nullptr; pair += 2) {
      const std::string_view attribute = as_view(pair[0]);
      const std::string_view value = as_view(pair[1]);  // entities already decoded
      if (is_img && (attribute == "width" || attribute == "height" || attribute == "style")) continue;
      if (is_img && attribute == "alt") {
        if (alt.empty()) alt = value;
        continue;
      }
      if (is_plain_attribute(attribute)) {
        append_attribute(out_, attribute, value);
      } else if (attribute == "style") {
        const std::string kept = options_.keep_layout_styles ? std::string(value) : style_subset(value);
        if (!kept.empty() && style_is_safe(kept)) append_attribute(out_, attribute, kept);
      } else if (attribute == "href" && name == "a") {
        append_attribute(out_, attribute, "#");
        // Our own output's "#" has no target, so the annotation is written once; a repeated
        // href is ignored by browsers and here.
        const std::size_t depth = open_.size() - 1;
        std::string target = link_target(value);
        if (!target.empty() && (links_.empty() || links_.back().depth != depth))
          links_.push_back({depth, std::move(target), {}});
      }
      // Everything else (on*, src elsewhere, formaction, xmlns, data-*, ...) is dropped.
    }
    out_.append(is_void_element(name) ? "/>" : ">");
    // The alt text as text beside the placeholder (the attribute is not kept, so the next
    // round does not write it again).
    if (is_img && alt.find_first_not_of(" \t\n") != std::string_view::npos) {
      out_.append(kAltStyle);
      std::size_t length = std::min(alt.size(), kMaxAltText);
      while (length < alt.size() && length > 0 && (static_cast<unsigned char>(alt[length]) & 0xC0) == 0x80) --length;
      append_escaped(out_, alt.substr(0, length));
      out_.append("]</span>");
    }
  }

  // The link's real target as plain text after it, so the recipient can judge where it
  // leads; loud when the link text names another host.
  void write_link_target(const OpenLink& link) {
    const std::string named = host_named_in(link.text);
    const bool other = names_other_host(named, link.target);
    if (mode_ == FragmentMode::markup) {
      out_.append(other ? kOtherHostStyle : kTargetStyle);
    } else {
      out_.push_back(' ');
    }
    out_.push_back('[');
    if (other) out_.append("\xE2\x9A\xA0 ");  // U+26A0 WARNING SIGN
    append_escaped(out_, link.target);
    if (other) {
      out_.append(", not ");
      append_escaped(out_, named);
    }
    out_.push_back(']');
    if (mode_ == FragmentMode::markup) out_.append("</span>");
    // A host written with look-alike letters ("Amаzon", a Cyrillic а) reads as the real
    // one, in the text and in an IDN target alike.
    const std::string lookalikes = lookalike_note(link.text + " " + link.target);
    if (!lookalikes.empty()) {
      out_.append(mode_ == FragmentMode::markup ? kOtherHostStyle : std::string_view(" "));
      out_.push_back('[');
      append_escaped(out_, lookalikes);
      out_.push_back(']');
      if (mode_ == FragmentMode::markup) out_.append("</span>");
    }
  }

  static constexpr std::size_t kMaxLinkText = 512;
  static constexpr std::string_view kPlaceholderSize = " width=\"16\" height=\"16\"";
  static constexpr std::size_t kMaxAltText = 200;
  static constexpr std::string_view kAltStyle = "<span style=\"font:small sans-serif;color:#555\">[image: ";
  // The font shorthand resets size, weight, style and family that an enclosing element
  // could set to hide the target (font-size:0); colours are set against colour tricks.
  static constexpr std::string_view kTargetStyle = " <span style=\"font:small monospace;color:#555;background:#fff\">";
  static constexpr std::string_view kOtherHostStyle =
      " <span style=\"font:bold small monospace;color:#b00;background:#fff\">";

  const SanitizeOptions& options_;
  FragmentMode mode_;
  std::vector<OpenLink> links_;  // the a elements open with a target, innermost last
  std::string out_;
  // One entry per element libxml2 has open: the name if we wrote its start tag, else "".
  // Names point into the parser's dictionary, which outlives the parse.
  std::vector<std::string_view> open_;
  std::size_t dropping_ = 0;  // > 0: inside a dropped element, this many levels deep
  bool stopped_ = false;
};

// libxml2's end-tag handling scans its stack of open elements, so stray end tags under very
// deep nesting cost depth × tags. Browsers stop nesting at 512 too; mail needs < 100.
constexpr int kMaxDepth = 512;

Writer& writer_of(void* context) {
  return *static_cast<Writer*>(static_cast<htmlParserCtxtPtr>(context)->_private);
}

void on_start_element(void* context, const xmlChar* name, const xmlChar** attributes) {
  Writer& writer = writer_of(context);
  if (writer.stopped()) return;
  const auto parser = static_cast<htmlParserCtxtPtr>(context);
  if (parser->nameNr > kMaxDepth) {  // the new element is already on libxml2's stack
    writer.stop();
    xmlStopParser(parser);
    return;
  }
  writer.start_element(as_view(name), attributes);
}

void on_end_element(void* context, const xmlChar*) {
  Writer& writer = writer_of(context);
  if (!writer.stopped()) writer.end_element();
}

void on_characters(void* context, const xmlChar* text, int length) {
  writer_of(context).characters(
      std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length)));
}

// Whitespace libxml2 calls "ignorable" is kept: whether it is ignorable depends on where
// it stands, and keeping it makes the second round see the same text as the first.
htmlSAXHandler make_handler() {
  htmlSAXHandler handler;
  std::memset(&handler, 0, sizeof handler);
  handler.startElement = on_start_element;
  handler.endElement = on_end_element;
  handler.characters = on_characters;
  handler.ignorableWhitespace = on_characters;
  handler.cdataBlock = on_characters;  // script/style bodies; they are inside dropped elements
  return handler;                      // comments, PIs and DOCTYPEs have no handler: gone
}

struct ContextDeleter {
  void operator()(htmlParserCtxtPtr context) const { htmlFreeParserCtxt(context); }
};

}  // namespace

std::string write_fragment(std::string_view document, const SanitizeOptions& options, FragmentMode mode) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  static const htmlSAXHandler handler = make_handler();

  // libxml2 takes an int; sanitize() keeps far below this, so cutting is only a backstop.
  if (document.size() > INT_MAX) document = document.substr(0, INT_MAX);
  const std::unique_ptr<htmlParserCtxt, ContextDeleter> context(
      htmlCreateMemoryParserCtxt(document.data(), static_cast<int>(document.size())));
  if (context == nullptr) throw std::bad_alloc();
  // The context owns a SAX block of the same type; ours replaces its callbacks.
  std::memcpy(context->sax, &handler, sizeof handler);
  Writer writer(options, mode, document.size());
  context->_private = &writer;
  context->userData = context.get();
  // Without this libxml2 guesses (Latin-1 in the end) at the first non-ASCII byte; our input
  // is UTF-8 by construction. Marking it so, rather than installing a UTF-8 decoder, lets
  // libxml2 read the buffer in place.
  context->charset = XML_CHAR_ENCODING_UTF8;
  htmlCtxtUseOptions(context.get(), HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET | HTML_PARSE_NODEFDTD | HTML_PARSE_IGNORE_ENC);
  htmlParseDocument(context.get());
  if (context->myDoc != nullptr) xmlFreeDoc(context->myDoc);
  context->myDoc = nullptr;
  return writer.finish();
}

}  // namespace qmilter::html
