// The secret that signs qmilter-web links: a file of at least 32 random bytes, readable by
// the daemon (which issues links) and qmilter-web (which checks them), by nobody else. Every
// host that issues or serves links has a copy of the same file; its whole content is the key.
#pragma once

#include <cstddef>
#include <string>

#include "qmilter/sdk/result.hpp"

namespace qmilter::links {

inline constexpr std::size_t min_secret_bytes = 32;

// The key in `path`. An Error says what is wrong: missing (and how to make it), readable or
// writable by others, not a regular file, too short.
sdk::Result<std::string> load_secret(const std::string& path);

// Creates `path` (mode 0600, 32 random bytes from OpenSSL as 64 hex digits and a newline)
// unless it exists: returns true when it made the file, false when one was already there.
sdk::Result<bool> create_secret(const std::string& path);

}  // namespace qmilter::links
