// Tests of daemon/credit: the auto-credit rule that the order engine (approve) and the exception
// desk (credit_hold when over the limit) share.
#include "credit.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace baton {
namespace {

struct credit_case {
    flow_def flow;
    customer_book book{std::vector<customer>{
        {"C-1001", "Alu Fenster GmbH", "A", "credit", 5000000},
        {"C-2002", "Fassadenbau Kraus KG", "B", "prepay", 5000000},
        {"C-5005", "No Limit AG", "B", "credit", 0},
    }};
    order o;

    credit_case() {
        flow.auto_credit = true;
        o.id = "SO-1";
        o.customer = "C-1001";
        o.terms = "credit";
        o.placed = true;
    }
    void exposure(const std::string& customer, std::int64_t cents) {
        book.at(customer).open_cents = cents;
    }
    credit_decision decide() const { return auto_credit(flow, o, book); }
};

TEST(credit, within_the_limit_is_approved) {
    credit_case c;
    c.exposure("C-1001", 1843000);
    EXPECT_EQ(c.decide(), credit_decision::approve);
}

TEST(credit, exactly_at_the_limit_is_approved_one_cent_over_is_not) {
    credit_case c;
    c.exposure("C-1001", 5000000);
    EXPECT_EQ(c.decide(), credit_decision::approve);
    c.exposure("C-1001", 5000001);
    EXPECT_EQ(c.decide(), credit_decision::over_limit);
}

TEST(credit, the_receivable_counts_with_the_open_orders) {
    credit_case c;
    c.exposure("C-1001", 1843000);
    c.book.at("C-1001").receivable_cents = 4000000;
    EXPECT_EQ(c.decide(), credit_decision::over_limit);
}

TEST(credit, finance_reviews_when_auto_credit_is_off) {
    credit_case c;
    c.flow.auto_credit = false;
    EXPECT_EQ(c.decide(), credit_decision::finance_reviews);
    c.exposure("C-1001", 9000000);
    EXPECT_EQ(c.decide(), credit_decision::finance_reviews);  // not a hold either
}

TEST(credit, finance_reviews_prepay_orders_and_prepay_customers) {
    credit_case c;
    c.o.terms = "prepay";
    EXPECT_EQ(c.decide(), credit_decision::finance_reviews);
    c.o.terms = "credit";
    c.o.customer = "C-2002";  // the order says credit, the customer master prepay
    EXPECT_EQ(c.decide(), credit_decision::finance_reviews);
}

TEST(credit, finance_reviews_customers_without_a_limit_or_unknown) {
    credit_case c;
    c.o.customer = "C-5005";
    c.exposure("C-5005", 100);
    EXPECT_EQ(c.decide(), credit_decision::finance_reviews);
    c.o.customer = "C-9999";
    EXPECT_EQ(c.decide(), credit_decision::finance_reviews);
}

TEST(credit, an_order_already_approved_needs_no_decision) {
    credit_case c;
    c.o.milestones["credit_approved"] = {1, "f-1"};
    EXPECT_EQ(c.decide(), credit_decision::finance_reviews);
    c.exposure("C-1001", 9000000);
    EXPECT_EQ(c.decide(), credit_decision::finance_reviews);  // over the limit, but approved
}

}  // namespace
}  // namespace baton
