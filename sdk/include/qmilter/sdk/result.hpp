// Result types: how a plugin reports failure without letting an exception cross the
// shared-object boundary. An Error carries a message for the admin; the core logs it with
// the queue id and answers TEMPFAIL for the message. Its kind tells "there is no such thing"
// (an unknown quarantine id, a recipient no longer on an entry) from a failure to find out
// (a disk or database error), so that qmilter-web can answer "gone" for the one and
// "try again later" for the other.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace qmilter::sdk {

enum class ErrorKind { failure, not_found };

struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::failure;

  bool not_found() const noexcept { return kind == ErrorKind::not_found; }
};

// Either a value or an Error. Deliberately small: ok(), value(), error().
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Success or an Error, for operations that return nothing.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  static Status success() { return {}; }

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace qmilter::sdk
