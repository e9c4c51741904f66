// The XSS corpus through sanitize(): for every vector and image setting the output,
// re-parsed by libxml2 into a tree, holds only allowed elements and attributes, no comment,
// no URL but the replacement cid:, no dangerous style; and sanitizing it again changes
// nothing. (check_reparse.py does the same with Python's independent tokenizer.)
#include <gtest/gtest.h>

#include <libxml/HTMLparser.h>

#include <set>
#include <string>

#include "core/html/css_filter.hpp"
#include "core/html/plain_text.hpp"
#include "core/html/sanitizer.hpp"
#include "xss_vectors.hpp"

namespace qmilter::html {
namespace {

const std::set<std::string> kAllowed = {"a",  "b",  "blockquote", "br", "center", "div",   "em",
                                        "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
                                        "img", "li", "ol", "p", "pre", "span", "strong", "table",
                                        "tbody", "td", "th", "thead", "tr", "tt", "u", "ul",
                                        // what libxml2 itself implies around a fragment
                                        "html", "body"};
const std::set<std::string> kPlainAttributes = {
    "align", "alt",     "bgcolor", "border", "cellpadding", "cellspacing", "color",
    "colspan", "dir",   "face",    "headers", "height",     "id",          "name",
    "rowspan", "size",  "title",   "type",   "valign",      "value",       "width"};

std::string text_of(const xmlChar* text) {
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
}

// Problems found in the tree libxml2 builds from a sanitized fragment.
void collect_problems(xmlNodePtr node, bool images_allowed, std::vector<std::string>& problems) {
  for (; node != nullptr; node = node->next) {
    if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE ||
        node->type == XML_CDATA_SECTION_NODE) {
      problems.push_back("comment/PI/CDATA node");
      continue;
    }
    if (node->type != XML_ELEMENT_NODE) continue;
    const std::string name = text_of(node->name);
    if (kAllowed.count(name) == 0) problems.push_back("element " + name);
    if (name == "img" && !images_allowed) problems.push_back("img although images are removed");
    for (xmlAttrPtr attribute = node->properties; attribute != nullptr; attribute = attribute->next) {
      const std::string attribute_name = text_of(attribute->name);
      xmlChar* raw = xmlNodeListGetString(node->doc, attribute->children, 1);
      const std::string value = text_of(raw);
      xmlFree(raw);
      bool ok = kPlainAttributes.count(attribute_name) > 0;
      if (attribute_name == "href") ok = name == "a" && value == "#";
      if (attribute_name == "src") ok = name == "img" && value == "cid:removed_for_security_reasons";
      if (attribute_name == "style") ok = style_is_safe(value);
      if (!ok) problems.push_back("attribute " + attribute_name + "=" + value + " on " + name);
    }
    collect_problems(node->children, images_allowed, problems);
  }
}

std::vector<std::string> reparse_problems(const std::string& output, bool images_allowed) {
  std::vector<std::string> problems;
  htmlDocPtr document = htmlReadMemory(output.data(), static_cast<int>(output.size()), nullptr, "UTF-8",
                                       HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                           HTML_PARSE_NONET);
  if (document != nullptr) {
    collect_problems(document->children, images_allowed, problems);
    xmlFreeDoc(document);
  }
  return problems;
}

class XssCorpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vectors_ = testing::load_vectors(QMILTER_XSS_VECTORS); }
  static std::vector<std::string> vectors_;
};
std::vector<std::string> XssCorpus::vectors_;

TEST_F(XssCorpus, HoldsAtLeast150Vectors) { EXPECT_GE(vectors_.size(), 150u); }

