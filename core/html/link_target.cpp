// Parses only as far as the host: the preview shows where a link goes, it never follows it,
// so the only requirement is to agree with browsers on which host that is.
#include "core/html/link_target.hpp"

#include <array>
#include <cstdint>

namespace qmilter::html {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// What the URL parser sees: leading/trailing C0 controls and spaces trimmed, every tab,
// CR and LF removed.
std::string browser_view(std::string_view href) {
  const auto is_trimmed = [](char c) { return static_cast<std::uint8_t>(c) <= 0x20; };
  while (!href.empty() && is_trimmed(href.front())) href.remove_prefix(1);
  while (!href.empty() && is_trimmed(href.back())) href.remove_suffix(1);
  std::string out;
  out.reserve(href.size());
  for (const char c : href) {
    if (c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

int hex_digit(char c) {
  if (is_digit(c)) return c - '0';
  c = lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Hosts are percent-decoded by browsers before they are used.
std::string percent_decoded_lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_digit(text[i + 1]);
      const int low = hex_digit(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(lower(static_cast<char>(high * 16 + low)));
        i += 2;
        continue;
      }
    }
    out.push_back(lower(text[i]));
  }
  return out;
}

bool is_special_scheme(std::string_view scheme) {
  static constexpr std::array<std::string_view, 6> kSpecial = {"ftp", "http", "https", "ws", "wss", "file"};
  for (const std::string_view special : kSpecial) {
    if (scheme == special) return true;
  }
  return false;
}

std::string host_of_authority(std::string_view rest, bool special) {
  std::size_t end = 0;
  while (end < rest.size() && rest[end] != '/' && rest[end] != '?' && rest[end] != '#' &&
         !(special && rest[end] == '\\'))
    ++end;
  std::string_view authority = rest.substr(0, end);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.starts_with("[")) {  // IPv6 literal keeps its colons
    const std::size_t close = authority.find(']');
    return percent_decoded_lower(authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1));
  }
  if (const std::size_t colon = authority.find(':'); colon != std::string_view::npos) authority = authority.substr(0, colon);
  std::string host = percent_decoded_lower(authority);
  while (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

std::string mail_domain(std::string_view rest) {
  std::size_t end = 0;
  while (end < rest.size() && rest[end] != '?' && rest[end] != ',' && rest[end] != ';') ++end;
  const std::string_view address = rest.substr(0, end);
  const std::size_t at = address.rfind('@');
  std::string domain = percent_decoded_lower(at == std::string_view::npos ? std::string_view() : address.substr(at + 1));
  if (const std::size_t gt = domain.find('>'); gt != std::string::npos) domain.resize(gt);
  return "mailto:" + domain;
}

bool is_host_character(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || static_cast<std::uint8_t>(c) >= 0x80;
}

}  // namespace

std::string link_target(std::string_view href_value) {
  const std::string href = browser_view(href_value);
  std::size_t colon = 0;
  while (colon < href.size() && (is_alpha(href[colon]) || (colon > 0 && (is_digit(href[colon]) || href[colon] == '+' ||
                                                                          href[colon] == '-' || href[colon] == '.'))))
    ++colon;
  const bool has_scheme = colon > 0 && colon < href.size() && href[colon] == ':';
  if (!has_scheme) {
    // "//host/..." and "\\host" reach another host; anything else stays on the page.
    if (href.starts_with("//") || href.starts_with("\\\\") || href.starts_with("/\\") || href.starts_with("\\/")) {
      std::size_t start = 0;
      while (start < href.size() && (href[start] == '/' || href[start] == '\\')) ++start;
      return host_of_authority(std::string_view(href).substr(start), true);
    }
    return {};
  }
  std::string scheme;
  for (std::size_t i = 0; i < colon; ++i) scheme.push_back(lower(href[i]));
  std::string_view rest = std::string_view(href).substr(colon + 1);
  if (scheme == "mailto") return mail_domain(rest);
  if (is_special_scheme(scheme) && scheme != "file") {
    while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\')) rest.remove_prefix(1);
    return host_of_authority(rest, true);
  }
  if (rest.starts_with("//")) return scheme + "://" + host_of_authority(rest.substr(2), false);
  return scheme + ":";
}

std::string host_named_in(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && !is_host_character(text[pos])) ++pos;
    std::size_t end = pos;
    while (end < text.size() && is_host_character(text[end])) ++end;
    std::string_view word = text.substr(pos, end - pos);
    pos = end;
    while (!word.empty() && (word.back() == '.' || word.back() == '-')) word.remove_suffix(1);
    // A scheme before the word ("https://name.tld") was skipped with the punctuation.
    const std::size_t last_dot = word.rfind('.');
    if (last_dot == std::string_view::npos || last_dot == 0) continue;
    const std::string_view tld = word.substr(last_dot + 1);
    bool letters = tld.size() >= 2;
    for (const char c : tld) letters = letters && (is_alpha(c) || static_cast<std::uint8_t>(c) >= 0x80);
    bool digits_and_dots = true;  // an IPv4 address ("45.178.180.51") names a host too
    std::size_t dots = 0;
    for (const char c : word) {
      digits_and_dots = digits_and_dots && (is_digit(c) || c == '.');
      dots += c == '.' ? 1 : 0;
    }
    if (!letters && !(digits_and_dots && dots == 3)) continue;
    std::string host;
    for (const char c : word) host.push_back(lower(c));
    return host;
  }
  return {};
}

bool names_other_host(std::string_view named, std::string_view target) {
  if (named.empty() || target.empty()) return false;
  if (target.starts_with("mailto:")) target.remove_prefix(7);
  const auto within = [](std::string_view host, std::string_view domain) {
    return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                              host[host.size() - domain.size() - 1] == '.');
  };
  if (named.starts_with("www.")) named.remove_prefix(4);
  return !within(target, named) && !within(named, target);
}

}  // namespace qmilter::html
