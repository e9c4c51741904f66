// The JSON columns of an entry row (see the header), with nlohmann-json.
#include "entry_json.hpp"

#include <nlohmann/json.hpp>

#include "qmilter/sdk/text.hpp"

namespace qmilter::quarantine_db {
namespace {

using Json = nlohmann::ordered_json;

Json optional_string(const std::optional<std::string>& value) { return value ? Json(*value) : Json(nullptr); }

std::string dump(const Json& document) { return document.dump(-1, ' ', true, Json::error_handler_t::replace); }

std::optional<std::string> string_or_null(const Json& value) {
  if (value.is_null()) return std::nullopt;
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

EntryJson entry_json(const sdk::MessageView& message, const sdk::Match& match) {
  Json headers = Json::object();
  for (const sdk::Header& header : message.headers()) headers[sdk::ascii_lower(header.name)] = header.value;
  Json subgroups = Json::array();
  for (const auto& group : match.groups) subgroups.push_back(optional_string(group));
  Json named = Json::object();
  for (const auto& [name, value] : match.named) named[name] = optional_string(value);
  return {dump(headers), dump(subgroups), dump(named)};
}

sdk::Status read_entry_json(sdk::StoredEntry& entry, std::string_view headers, std::string_view subgroups,
                            std::string_view named_subgroups) {
  auto bad = [&](const char* column) {
    return sdk::Error{"quarantine entry '" + entry.id + "': its '" + column + "' column is not the JSON it should be"};
  };
  Json h = Json::parse(headers, nullptr, false);
  if (h.is_discarded() || !h.is_object()) return bad("headers");
  Json s = Json::parse(subgroups, nullptr, false);
  if (s.is_discarded() || !s.is_array()) return bad("subgroups");
  Json n = Json::parse(named_subgroups, nullptr, false);
  if (n.is_discarded() || !n.is_object()) return bad("named_subgroups");
  entry.headers.clear();
  for (const auto& [name, value] : h.items()) entry.headers[name] = string_or_null(value).value_or("");
  entry.subgroups.clear();
  for (const Json& group : s) entry.subgroups.push_back(string_or_null(group));
  entry.named_subgroups.clear();
  for (const auto& [name, value] : n.items()) entry.named_subgroups.emplace_back(name, string_or_null(value));
  return {};
}

}  // namespace qmilter::quarantine_db
