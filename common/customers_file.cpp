// Parsing of customers.yaml.
#include "customers_file.h"

#include <cctype>
#include <set>

#include "yaml_util.h"

namespace baton {

std::vector<customer> load_customers(const std::string& path) {
    std::vector<customer> out;
    yaml::node root(yaml::load_file(path), path, "");
    if (!root.is_map()) root.fail("expected a map with a 'customers' list");
    root.expect_keys({"customers"});
    if (!root.has("customers")) return out;
    auto list = root.child("customers");
    list.expect_list();
    std::set<std::string> ids;
    for (std::size_t i = 0; i < list.size(); ++i) {
        auto n = list.item(i);
        n.expect_keys({"id", "name", "tier", "terms", "credit_limit_cents", "payment_days",
                       "blocked", "account_manager", "country"});
        customer c;
        c.id = n.require_string("id");
        if (c.id.size() > 64) n.child("id").fail("longer than 64 bytes");
        if (!ids.insert(c.id).second) n.child("id").fail("customer '" + c.id + "' is listed twice");
        c.name = n.get_string("name", c.id);
        c.tier = n.get_string("tier", c.tier);
        if (c.tier != "key" && c.tier != "A" && c.tier != "B" && c.tier != "C")
            n.child("tier").fail("expected key, A, B or C, got '" + c.tier + "'");
        c.terms = n.get_string("terms", c.terms);
        if (c.terms != "credit" && c.terms != "prepay")
            n.child("terms").fail("expected credit or prepay, got '" + c.terms + "'");
        c.credit_limit_cents = n.get_int("credit_limit_cents", 0);
        if (c.credit_limit_cents < 0) n.child("credit_limit_cents").fail("must not be negative");
        if (n.has("payment_days")) {
            const std::int64_t days = n.get_int("payment_days", 0);
            if (days < 0 || days > 365) n.child("payment_days").fail("expected 0 to 365 days");
            c.payment_days = static_cast<int>(days);
        }
        c.blocked = n.get_bool("blocked", false);
        c.account_manager = n.get_string("account_manager", "");
        c.country = n.get_string("country", "");
        if (!c.country.empty() &&
            (c.country.size() != 2 || !std::isupper(static_cast<unsigned char>(c.country[0])) ||
             !std::isupper(static_cast<unsigned char>(c.country[1]))))
            n.child("country").fail("expected an ISO 3166-1 alpha-2 code such as CN or DE, got '" +
                                    c.country + "'");
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace baton
