// Tests of the `metrics:` section of baton.yaml (daemon/config): off when absent, host:port
// with an IPv4 or bracketed IPv6 address, port 0 for tests, stall_after as a duration, and
// precise errors naming the key path for a bad address, an unknown key or a bad duration.
#include <gtest/gtest.h>

#include <string>

#include "config.h"
#include "temp_dir.h"

namespace baton {
namespace {

using baton::testing::temp_dir;

const std::string source_dir = BATON_SOURCE_DIR;

struct config_file {
    temp_dir dir;
    std::string path;
    explicit config_file(const std::string& rest)
        : path(dir.write(
              "baton.yaml",
              "data_dir: var\nschemas: s\nflow: flow.yaml\ncustomers: c.yaml\n" + rest)) {}
    std::string error() const {
        try {
            load_config(path);
        } catch (const config_error& e) {
            return e.what();
        }
        ADD_FAILURE() << "loading did not fail";
        return "";
    }
};

TEST(metrics_config, off_when_the_section_is_absent) {
    config c = load_config(config_file("").path);
    EXPECT_FALSE(c.metrics.enabled);
}

TEST(metrics_config, the_shipped_config_listens_on_loopback_7790) {
    config c = load_config(source_dir + "/config/baton.yaml");
    EXPECT_TRUE(c.metrics.enabled);
    EXPECT_EQ(c.metrics.host, "127.0.0.1");
    EXPECT_EQ(c.metrics.port, 7790);
    EXPECT_EQ(c.metrics.stall_after_us, 10LL * 1000000);
}

TEST(metrics_config, ipv4_ipv6_port_zero_and_stall_after) {
    config c = load_config(config_file("metrics:\n  listen: 127.0.0.1:0\n").path);
    EXPECT_TRUE(c.metrics.enabled);
    EXPECT_EQ(c.metrics.host, "127.0.0.1");
    EXPECT_EQ(c.metrics.port, 0);
    c = load_config(config_file("metrics:\n  listen: \"[::1]:7790\"\n  stall_after: 30s\n").path);
    EXPECT_EQ(c.metrics.host, "::1");
    EXPECT_EQ(c.metrics.port, 7790);
    EXPECT_EQ(c.metrics.stall_after_us, 30LL * 1000000);
    c = load_config(config_file("metrics: {listen: \"0.0.0.0:9100\"}\n").path);
    EXPECT_EQ(c.metrics.host, "0.0.0.0");
    EXPECT_EQ(c.metrics.port, 9100);
}

TEST(metrics_config, a_bad_address_names_the_key_and_what_is_wrong) {
    std::string e = config_file("metrics:\n  listen: localhost:7790\n").error();
    EXPECT_NE(e.find("metrics.listen"), std::string::npos) << e;
    EXPECT_NE(e.find("'localhost' is not an IPv4 address"), std::string::npos) << e;
    EXPECT_NE(e.find("127.0.0.1:7790 or [::1]:7790"), std::string::npos) << e;

    e = config_file("metrics:\n  listen: 127.0.0.1\n").error();
    EXPECT_NE(e.find("metrics.listen: '127.0.0.1': no port"), std::string::npos) << e;
    e = config_file("metrics:\n  listen: 127.0.0.1:70000\n").error();
    EXPECT_NE(e.find("port must be a number from 0 to 65535"), std::string::npos) << e;
    e = config_file("metrics:\n  listen: 127.0.0.1:http\n").error();
    EXPECT_NE(e.find("port must be a number from 0 to 65535"), std::string::npos) << e;
    e = config_file("metrics:\n  listen: \"::1:7790\"\n").error();
    EXPECT_NE(e.find("write an IPv6 address in brackets"), std::string::npos) << e;
    e = config_file("metrics:\n  listen: \"[::g]:7790\"\n").error();
    EXPECT_NE(e.find("not an IPv6 address"), std::string::npos) << e;
    e = config_file("metrics:\n  stall_after: 10s\n").error();
    EXPECT_NE(e.find("metrics.listen: required in a metrics section"), std::string::npos) << e;
}

TEST(metrics_config, an_unknown_key_is_an_error) {
    std::string e = config_file("metrics:\n  listen: 127.0.0.1:7790\n  port: 7790\n").error();
    EXPECT_NE(e.find("metrics.port: unknown key (expected one of: listen, stall_after)"),
              std::string::npos)
        << e;
}

TEST(metrics_config, a_bad_or_too_short_stall_after_is_an_error) {
    std::string e =
        config_file("metrics:\n  listen: 127.0.0.1:7790\n  stall_after: soon\n").error();
    EXPECT_NE(e.find("metrics.stall_after"), std::string::npos) << e;
    e = config_file("metrics:\n  listen: 127.0.0.1:7790\n  stall_after: 500ms\n").error();
    EXPECT_NE(e.find("metrics.stall_after: must be at least 2s"), std::string::npos) << e;
}

}  // namespace
}  // namespace baton
