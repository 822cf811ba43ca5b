// The customer book: master data and credit exposure per customer.
#include "customers.h"

namespace baton {

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
        v.set("payment_days", static_cast<long long>(a.master.payment_days));
        v.set("blocked", a.master.blocked);
        v.set("account_manager", a.master.account_manager);
        v.set("country", a.master.country);
        v.set("receivable_cents", static_cast<long long>(a.receivable_cents));
        v.set("overdue_cents", static_cast<long long>(a.overdue_cents));
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
        a.master.payment_days =
            e.find("payment_days") ? static_cast<int>(number("payment_days")) : -1;
        if (const value* b = e.find("blocked"); b && b->is_bool()) a.master.blocked = b->as_bool();
        a.master.account_manager = text("account_manager");
        a.master.country = text("country");
        a.receivable_cents = number("receivable_cents");
        a.overdue_cents = number("overdue_cents");
        a.open_cents = number("open_cents");
    }
    return book;
}

}  // namespace baton
