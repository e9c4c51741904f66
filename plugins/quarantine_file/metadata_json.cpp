// Writing and reading `.metadata` documents with nlohmann-json (ordered, so the keys keep
// Python's insertion order).
#include "metadata_json.hpp"

#include <exception>
#include <nlohmann/json.hpp>
#include "qmilter/sdk/text.hpp"

namespace qmilter::quarantine_file {

namespace {

using Json = nlohmann::ordered_json;

Json optional_string(const std::optional<std::string>& value) { return value ? Json(*value) : Json(nullptr); }

// Python's json.dump(indent=2) with its default ensure_ascii=True. Bytes that are not UTF-8
// (raw 8-bit headers) become U+FFFD instead of making the store fail.
std::string dump(const Json& document) { return document.dump(2, ' ', true, Json::error_handler_t::replace); }

sdk::Error bad(const std::string& id, const std::string& what) {
  return sdk::Error{"metadata of quarantine entry '" + id + "' is invalid: " + what};
}

}  // namespace

std::string metadata_json(const sdk::MessageView& message, const std::vector<std::string>& recipients,
                          const sdk::Match& match, std::int64_t date) {
  Json headers = Json::object();
  for (const sdk::Header& header : message.headers()) {
    headers[sdk::ascii_lower(header.name)] = header.value;  // an existing key keeps its place: last value wins
  }
  Json subgroups = Json::array();
  for (const auto& group : match.groups) subgroups.push_back(optional_string(group));
  Json named = Json::object();
  for (const auto& [name, value] : match.named) named[name] = optional_string(value);

  Json document = Json::object();
  document["mailfrom"] = std::string(message.sender());
  document["recipients"] = recipients;
  document["headers"] = std::move(headers);
  document["date"] = date;
  document["queue_id"] = std::string(message.queue_id());
  document["subgroups"] = std::move(subgroups);
  document["named_subgroups"] = std::move(named);
  return dump(document);
}

sdk::Result<sdk::StoredEntry> parse_metadata(const std::string& id, std::string_view text) {
  Json document = Json::parse(text, nullptr, false);
  if (document.is_discarded()) return bad(id, "not JSON");
  if (!document.is_object()) return bad(id, "not a JSON object");

  sdk::StoredEntry entry;
  entry.id = id;
  try {
    auto field = [&](const char* key) -> const Json* {
      auto it = document.find(key);
      return it == document.end() ? nullptr : &*it;
    };
    const Json* mailfrom = field("mailfrom");
    if (mailfrom == nullptr || !mailfrom->is_string()) return bad(id, "'mailfrom' is not a string");
    entry.mailfrom = mailfrom->get<std::string>();

    const Json* recipients = field("recipients");
    if (recipients == nullptr || !recipients->is_array()) return bad(id, "'recipients' is not a list");
    for (const Json& r : *recipients) {
      if (!r.is_string()) return bad(id, "'recipients' holds something other than strings");
      entry.recipients.push_back(r.get<std::string>());
    }

    if (const Json* headers = field("headers"); headers != nullptr && !headers->is_null()) {
      if (!headers->is_object()) return bad(id, "'headers' is not an object");
      for (const auto& [name, value] : headers->items()) {
        entry.headers[name] = value.is_string() ? value.get<std::string>() : value.dump();
      }
    }

    const Json* date = field("date");
    if (date == nullptr || !date->is_number()) return bad(id, "'date' is not a number");
    entry.date = date->is_number_float() ? static_cast<std::int64_t>(date->get<double>()) : date->get<std::int64_t>();

    if (const Json* queue_id = field("queue_id"); queue_id != nullptr && queue_id->is_string()) {
      entry.queue_id = queue_id->get<std::string>();
    }
    if (const Json* groups = field("subgroups"); groups != nullptr && groups->is_array()) {
      for (const Json& g : *groups) {
        entry.subgroups.push_back(g.is_string() ? std::optional<std::string>(g.get<std::string>()) : std::nullopt);
      }
    }
    if (const Json* named = field("named_subgroups"); named != nullptr && named->is_object()) {
      for (const auto& [name, value] : named->items()) {
        entry.named_subgroups.emplace_back(
            name, value.is_string() ? std::optional<std::string>(value.get<std::string>()) : std::nullopt);
      }
    }
  } catch (const std::exception& e) {
    return bad(id, e.what());
  }
  return entry;
}

namespace {

constexpr const char* claims_key = "release_claims";

// Sets or removes one recipient's claim; the key goes with the last claim, so an entry
// nobody is releasing is exactly what pyquarantine wrote.
void set_claim(Json& document, const std::string& recipient, const std::optional<RecordedClaim>& claim) {
  auto claims = document.find(claims_key);
  if (claim) {
    if (claims == document.end() || !claims->is_object()) {
      document[claims_key] = Json::object();
      claims = document.find(claims_key);
    }
    (*claims)[recipient] = Json{{"token", claim->token}, {"since", claim->since}};
    return;
  }
  if (claims == document.end()) return;
  if (claims->is_object()) claims->erase(recipient);
  if (!claims->is_object() || claims->empty()) document.erase(claims_key);
}

}  // namespace

sdk::Result<std::optional<RecordedClaim>> recorded_claim(const std::string& id, std::string_view text,
                                                         const std::string& recipient) {
  Json document = Json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return bad(id, "not a JSON object");
  auto claims = document.find(claims_key);
  if (claims == document.end() || !claims->is_object()) return std::optional<RecordedClaim>{};
  auto claim = claims->find(recipient);
  if (claim == claims->end()) return std::optional<RecordedClaim>{};
  auto token = claim->find("token");
  auto since = claim->find("since");
  if (!claim->is_object() || token == claim->end() || !token->is_string() || since == claim->end() ||
      !since->is_number_integer()) {
    return bad(id, std::string("'") + claims_key + "' of '" + recipient + "' is not {token, since}");
  }
  return std::optional<RecordedClaim>{RecordedClaim{token->get<std::string>(), since->get<std::int64_t>()}};
}

sdk::Result<std::string> metadata_with_claim(const std::string& id, std::string_view text, const std::string& recipient,
                                             const std::optional<RecordedClaim>& claim) {
  Json document = Json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return bad(id, "not a JSON object");
  set_claim(document, recipient, claim);
  return dump(document);
}

sdk::Result<std::string> metadata_without_recipient(const std::string& id, std::string_view text,
                                                    const std::string& recipient) {
  Json document = Json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return bad(id, "not a JSON object");
  auto recipients = document.find("recipients");
  if (recipients == document.end() || !recipients->is_array()) return bad(id, "'recipients' is not a list");
  Json kept = Json::array();
  for (const Json& r : *recipients) {
    if (!(r.is_string() && r.get<std::string>() == recipient)) kept.push_back(r);
  }
  *recipients = std::move(kept);
  set_claim(document, recipient, std::nullopt);
  return dump(document);
}

}  // namespace qmilter::quarantine_file
