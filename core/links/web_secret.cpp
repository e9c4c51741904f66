#include "core/links/web_secret.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qmilter::links {
namespace {

std::string error_text(int error) { return std::strerror(error); }

std::string hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

sdk::Result<std::string> load_secret(const std::string& path) {
  const std::string named = "web_secret_file '" + path + "'";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return sdk::Error{named + " does not exist; create it with: qmilterctl web secret"};
    return sdk::Error{"cannot open " + named + ": " + error_text(errno)};
  }
  struct stat status {};
  std::string key;
  std::string problem;
  if (::fstat(fd, &status) != 0) {
    problem = "cannot stat " + named + ": " + error_text(errno);
  } else if (!S_ISREG(status.st_mode)) {
    problem = named + " is not a regular file";
  } else if ((status.st_mode & (S_IRWXO | S_IWGRP)) != 0) {
    // Anyone who can read it can sign links that release mail.
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
    problem = named + " has mode " + std::string(mode) + ": others may read or change it; chmod 0600 it";
  } else {
    char buffer[4096];
    for (;;) {
      ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        problem = "cannot read " + named + ": " + error_text(errno);
        break;
      }
      if (got == 0) break;
      key.append(buffer, static_cast<std::size_t>(got));
      if (key.size() > 65536) {
        problem = named + " is larger than 64 KiB: not a secret file";
        break;
      }
    }
    if (problem.empty() && key.size() < min_secret_bytes) {
      problem = named + " holds " + std::to_string(key.size()) + " bytes; a secret needs at least " +
                std::to_string(min_secret_bytes) + " (qmilterctl web secret makes one)";
    }
  }
  ::close(fd);
  if (!problem.empty()) return sdk::Error{problem};
  return key;
}

sdk::Result<bool> create_secret(const std::string& path) {
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) return sdk::Error{"OpenSSL could not produce random bytes"};
  const std::string content = hex(random, sizeof random) + "\n";
  // Written under a temporary name and linked into place, so that a crash leaves either no
  // secret or a whole one, and a secret that already exists is never replaced.
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return sdk::Error{"cannot create " + temporary + ": " + error_text(errno)};
  bool written = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
                 ::fsync(fd) == 0;
  const int write_error = errno;
  ::close(fd);
  if (!written) {
    ::unlink(temporary.c_str());
    return sdk::Error{"cannot write " + temporary + ": " + error_text(write_error)};
  }
  const int linked = ::link(temporary.c_str(), path.c_str());
  const int link_error = errno;
  ::unlink(temporary.c_str());
  if (linked != 0 && link_error == EEXIST) return false;
  if (linked != 0) return sdk::Error{"cannot create " + path + ": " + error_text(link_error)};
  return true;
}

}  // namespace qmilter::links
