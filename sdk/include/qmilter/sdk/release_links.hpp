// Links a recipient follows to review and release their quarantined message on qmilter-web.
// The host makes them (it holds the secret that signs them); a notification plugin asks for
// one per recipient through PluginContext::release_links, which is null when the admin has
// not set up qmilter-web ([global] web_base_url). Safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "qmilter/sdk/result.hpp"

namespace qmilter::sdk {

class ReleaseLinks {
 public:
  virtual ~ReleaseLinks() = default;
  // The link to entry `id` of this instance's quarantine for `recipient` alone, valid for
  // [global] web_link_days; an Error when none can be made (a value too long for a link).
  virtual Result<std::string> url(std::string_view id, std::string_view recipient) const noexcept = 0;
};

}  // namespace qmilter::sdk