TEST_F(XssCorpus, EveryOutputReparsesToAnAllowedTreeAndIsAFixedPoint) {
  const SanitizeOptions settings[] = {{true, false}, {false, false}, {true, true}, {true, false, true}};
  for (std::size_t i = 0; i < vectors_.size(); ++i) {
    for (const SanitizeOptions& options : settings) {
      const bool images = options.replace_images && !options.strip_images;
      const SanitizeResult once = sanitize(vectors_[i], options);
      const SanitizeResult twice = sanitize(once.html, options);
      EXPECT_EQ(twice.html, once.html) << "vector " << i + 1 << ": " << vectors_[i];
      EXPECT_EQ(twice.image_replaced, once.image_replaced) << "vector " << i + 1;
      for (const std::string& problem : reparse_problems(once.html, images))
        ADD_FAILURE() << "vector " << i + 1 << ": " << problem << "\n  in: " << vectors_[i]
                      << "\n  out: " << once.html;
    }
  }
}

// The shown target sits in a span of its own after the link's end: never inside an a element.
void collect_targets_inside_links(xmlNodePtr node, bool in_link, std::vector<std::string>& problems) {
  for (; node != nullptr; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    const std::string name = text_of(node->name);
    if (in_link && name == "span") {
      xmlChar* style = xmlGetProp(node, reinterpret_cast<const xmlChar*>("style"));
      if (text_of(style).find("monospace") != std::string::npos) problems.push_back("link target inside a link");
      xmlFree(style);
    }
    collect_targets_inside_links(node->children, in_link || name == "a", problems);
  }
}

// Every vector as a link's href (quoted and not) and as its text: nothing but href="#"
// comes out, and the target shown as text is never part of a link.
TEST_F(XssCorpus, NoPayloadTurnsTheShownLinkTargetIntoALiveLink) {
  for (std::size_t i = 0; i < vectors_.size(); ++i) {
    const std::string& v = vectors_[i];
    std::string quoted;
    for (const char c : v) quoted += c == '"' ? std::string("&quot;") : std::string(1, c);
    for (const std::string& input :
         {"<a href=\"http://" + quoted + "\">" + v + "</a>", "<a href=\"" + quoted + "\">paypal.com</a>" + v,
          "<a href=" + v + ">x</a>", "<a href=\"http://evil.example/\">" + v + "</a>" + v}) {
      const std::string once = sanitize(input, {}).html;
      EXPECT_EQ(sanitize(once, {}).html, once) << "vector " << i + 1 << ": " << input;
      std::vector<std::string> problems = reparse_problems(once, true);
      htmlDocPtr document = htmlReadMemory(once.data(), static_cast<int>(once.size()), nullptr, "UTF-8",
                                           HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                               HTML_PARSE_NONET);
      if (document != nullptr) {
        collect_targets_inside_links(document->children, false, problems);
        xmlFreeDoc(document);
      }
      for (const std::string& problem : problems)
        ADD_FAILURE() << "vector " << i + 1 << ": " << problem << "\n  in: " << input << "\n  out: " << once;
    }
  }
}

// The text/plain alternative is the sanitized preview's text: a link's href never reaches it
// as an address a text client would make clickable, only the host the sanitizer shows.
TEST_F(XssCorpus, TheTextRenderingShowsNoHrefOfAnyPayload) {
  for (std::size_t i = 0; i < vectors_.size(); ++i) {
    std::string quoted;
    for (const char c : vectors_[i]) quoted += c == '"' ? std::string("&quot;") : std::string(1, c);
    for (const std::string& input : {"<a href=\"javascript:alert(1)//" + quoted + "\">link</a>",
                                     "<p><a href=\"http://evil.example/" + quoted + "\">link</a></p>"}) {
      const std::string text = to_plain_text(sanitize(input, {}).html);
      EXPECT_TRUE(text.starts_with("link [")) << "vector " << i + 1 << ": " << text;
      for (const std::string_view href : {"javascript:alert(1)", "http://evil.example"})
        EXPECT_EQ(text.find(href), std::string::npos) << "vector " << i + 1 << ": " << text;
    }
  }
}

}  // namespace
}  // namespace qmilter::html
