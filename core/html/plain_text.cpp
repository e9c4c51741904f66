// to_plain_text(): libxml2's SAX1 HTML events into a text writer. Block boundaries ask for
// "at least n line ends here" rather than adding them, so nested blocks (newsletters nest
// tables ten deep) give one line break, not ten.
#include "core/html/plain_text.hpp"

#include <climits>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "core/html/element_policy.hpp"
#include "core/html/utf8.hpp"

namespace qmilter::html {
namespace {

std::string_view as_view(const xmlChar* text) {
  return text == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(text));
}

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  for (const std::string_view n : names)
    if (name == n) return true;
  return false;
}

// Blocks set apart by an empty line, and blocks that only start a new line.
bool is_paragraph(std::string_view name) {
  return one_of(name, {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre", "hr"});
}
bool is_line_block(std::string_view name) {
  return one_of(name, {"div", "tr", "li", "center", "dl", "dt", "dd", "address", "section", "article", "header",
                       "footer", "nav", "main", "aside", "figure", "figcaption", "caption"});
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Invisible characters newsletters pad their hidden preheaders with (zero-width spaces and
// joiners, word joiner, BOM, soft hyphen, combining grapheme joiner): a text client would
// show some of them as boxes.
std::size_t invisible_length(std::string_view text, std::size_t at) {
  const std::string_view rest = text.substr(at);
  for (const std::string_view invisible :
       {"\xE2\x80\x8B", "\xE2\x80\x8C", "\xE2\x80\x8D", "\xE2\x81\xA0", "\xEF\xBB\xBF", "\xC2\xAD", "\xCD\x8F"}) {
    if (rest.starts_with(invisible)) return invisible.size();
  }
  return 0;
}

constexpr std::string_view kNoBreakSpace = "\xC2\xA0";

// An a element with a target worth showing, open in the writer.
struct OpenLink {
  std::size_t depth;  // open-element count once it has closed
  std::string href;
  std::string text;   // its text as written (to leave out a target the text already says)
};

class TextWriter {
 public:
  void start_element(std::string_view name, const xmlChar** attributes) {
    if (dropping_ > 0 || element_action(name) == ElementAction::drop) {
      ++dropping_;
      return;
    }
    open_.push_back(name);
    if (is_paragraph(name)) end_line(2);
    if (is_line_block(name)) end_line(1);
    if (name == "pre") ++pre_depth_;
    if (name == "ul" || name == "ol") lists_.push_back(name == "ol" ? 1 : 0);
    if (name == "li") write_bullet();
    if (name == "td" || name == "th") space_pending_ = true;
    if (name == "br") {
      trim_trailing_spaces();
      out_.push_back('\n');
    }
    if (name == "hr") {
      write_text("----------------------------------------");
      end_line(2);
    }
    if (name == "img") {
      const std::string_view alt = attribute(attributes, "alt");
      if (alt.find_first_not_of(" \t\n") != std::string_view::npos) {
        write_text("[");
        characters(alt);
        write_text("]");
      }
    }
    if (name == "a") {
      const std::string_view href = trimmed(attribute(attributes, "href"));
      if (!href.empty() && href.front() != '#') links_.push_back({open_.size() - 1, std::string(href), {}});
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
    if (name == "pre" && pre_depth_ > 0) --pre_depth_;
    if ((name == "ul" || name == "ol") && !lists_.empty()) lists_.pop_back();
    if (name == "td" || name == "th") space_pending_ = true;
    if (!links_.empty() && links_.back().depth == open_.size()) {
      const OpenLink link = std::move(links_.back());
      links_.pop_back();
      if (trimmed(link.text) != link.href) {
        space_pending_ = true;
        write_text("<" + link.href + ">");
      }
    }
    if (is_paragraph(name)) end_line(2);
    if (is_line_block(name)) end_line(1);
  }

  void characters(std::string_view text) {
    if (dropping_ > 0 || stopped_) return;
    if (!links_.empty() && links_.back().text.size() < kMaxLinkText) links_.back().text.append(text);
    std::size_t run = 0;  // start of the visible run not yet written
    for (std::size_t i = 0; i < text.size();) {
      const std::size_t invisible = invisible_length(text, i);
      const bool space = pre_depth_ == 0 && (is_space(text[i]) || text.substr(i).starts_with(kNoBreakSpace));
      if (invisible == 0 && !space) {
        ++i;
        continue;
      }
      write_text(text.substr(run, i - run));
      if (space) space_pending_ = true;
      i += invisible > 0 ? invisible : is_space(text[i]) ? 1 : kNoBreakSpace.size();
      run = i;
    }
    write_text(text.substr(run));
  }

  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

  // At most one empty line in a row, none at either end.
  std::string finish() && {
    std::string text;
    text.reserve(out_.size());
    std::size_t newlines = 0;
    for (const char c : out_) {
      if (c == '\n') {
        if (++newlines > 2) continue;
      } else {
        newlines = 0;
      }
      text.push_back(c);
    }
    const std::size_t first = text.find_first_not_of(" \n");
    if (first == std::string::npos) return {};
    const std::size_t last = text.find_last_not_of(" \n");
    return text.substr(first, last + 1 - first);
  }

 private:
  static std::string_view attribute(const xmlChar** attributes, std::string_view wanted) {
    for (const xmlChar** pair = attributes; pair != nullptr && pair[0] != nullptr; pair += 2) {
      if (as_view(pair[0]) == wanted) return as_view(pair[1]);
    }
    return {};
  }

  static std::string_view trimmed(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
  }

  void trim_trailing_spaces() {
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
  }

  // At least `count` line ends before the next text (none at the very start).
  void end_line(std::size_t count) {
    trim_trailing_spaces();
    space_pending_ = false;
    if (out_.empty()) return;
    std::size_t have = 0;
    while (have < count && have < out_.size() && out_[out_.size() - 1 - have] == '\n') ++have;
    out_.append(count - have, '\n');
  }

  void write_bullet() {
    end_line(1);
    const std::size_t level = lists_.empty() ? 0 : lists_.size() - 1;
    out_.append(2 * level, ' ');
    if (!lists_.empty() && lists_.back() > 0) {
      out_ += std::to_string(lists_.back()++) + ". ";
    } else {
      out_ += "* ";
    }
    space_pending_ = false;
  }

  void write_text(std::string_view text) {
    if (text.empty()) return;
    if (space_pending_ && !out_.empty() && out_.back() != '\n' && out_.back() != ' ') out_.push_back(' ');
    space_pending_ = false;
    out_.append(text);
  }

  static constexpr std::size_t kMaxLinkText = 512;

  std::string out_;
  // One entry per element libxml2 has open and we did not drop; names point into the
  // parser's dictionary, which outlives the parse.
  std::vector<std::string_view> open_;
  std::vector<OpenLink> links_;  // innermost last
  std::vector<int> lists_;       // per open list: 0 for ul, the next number for ol
  std::size_t dropping_ = 0;     // > 0: inside a dropped element, this many levels deep
  std::size_t pre_depth_ = 0;
  bool space_pending_ = false;   // whitespace seen since the last text: one space before the next
  bool stopped_ = false;
};

// As in the sanitizer: deeper nesting is no mail anybody wrote, and costs libxml2 time.
constexpr int kMaxDepth = 512;

TextWriter& writer_of(void* context) {
  return *static_cast<TextWriter*>(static_cast<htmlParserCtxtPtr>(context)->_private);
}

void on_start_element(void* context, const xmlChar* name, const xmlChar** attributes) {
  TextWriter& writer = writer_of(context);
  if (writer.stopped()) return;
  const auto parser = static_cast<htmlParserCtxtPtr>(context);
  if (parser->nameNr > kMaxDepth) {
    writer.stop();
    xmlStopParser(parser);
    return;
  }
  writer.start_element(as_view(name), attributes);
}

void on_end_element(void* context, const xmlChar*) {
  TextWriter& writer = writer_of(context);
  if (!writer.stopped()) writer.end_element();
}

void on_characters(void* context, const xmlChar* text, int length) {
  writer_of(context).characters(std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length)));
}

htmlSAXHandler make_handler() {
  htmlSAXHandler handler;
  std::memset(&handler, 0, sizeof handler);
  handler.startElement = on_start_element;
  handler.endElement = on_end_element;
  handler.characters = on_characters;
  handler.ignorableWhitespace = on_characters;
  handler.cdataBlock = on_characters;  // script/style bodies: inside dropped elements
  return handler;
}

struct ContextDeleter {
  void operator()(htmlParserCtxtPtr context) const { htmlFreeParserCtxt(context); }
};

}  // namespace

std::string to_plain_text(std::string_view html) {
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  static const htmlSAXHandler handler = make_handler();

  std::string document = repair_utf8(html, Utf8Repair::for_markup);
  if (document.empty()) return {};  // libxml2 makes no parser for an empty buffer
  if (document.size() > INT_MAX) document.resize(INT_MAX);
  const std::unique_ptr<htmlParserCtxt, ContextDeleter> context(
      htmlCreateMemoryParserCtxt(document.data(), static_cast<int>(document.size())));
  if (context == nullptr) throw std::bad_alloc();
  std::memcpy(context->sax, &handler, sizeof handler);
  TextWriter writer;
  context->_private = &writer;
  context->userData = context.get();
  context->charset = XML_CHAR_ENCODING_UTF8;  // repaired above; see write_fragment()
  htmlCtxtUseOptions(context.get(), HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET | HTML_PARSE_NODEFDTD | HTML_PARSE_IGNORE_ENC);
  htmlParseDocument(context.get());
  if (context->myDoc != nullptr) xmlFreeDoc(context->myDoc);
  context->myDoc = nullptr;
  return std::move(writer).finish();
}

}  // namespace qmilter::html
