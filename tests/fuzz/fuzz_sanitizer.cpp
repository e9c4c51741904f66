// libFuzzer target for the HTML sanitizer: any bytes in; the output must satisfy the
// fragment invariants and be a fixed point (sanitize(sanitize(x)) == sanitize(x)).
// The first byte picks the image settings.
#include <cstdint>
#include <string_view>

#include "core/html/sanitizer.hpp"
#include "fuzz_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  qmilter::html::SanitizeOptions options;
  if (size > 0) {
    options.replace_images = (data[0] & 1) == 0;
    options.strip_images = (data[0] & 2) != 0;
  }
  const auto once = qmilter::html::sanitize(input, options);
  qmilter::fuzz::check_fragment(input, once.html);
  const auto twice = qmilter::html::sanitize(once.html, options);
  if (twice.html != once.html) qmilter::fuzz::fail("not idempotent", input, once.html);
  if (twice.image_replaced != once.image_replaced) qmilter::fuzz::fail("image flag changed", input, once.html);
  if (once.image_replaced && (!options.replace_images || options.strip_images))
    qmilter::fuzz::fail("image replaced although removed", input, once.html);
  return 0;
}
