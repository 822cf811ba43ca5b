// Parsing of customers.yaml.
#include "customers.h"

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

customer_book::customer_book(const std::vector<customer>& seed) {
    for (const auto& c : seed) accounts_[c.id].master = c;
}

const customer_book::account* customer_book::find(const std::string& id) const {
    auto it = accounts_.find(id);
    return it == accounts_.end() ? nullptr : &it->second;
}

customer_book::account& customer_book::at(const std::string& id) {
    auto [it, fresh] = accounts_.try_emplace(id);
    if (fresh) {
        it->second.master.id = id;
        it->second.master.name = id;
    }
    return it->second;
}

value customer_book::to_value() const {
    value_list list;
    for (const auto& [id, a] : accounts_) {
        value v;
        v.set("id", id);
        v.set("name", a.master.name);
        v.set("tier", a.master.tier);
        v.set("terms", a.master.terms);
        v.set("credit_limit_cents", static_cast<long long>(a.master.credit_limit_cents));
        v.set("receivable_cents", static_cast<long long>(a.receivable_cents));
        v.set("open_cents", static_cast<long long>(a.open_cents));
        list.push_back(std::move(v));
    }
    return value(std::move(list));
}

customer_book customer_book::from_value(const value& v) {
    customer_book book;
    if (!v.is_list()) return book;
    for (const auto& e : v.as_list()) {
        auto text = [&](const char* k) {
            const value* f = e.find(k);
            return f && f->is_string() ? f->as_string() : std::string();
        };
        auto number = [&](const char* k) {
            std::int64_t n = 0;
            if (const value* f = e.find(k)) f->to_int64(n);
            return n;
        };
        account& a = book.at(text("id"));
        a.master.name = text("name");
        a.master.tier = text("tier");
        a.master.terms = text("terms");
        a.master.credit_limit_cents = number("credit_limit_cents");
        a.receivable_cents = number("receivable_cents");
        a.open_cents = number("open_cents");
    }
    return book;
}

}  // namespace baton
