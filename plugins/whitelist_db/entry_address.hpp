// The whitelist's address rules: the candidate values an address is looked up under, the
// weight of a matching field, and BATV tag stripping (what an entry may hold is the SDK's
// whitelist_entry_problem). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qmilter::whitelist_db {

// The stored values that match `address`, as the Python filter generated them:
// {"", "@domain", address}, without duplicates ("" alone for the null sender).
std::vector<std::string> candidates_for(const std::string& address);

// "" weighs 2, "@domain" 1, a full address 0: the heaviest match gets last_used.
int field_weight(std::string_view stored) noexcept;

// prvs=TAG=user@domain → user@domain (BATV, RFC draft-levine-smtp-batv); other addresses as given.
std::string strip_batv(std::string_view sender);

}  // namespace qmilter::whitelist_db
