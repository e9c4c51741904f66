// A libmilter socket specification taken apart: "unix:/path", "local:/path" or a bare
// "/path" name a unix socket, "inet:port@host" and "inet6:port@host" a TCP one. The one
// reading of that syntax for the config loader, the daemon and the tests' load generator.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qmilter::core {

struct MilterSocket {
  enum class Family { unix_path, inet, inet6 };
  Family family = Family::unix_path;
  std::string prefix;  // as written: "unix:", "local:", "" (bare path), "inet:" or "inet6:"
  std::string path;    // unix_path: the file system path
  std::string port;    // inet, inet6: the text before '@'
  std::string host;    // inet, inet6: the text after '@', empty when there is none
};

// nullopt when `spec` has none of the forms above.
std::optional<MilterSocket> parse_milter_socket(std::string_view spec);

}  // namespace qmilter::core
