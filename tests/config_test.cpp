#define CAF_SUITE config
#include <caf/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "config/client_options.hpp"
#include "config/server_options.hpp"
#include "tests/process.hpp"

using namespace test_support;

namespace {

struct args {
  std::vector<std::string> xs;
  std::vector<const char*> ptrs;
  args(std::initializer_list<std::string> list) : xs(list) {
    for (auto& x : xs)
      ptrs.push_back(x.c_str());
  }
  int argc() const {
    return static_cast<int>(ptrs.size());
  }
  const char* const* argv() const {
    return ptrs.data();
  }
};

net::result<config::server_options>
parse(std::initializer_list<std::string> l) {
  args a{l};
  std::ostringstream help;
  bool shown = false;
  return config::parse_server_options(a.argc(), a.argv(), help, shown);
}

std::string error_of(std::initializer_list<std::string> l) {
  auto res = parse(l);
  CAF_REQUIRE(!res);
  return net::describe(res.error());
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

CAF_TEST(defaults and command line values) {
  temp_dir d;
  auto res = parse({"chat-server", "--config", "/dev/null", "--videos",
                    d.path(), "--port", "0", "--max-clients", "7"});
  CAF_REQUIRE(res);
  CAF_CHECK_EQUAL(res->port, 0u);
  CAF_CHECK_EQUAL(res->max_clients, 7u);
  CAF_CHECK_EQUAL(res->max_frame_size, 131072u);
  CAF_CHECK_EQUAL(res->host, "127.0.0.1");
}

CAF_TEST(the config file is read and the command line wins) {
  temp_dir d;
  std::ofstream{d / "s.ini"} << "# comment\nport = 6001\nmax-name-length = 9\n"
                                "videos = "
                             << d.path() << "\n";
  auto res = parse({"chat-server", "--config", d / "s.ini", "--port", "6002"});
  CAF_REQUIRE(res);
  CAF_CHECK_EQUAL(res->port, 6002u);
  CAF_CHECK_EQUAL(res->max_name_length, 9u);
}

CAF_TEST(the shipped server ini parses with every option) {
  auto ini = std::string{CHATROOM_SOURCE_DIR} + "/config/server.ini";
  temp_dir d;
  auto res = parse({"chat-server", "--config", ini, "--videos", d.path()});
  CAF_REQUIRE(res);
  // every option of --help appears in the shipped file
  args a{"chat-server", "--help"};
  std::ostringstream help;
  bool shown = false;
  config::parse_server_options(a.argc(), a.argv(), help, shown);
  CAF_CHECK(shown);
  std::ifstream in{ini};
  std::string file{std::istreambuf_iterator<char>{in}, {}};
  std::istringstream lines{help.str()};
  std::string line;
  int options = 0;
  while (std::getline(lines, line)) {
    auto pos = line.find("--");
    if (pos == std::string::npos)
      continue;
    auto end = line.find_first_of(" [", pos);
    auto name = line.substr(pos + 2, end - pos - 2);
    if (name == "help" || name == "config")
      continue;
    ++options;
    if (!contains(file, name + " ="))
      CAF_MESSAGE("missing in config/server.ini: " << name);
    CAF_CHECK(contains(file, name + " ="));
  }
  CAF_CHECK_GREATER(options, 15);
}

CAF_TEST(each bad value names its option) {
  temp_dir d;
  auto v = d.path();
  CAF_CHECK(contains(error_of({"s", "--config", "/dev/null", "--videos", v,
                               "--port", "70000"}),
                     "--port: 70000 is out of range"));
  CAF_CHECK(contains(
      error_of({"s", "--config", "/dev/null", "--videos", v, "--bogus", "1"}),
      "bogus"));
  CAF_CHECK(contains(
      error_of({"s", "--config", "/dev/null", "--videos", d / "missing"}),
      "--videos"));
  CAF_CHECK(contains(
      error_of({"s", "--config", "/dev/null", "--videos", v, "--port", "abc"}),
      "port"));
  CAF_CHECK(contains(error_of({"s", "--config", "/dev/null", "--videos", v,
                               "--log-level", "loud"}),
                     "--log-level"));
  CAF_CHECK(contains(error_of({"s", "--config", "/dev/null", "--videos", v,
                               "--max-frame-size", "10"}),
                     "--max-frame-size"));
  CAF_CHECK(contains(error_of({"s", "--config", "/dev/null", "--videos", v,
                               "--scheduler-policy", "magic"}),
                     "--scheduler-policy"));
  CAF_CHECK(contains(error_of({"s", "--config", d / "nope.ini"}), "--config"));
  std::ofstream{d / "bad.ini"} << "colour = blue\n";
  CAF_CHECK(contains(error_of({"s", "--config", d / "bad.ini"}), "colour"));
}

CAF_TEST(client options derive file paths from home) {
  args a{"chat-client", "--home", "/tmp/x", "--port",
         "6000",        "--name", "alice"};
  std::ostringstream help;
  bool shown = false;
  auto res = config::parse_client_options(a.argc(), a.argv(), help, shown);
  CAF_REQUIRE(res);
  CAF_CHECK_EQUAL(res->key_file, "/tmp/x/identity.pem");
  CAF_CHECK_EQUAL(res->known_servers, "/tmp/x/known_servers");
  args b{"chat-client", "--port", "0"};
  CAF_CHECK(!config::parse_client_options(b.argc(), b.argv(), help, shown));
}

CAF_TEST(the real server exits non - zero with one clear line) {
  temp_dir d;
  ::mkdir((d / "videos").c_str(), 0755);
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv{
        binary("chat-server"), "--config", "/dev/null",
        "--data-dir",          d / "data", "--videos",
        d / "videos"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process p{argv};
    auto code = p.wait_exit();
    CAF_REQUIRE(code);
    return std::make_pair(*code, p.output());
  };
  auto [c1, out1] = run({"--port", "70000"});
  CAF_CHECK_NOT_EQUAL(c1, 0);
  CAF_CHECK(contains(out1, "--port"));
  CAF_CHECK_EQUAL(std::count(out1.begin(), out1.end(), '\n'), 1);
  auto [c2, out2] = run({"--unknown-thing"});
  CAF_CHECK_NOT_EQUAL(c2, 0);
  CAF_CHECK(contains(out2, "unknown-thing"));
  // an unreadable certificate
  ::mkdir((d / "data").c_str(), 0700);
  std::ofstream{d / "data/server-cert.pem"} << "garbage";
  std::ofstream{d / "data/server-key.pem"} << "garbage";
  ::chmod((d / "data/server-key.pem").c_str(), 0600);
  auto [c3, out3] = run({"--port", "0"});
  CAF_CHECK_NOT_EQUAL(c3, 0);
  CAF_CHECK(contains(out3, "server-cert.pem") ||
            contains(out3, "server-key.pem"));
  // --help lists options with defaults and exits 0
  auto [c4, out4] = run({"--help"});
  CAF_CHECK_EQUAL(c4, 0);
  CAF_CHECK(contains(out4, "--max-frame-size arg (=131072)"));
}
