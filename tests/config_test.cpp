#define CAF_SUITE config
#include <caf/test/unit_test.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <sys/stat.h>

#include "actors/server_options.hpp"
#include "config/client_options.hpp"
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

net::result<actors::server_options>
parse(std::initializer_list<std::string> l) {
  args a{l};
  std::ostringstream help;
  bool shown = false;
  return actors::parse_server_options(a.argc(), a.argv(), help, shown);
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
  CAF_CHECK_EQUAL(res->registry.max_clients, 7u);
  CAF_CHECK_EQUAL(res->session.max_frame_size, 131072u);
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
  CAF_CHECK_EQUAL(res->registry.max_name_length, 9u);
}

CAF_TEST(the shipped server ini sets every option to its default) {
  auto ini = std::string{CHATROOM_SOURCE_DIR} + "/config/server.ini";
  temp_dir d;
  auto res = parse({"chat-server", "--config", ini, "--videos", d.path()});
  CAF_REQUIRE(res);
  // --help shows each option with the default of the settings struct it
  // is bound to: "--name arg (=default)".
  args a{"chat-server", "--help"};
  std::ostringstream help;
  bool shown = false;
  CAF_CHECK(!!actors::parse_server_options(a.argc(), a.argv(), help, shown));
  CAF_CHECK(shown);
  std::map<std::string, std::string> defaults;
  std::istringstream help_lines{help.str()};
  std::string line;
  while (std::getline(help_lines, line)) {
    auto pos = line.find("--");
    if (pos == std::string::npos)
      continue;
    auto end = line.find_first_of(" [", pos);
    auto name = line.substr(pos + 2, end - pos - 2);
    if (name == "help" || name == "config")
      continue;
    auto open = line.rfind("(=");
    auto close = line.find(')', open);
    defaults[name] = open == std::string::npos
                         ? std::string{"<none>"}
                         : line.substr(open + 2, close - open - 2);
  }
  CAF_CHECK_GREATER(defaults.size(), 30u);
  // config/server.ini states each of them once, with that value.
  std::map<std::string, std::string> in_file;
  std::ifstream in{ini};
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto eq = line.find(" = ");
    CAF_REQUIRE_NOT_EQUAL(eq, std::string::npos);
    auto name = line.substr(0, eq);
    CAF_CHECK_EQUAL(in_file.count(name), 0u);
    in_file[name] = line.substr(eq + 3);
  }
  for (auto& [name, value] : defaults) {
    auto i = in_file.find(name);
    if (i == in_file.end()) {
      CAF_FAIL("missing in config/server.ini: " << name);
      continue;
    }
    if (i->second != value)
      CAF_MESSAGE(name << ": ini says " << i->second << ", default is "
                       << value);
    CAF_CHECK_EQUAL(i->second, value);
  }
  CAF_CHECK_EQUAL(in_file.size(), defaults.size());
}

CAF_TEST(options land in the components settings) {
  temp_dir d;
  auto res =
      parse({"chat-server", "--config", "/dev/null", "--videos", d.path(),
             "--buffer-target-ms", "900", "--max-inflight-frames", "0",
             "--close-linger-ms", "5", "--directory-coalesce-ms", "7",
             "--max-unjoined", "3", "--log-frames", "--warm-cache", "false"});
  CAF_REQUIRE(res);
  CAF_CHECK_EQUAL(res->session.stream.buffer_target_ms, 900u);
  CAF_CHECK_EQUAL(res->session.stream.max_in_flight, 0u);
  CAF_CHECK(res->session.close_linger == std::chrono::milliseconds{5});
  CAF_CHECK(res->registry.coalesce == std::chrono::milliseconds{7});
  CAF_CHECK_EQUAL(res->acceptor.max_unjoined, 3u);
  CAF_CHECK(res->session.log_frames);
  CAF_CHECK(!res->catalog.warm);
  CAF_CHECK_EQUAL(res->catalog.videos_dir, d.path());
  // defaults are the structs' own
  CAF_CHECK(res->session.idle_timeout ==
            actors::session_settings{}.idle_timeout);
  // HELLO's limit never exceeds the frame limit
  auto small =
      parse({"chat-server", "--config", "/dev/null", "--videos", d.path(),
             "--max-frame-size", "2048", "--max-prejoin-frame-size", "4096"});
  CAF_REQUIRE(small);
  CAF_CHECK_EQUAL(small->session.max_prejoin_frame_size, 2048u);
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
  CAF_CHECK(contains(error_of({"s", "--config", "/dev/null", "--videos", v,
                               "--max-frames-per-turn", "0"}),
                     "--max-frames-per-turn"));
  CAF_CHECK(contains(error_of({"s", "--config", "/dev/null", "--videos", v,
                               "--video-wait-notice-ms", "0"}),
                     "--video-wait-notice-ms"));
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
