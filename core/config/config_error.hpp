// The one exception type of configuration loading. Its text always says where: the file
// (and line when known), the section and the option, then what is wrong.
#pragma once

#include <stdexcept>
#include <string>

namespace qmilter::core {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace qmilter::core
