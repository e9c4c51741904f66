// The MIME corpus (corpus/*.eml, written by corpus/generate.py): each message goes through
// find_text_part and make_preview and must meet the hand-written directives in its
// .expect file (kind, text and preview substrings, image flag).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/mime/preview.hpp"

namespace qmilter::mime {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      const char next = text[++i];
      out.push_back(next == 'n' ? '\n' : next == 'r' ? '\r' : next);
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

const char* kind_name(TextPart::Kind kind) {
  switch (kind) {
    case TextPart::Kind::html: return "html";
    case TextPart::Kind::plain: return "plain";
    case TextPart::Kind::none: return "none";
  }
  return "?";
}

std::vector<std::filesystem::path> corpus() {
  std::vector<std::filesystem::path> messages;
  for (const auto& entry : std::filesystem::directory_iterator(QMILTER_MIME_CORPUS))
    if (entry.path().extension() == ".eml") messages.push_back(entry.path());
  std::sort(messages.begin(), messages.end());
  return messages;
}

TEST(MimeCorpus, HoldsAtLeast40Messages) { EXPECT_GE(corpus().size(), 40u); }

TEST(MimeCorpus, EveryMessageMeetsItsExpectations) {
  for (const auto& message_path : corpus()) {
    SCOPED_TRACE(message_path.filename().string());
    const std::string raw = read_file(message_path);
    const TextPart part = find_text_part(raw);
    const Preview preview = make_preview(raw, {}, 256 * 1024);
    std::ifstream expect(std::filesystem::path(message_path).replace_extension(".expect"));
    ASSERT_TRUE(expect) << "no .expect file";
    std::string line;
    int directives = 0;
    while (std::getline(expect, line)) {
      const std::size_t colon = line.find(": ");
      if (colon == std::string::npos) continue;
      ++directives;
      const std::string key = line.substr(0, colon);
      const std::string value = unescape(line.substr(colon + 2));
      if (key == "kind") {
        EXPECT_STREQ(kind_name(part.kind), value.c_str());
        EXPECT_EQ(preview.had_text_part, part.kind != TextPart::Kind::none);
      } else if (key == "text") {
        EXPECT_NE(part.utf8.find(value), std::string::npos) << "text lacks: " << value << "\ntext: " << part.utf8;
      } else if (key == "no-text") {
        EXPECT_EQ(part.utf8.find(value), std::string::npos) << "text has: " << value << "\ntext: " << part.utf8;
      } else if (key == "preview") {
        EXPECT_NE(preview.html.find(value), std::string::npos) << "preview lacks: " << value << "\npreview: " << preview.html;
      } else if (key == "no-preview") {
        EXPECT_EQ(preview.html.find(value), std::string::npos) << "preview has: " << value << "\npreview: " << preview.html;
      } else if (key == "image_replaced") {
        EXPECT_EQ(preview.image_replaced, value == "true");
      } else {
        ADD_FAILURE() << "unknown directive " << key;
      }
    }
    EXPECT_GT(directives, 0);
  }
}

}  // namespace
}  // namespace qmilter::mime
