// libFuzzer target for MIME-to-preview: any bytes as a raw message; the preview must fit
// its cap, satisfy the fragment invariants, and find_text_part must survive the same input.
// The first byte picks the cap (small caps exercise truncation).
#include <cstdint>
#include <string_view>

#include "core/mime/preview.hpp"
#include "fuzz_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t max_bytes = size > 0 ? 64 + static_cast<std::size_t>(data[0]) * 64 : 256;
  const auto preview = qmilter::mime::make_preview(input, {}, max_bytes);
  if (preview.html.size() > max_bytes) qmilter::fuzz::fail("preview over its cap", input, preview.html);
  qmilter::fuzz::check_fragment(input, preview.html);
  const auto part = qmilter::mime::find_text_part(input);
  if (qmilter::html::repair_utf8(part.utf8, qmilter::html::Utf8Repair::sequences_only) != part.utf8)
    qmilter::fuzz::fail("text part not UTF-8", input, part.utf8);
  return 0;
}
