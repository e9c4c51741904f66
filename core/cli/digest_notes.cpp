// The digest state in a store's notes (see the header). Note values, one item a line:
//   claim <token> <since>
//   sent <id>
// Ids pass entry_id_problem() (no spaces or line breaks), tokens are hex.
#include "core/cli/digest_notes.hpp"

#include <string_view>

namespace qmilter::cli {
namespace {

constexpr const char* last_run_key = "digest-ran";

sdk::Result<RecipientNote> parse(const std::string& key, const sdk::Note& note) {
  RecipientNote parsed;
  parsed.version = note.version;
  std::string_view rest(note.value);
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (line.starts_with("sent ")) {
      parsed.sent.emplace(line.substr(5));
    } else if (line.starts_with("claim ") && line.find(' ', 6) != std::string_view::npos) {
      const std::size_t space = line.find(' ', 6);
      parsed.claim_token = std::string(line.substr(6, space - 6));
      try {
        parsed.claimed_since = std::stoll(std::string(line.substr(space + 1)));
      } catch (const std::exception&) {
        return sdk::Error{"unreadable claim in note '" + key + "': '" + std::string(line) + "'"};
      }
    } else if (!line.empty()) {
      return sdk::Error{"unreadable line in note '" + key + "': '" + std::string(line.substr(0, 80)) + "'"};
    }
  }
  return parsed;
}

std::string text_of(const RecipientNote& note) {
  std::string text;
  if (!note.claim_token.empty()) text += "claim " + note.claim_token + " " + std::to_string(note.claimed_since) + "\n";
  for (const std::string& id : note.sent) text += "sent " + id + "\n";
  return text;
}

}  // namespace

std::string DigestNotes::recipient_key(const std::string& recipient) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string key = "digest/";
  for (char c : recipient) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte > 0x20 && byte < 0x7f && c != '%') {
      key += c;
    } else {
      key += '%';
      key += digits[byte >> 4];
      key += digits[byte & 0xf];
    }
  }
  return key;
}

sdk::Result<RecipientNote> DigestNotes::read(const std::string& recipient) const {
  const std::string key = recipient_key(recipient);
  auto note = store_.read_note(key);
  if (!note.ok()) return note.error();
  if (!note.value()) return RecipientNote{};
  return parse(key, *note.value());
}

sdk::Result<bool> DigestNotes::write(const std::string& recipient, const RecipientNote& from,
                                     const RecipientNote& to) const {
  auto replaced = store_.replace_note(recipient_key(recipient), from.version, text_of(to));
  if (!replaced.ok()) return replaced.error();
  return replaced.value().has_value();
}

sdk::Result<std::optional<RecipientNote>> DigestNotes::claim(const std::string& recipient, const RecipientNote& read,
                                                             std::int64_t now) const {
  RecipientNote claimed = read;
  claimed.claim_token = sdk::new_claim_token();
  claimed.claimed_since = now;
  auto replaced = store_.replace_note(recipient_key(recipient), read.version, text_of(claimed));
  if (!replaced.ok()) return replaced.error();
  if (!replaced.value()) return std::optional<RecipientNote>{};
  claimed.version = *replaced.value();
  return std::optional<RecipientNote>{std::move(claimed)};
}

sdk::Result<bool> DigestNotes::record(const std::string& recipient, const RecipientNote& claimed,
                                      const std::set<std::string>& sent) const {
  RecipientNote done;
  done.sent = sent;
  return write(recipient, claimed, done);
}

sdk::Result<bool> DigestNotes::release(const std::string& recipient, const RecipientNote& claimed) const {
  RecipientNote released = claimed;
  released.claim_token.clear();
  released.claimed_since = 0;
  return write(recipient, claimed, released);
}

sdk::Result<std::int64_t> DigestNotes::last_run() const {
  auto note = store_.read_note(last_run_key);
  if (!note.ok()) return note.error();
  if (!note.value()) return std::int64_t{0};
  try {
    return std::stoll(note.value()->value);
  } catch (const std::exception&) {
    return sdk::Error{std::string("unreadable note '") + last_run_key + "': '" + note.value()->value.substr(0, 40) + "'"};
  }
}

sdk::Status DigestNotes::finish_run(std::int64_t now) const {
  // Retried while other runs finish at the same moment: each retry reads what they wrote.
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto note = store_.read_note(last_run_key);
    if (!note.ok()) return note.error();
    std::optional<std::int64_t> version;
    if (note.value()) {
      version = note.value()->version;
      try {
        if (std::stoll(note.value()->value) >= now) return {};
      } catch (const std::exception&) {
        // unreadable: replaced below
      }
    }
    auto replaced = store_.replace_note(last_run_key, version, std::to_string(now));
    if (!replaced.ok()) return replaced.error();
    if (replaced.value()) return {};
  }
  return sdk::Error{std::string("note '") + last_run_key + "' kept changing under this run"};
}

}  // namespace qmilter::cli
