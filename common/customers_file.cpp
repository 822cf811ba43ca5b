// Parsing of customers.yaml.
#include "customers_file.h"

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
        n.expect_keys({"id", "name", "tier", "terms", "credit_limit_cents"});
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
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace baton
