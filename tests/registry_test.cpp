#define CAF_SUITE registry
#include <caf/test/dsl.hpp>

#include "actors/registry.hpp"
#include "net/error.hpp"
#include "tests/recorder.hpp"

using namespace actors;
using namespace test_support;
using names = std::vector<std::string>;

namespace {

net::peer_info peer(const std::string& name, uint8_t k = 1) {
  return {name, net::bytes(32, k), net::bytes(32, static_cast<uint8_t>(k + 1))};
}

struct fixture : test_coordinator_fixture<> {
  registry_actor reg;

  fixture() {
    registry_settings s;
    s.max_clients = 3;
    s.max_name_length = 8;
    s.coalesce = std::chrono::milliseconds{0};
    reg = sys.spawn(registry, s);
  }

  ~fixture() override {
    anon_send_exit(reg, caf::exit_reason::user_shutdown);
  }

  recorder_actor client() {
    return sys.spawn(recorder);
  }

  recorder_state& st(const recorder_actor& a) {
    return deref<recorder_impl>(a).state;
  }

  void join(const recorder_actor& who, net::peer_info info) {
    self->send(who, caf::join_atom::value, std::move(info), reg);
    run();
  }

  net::errc last_join_error(const recorder_actor& who) {
    auto& errs = st(who).join_errors;
    CAF_REQUIRE(!errs.empty());
    return net::code_of(errs.back());
  }

  std::vector<std::string> online() {
    return test_support::online_names(deref<registry_impl>(reg).state);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(registry_tests, fixture)

CAF_TEST(a joiner gets a snapshot and the others a delta) {
  auto alice = client();
  auto bob = client();
  join(alice, peer("alice"));
  CAF_CHECK_EQUAL(st(alice).joins_ok, 1);
  CAF_REQUIRE_EQUAL(st(alice).directories.size(), 1u);
  CAF_CHECK(st(alice).directories[0].snapshot);
  CAF_CHECK_EQUAL(st(alice).directories[0].joined.names, names({"alice"}));
  join(bob, peer("bob", 7));
  CAF_REQUIRE_EQUAL(st(bob).directories.size(), 1u);
  CAF_CHECK(st(bob).directories[0].snapshot);
  CAF_CHECK_EQUAL(apply(st(bob).directories), names({"alice", "bob"}));
  CAF_REQUIRE_EQUAL(st(alice).directories.size(), 2u);
  auto& delta = st(alice).directories[1];
  CAF_CHECK(!delta.snapshot);
  CAF_CHECK_EQUAL(delta.joined.names, names({"bob"})); // names only
}

CAF_TEST(a member asks for keys and gets those online) {
  auto alice = client(), bob = client(), mallory = client();
  join(alice, peer("alice"));
  join(bob, peer("bob", 7));
  inject((caf::get_atom, std::vector<std::string>),
         from(alice).to(reg).with(caf::get_atom::value,
                                  std::vector<std::string>{"bob", "nobody",
                                                           "alice"}));
  expect((net::peer_keys), from(reg).to(alice));
  auto& answers = st(alice).keys;
  CAF_REQUIRE_EQUAL(answers.size(), 1u);
  CAF_CHECK_EQUAL(answers[0].peers,
                  (std::vector<net::peer_info>{peer("bob", 7), peer("alice")}));
  CAF_CHECK_EQUAL(answers[0].unknown, names({"nobody"}));
  // mallory never joined: she learns nothing
  inject((caf::get_atom, std::vector<std::string>),
         from(mallory).to(reg).with(caf::get_atom::value,
                                    std::vector<std::string>{"bob"}));
  expect((net::peer_keys), from(reg).to(mallory));
  CAF_REQUIRE_EQUAL(st(mallory).keys.size(), 1u);
  CAF_CHECK(st(mallory).keys[0].peers.empty());
  CAF_CHECK(st(mallory).keys[0].unknown.empty());
}

CAF_TEST(duplicate and invalid names are refused with a reason) {
  auto alice = client();
  auto other = client();
  join(alice, peer("alice"));
  join(other, peer("alice"));
  CAF_CHECK_EQUAL(last_join_error(other), net::errc::name_taken);
  CAF_CHECK_EQUAL(st(other).joins_ok, 0);
  for (auto bad : {"", "toolongname", "a b", "tab\there", "nul\x01", "all",
                   "ALL", "\xff\xfe", "zw\xe2\x80\x8bsp"}) {
    join(other, peer(bad));
    CAF_CHECK_EQUAL(last_join_error(other), net::errc::bad_name);
  }
  // the refused client can pick another name on the same session
  join(other, peer("alicia"));
  CAF_CHECK_EQUAL(st(other).joins_ok, 1);
  CAF_CHECK_EQUAL(online(), names({"alice", "alicia"}));
  // UTF-8 names are fine
  auto third = client();
  join(third, peer("zoë"));
  CAF_CHECK_EQUAL(st(third).joins_ok, 1);
}

CAF_TEST(the server refuses clients beyond max clients) {
  auto a = client(), b = client(), c = client(), d = client();
  join(a, peer("a"));
  join(b, peer("b"));
  join(c, peer("c"));
  join(d, peer("d"));
  CAF_CHECK_EQUAL(last_join_error(d), net::errc::server_full);
  CAF_CHECK_EQUAL(online(), names({"a", "b", "c"}));
}

CAF_TEST(leave on quit tells everyone) {
  auto alice = client();
  auto bob = client();
  join(alice, peer("alice"));
  join(bob, peer("bob"));
  inject((caf::leave_atom, std::string),
         from(bob).to(reg).with(caf::leave_atom::value, std::string{"bob"}));
  run();
  CAF_CHECK_EQUAL(online(), names({"alice"}));
  CAF_CHECK_EQUAL(apply(st(alice).directories), names({"alice"}));
  CAF_CHECK_EQUAL(st(alice).directories.back().left.names, names({"bob"}));
}

CAF_TEST(only the owner can remove a name) {
  auto alice = client();
  auto mallory = client();
  join(alice, peer("alice"));
  join(mallory, peer("mallory"));
  inject(
      (caf::leave_atom, std::string),
      from(mallory).to(reg).with(caf::leave_atom::value, std::string{"alice"}));
  run();
  CAF_CHECK_EQUAL(online(), names({"alice", "mallory"}));
}

CAF_TEST(a session that dies without quit is removed via down_msg) {
  auto alice = client();
  auto bob = client();
  join(alice, peer("alice"));
  join(bob, peer("bob"));
  anon_send_exit(bob, caf::exit_reason::kill);
  run();
  CAF_CHECK_EQUAL(online(), names({"alice"}));
  CAF_CHECK_EQUAL(apply(st(alice).directories), names({"alice"}));
  // the name is free again
  auto bob2 = client();
  join(bob2, peer("bob", 9));
  CAF_CHECK_EQUAL(st(bob2).joins_ok, 1);
}

CAF_TEST(routing reaches only the recipient) {
  auto alice = client(), bob = client(), carol = client();
  join(alice, peer("alice"));
  join(bob, peer("bob"));
  join(carol, peer("carol"));
  inject((route_atom, std::string, uint32_t, net::bytes, bool),
         from(alice).to(reg).with(route_atom::value, std::string{"bob"}, uint32_t{1},
                                  net::bytes{1, 2, 3}, false));
  run();
  CAF_REQUIRE_EQUAL(st(bob).delivered.size(), 1u);
  CAF_CHECK_EQUAL(st(bob).delivered[0],
                  (net::deliver{"alice", net::bytes{1, 2, 3}}));
  CAF_CHECK(st(carol).delivered.empty());
  CAF_CHECK(st(alice).delivered.empty());
  CAF_CHECK(st(alice).errors.empty());
}

CAF_TEST(a route names its sender by membership not by claim) {
  auto alice = client(), bob = client(), mallory = client();
  join(alice, peer("alice"));
  join(bob, peer("bob"));
  // mallory never joined: her route is ignored, nothing is delivered
  inject((route_atom, std::string, uint32_t, net::bytes, bool),
         from(mallory).to(reg).with(route_atom::value, std::string{"bob"},
                                    uint32_t{1}, net::bytes{6, 6, 6}, false));
  run();
  CAF_CHECK(st(bob).delivered.empty());
  CAF_CHECK(st(mallory).errors.empty());
  // alice's message to bob says it is from alice, whatever she might claim
  inject((route_atom, std::string, uint32_t, net::bytes, bool),
         from(alice).to(reg).with(route_atom::value, std::string{"bob"},
                                  uint32_t{2}, net::bytes{1}, false));
  run();
  CAF_REQUIRE_EQUAL(st(bob).delivered.size(), 1u);
  CAF_CHECK_EQUAL(st(bob).delivered[0].from, "alice");
}

CAF_TEST(a route that asks for it is answered after its delivery) {
  auto alice = client(), bob = client();
  join(alice, peer("alice"));
  join(bob, peer("bob"));
  inject((route_atom, std::string, uint32_t, net::bytes, bool),
         from(alice).to(reg).with(route_atom::value, std::string{"bob"},
                                  uint32_t{1}, net::bytes{1}, true));
  // the delivery is on its way before the answer
  expect((net::deliver, error_sink, uint32_t), from(reg).to(bob));
  expect((route_atom, std::string, recipient), from(reg).to(alice));
  auto& routes = st(alice).routes;
  CAF_REQUIRE_EQUAL(routes.size(), 1u);
  CAF_CHECK_EQUAL(routes[0].first, "bob");
  CAF_CHECK_EQUAL(routes[0].second.address(), bob.address());
  // not online, or oneself: answered with no route (and the error)
  for (auto to : {"nobody", "alice"})
    inject((route_atom, std::string, uint32_t, net::bytes, bool),
           from(alice).to(reg).with(route_atom::value, std::string{to},
                                    uint32_t{2}, net::bytes{1}, true));
  run();
  CAF_REQUIRE_EQUAL(routes.size(), 3u);
  CAF_CHECK(!routes[1].second);
  CAF_CHECK(!routes[2].second);
  CAF_CHECK_EQUAL(st(alice).errors.size(), 2u);
  // without asking, no answer
  inject((route_atom, std::string, uint32_t, net::bytes, bool),
         from(alice).to(reg).with(route_atom::value, std::string{"bob"},
                                  uint32_t{3}, net::bytes{1}, false));
  run();
  CAF_CHECK_EQUAL(routes.size(), 3u);
}

CAF_TEST(several recipients get one envelope each) {
  auto alice = client(), bob = client(), carol = client();
  join(alice, peer("alice"));
  join(bob, peer("bob"));
  join(carol, peer("carol"));
  uint32_t id = 10;
  for (auto to : {"bob", "carol"})
    inject((route_atom, std::string, uint32_t, net::bytes, bool),
           from(alice).to(reg).with(route_atom::value, std::string{to}, id++,
                                    net::bytes{static_cast<uint8_t>(id)}, false));
  run();
  CAF_CHECK_EQUAL(st(bob).delivered.size(), 1u);
  CAF_CHECK_EQUAL(st(carol).delivered.size(), 1u);
  CAF_CHECK_NOT_EQUAL(st(bob).delivered[0].envelope,
                      st(carol).delivered[0].envelope);
}

CAF_TEST(unknown departed and self recipients get an error back) {
  auto alice = client(), bob = client();
  join(alice, peer("alice"));
  join(bob, peer("bob"));
  anon_send_exit(bob, caf::exit_reason::kill);
  run();
  auto send_to = [&](std::string to, uint32_t id) {
    inject((route_atom, std::string, uint32_t, net::bytes, bool),
           from(alice).to(reg).with(route_atom::value, std::move(to), id, net::bytes{1}, false));
    run();
  };
  send_to("nobody", 5);
  send_to("bob", 6);
  send_to("alice", 7);
  auto& errs = st(alice).errors;
  CAF_REQUIRE_EQUAL(errs.size(), 3u);
  CAF_CHECK_EQUAL(errs[0].ref, 5u);
  CAF_CHECK_EQUAL(errs[0].code, static_cast<uint8_t>(net::errc::unknown_peer));
  CAF_CHECK(errs[0].text.find("nobody") != std::string::npos);
  CAF_CHECK(!errs[0].fatal);
  CAF_CHECK_EQUAL(errs[1].ref, 6u);
  CAF_CHECK(errs[1].text.find("bob") != std::string::npos);
  CAF_CHECK_EQUAL(errs[2].ref, 7u);
}

CAF_TEST(case variants and confusables of an online name are taken) {
  // names up to 32 bytes: fullwidth letters take three bytes each
  registry_settings s;
  s.coalesce = std::chrono::milliseconds{0};
  auto wide = sys.spawn(registry, s);
  auto join_wide = [&](const recorder_actor& who, const std::string& name) {
    self->send(who, caf::join_atom::value, peer(name), wide);
    run();
  };
  auto alice = client();
  auto other = client();
  join_wide(alice, "alice");
  CAF_REQUIRE_EQUAL(st(alice).joins_ok, 1);
  for (std::string look_alike :
       {"ALICE", "Alice", "\uFF41\uFF4C\uFF49\uFF43\uFF45"}) {
    join_wide(other, look_alike);
    CAF_CHECK_EQUAL(last_join_error(other), net::errc::name_taken);
    auto text = net::describe(st(other).join_errors.back());
    CAF_MESSAGE(text);
    CAF_CHECK_NOT_EQUAL(text.find("looks like 'alice', who is online"),
                        std::string::npos);
  }
  // a Cyrillic a inside a Latin name is refused before uniqueness
  join_wide(other, "\u0430lice");
  CAF_CHECK_EQUAL(last_join_error(other), net::errc::bad_name);
  // a whole-script confusable: Cyrillic "асе" while Latin "ace" is online
  auto ace = client();
  join_wide(ace, "ace");
  CAF_REQUIRE_EQUAL(st(ace).joins_ok, 1);
  join_wide(other, "\u0430\u0441\u0435");
  CAF_CHECK_EQUAL(last_join_error(other), net::errc::name_taken);
  CAF_CHECK_EQUAL(st(other).joins_ok, 0);
  // once alice has left, "ALICE" may join and is listed as she wrote it
  inject((caf::leave_atom, std::string),
         from(alice).to(wide).with(caf::leave_atom::value,
                                   std::string{"alice"}));
  run();
  join_wide(other, "ALICE");
  CAF_CHECK_EQUAL(st(other).joins_ok, 1);
  CAF_CHECK_EQUAL(deref<registry_impl>(wide).state.entries.count("ALICE"),
                  1u);
  CAF_CHECK_EQUAL(deref<registry_impl>(wide).state.names_by_key.size(), 2u);
  anon_send_exit(wide, caf::exit_reason::user_shutdown);
}

CAF_TEST(a name freed by a dead session frees its look-alikes) {
  auto alice = client();
  join(alice, peer("alice"));
  anon_send_exit(alice, caf::exit_reason::kill);
  run();
  auto other = client();
  join(other, peer("ALICE"));
  CAF_CHECK_EQUAL(st(other).joins_ok, 1);
  CAF_CHECK_EQUAL(online(), names({"ALICE"}));
}

CAF_TEST_FIXTURE_SCOPE_END()

namespace {

struct coalescing_fixture : test_coordinator_fixture<> {
  registry_actor reg;
  coalescing_fixture() {
    registry_settings s;
    s.max_clients = 1000;
    s.coalesce = std::chrono::milliseconds{50};
    reg = sys.spawn(registry, s);
  }
  ~coalescing_fixture() override {
    anon_send_exit(reg, caf::exit_reason::user_shutdown);
  }
  recorder_state& st(const recorder_actor& a) {
    return deref<recorder_impl>(a).state;
  }
  /// Delivers messages without firing timers: time moves only by advance().
  void drain() {
    sched.run();
  }
  /// Lets the coalescing window pass and delivers what it pushed.
  void close_window() {
    advance_time(std::chrono::milliseconds{50});
    drain();
  }
  /// A recorder that asks to join as `name`.
  recorder_actor joiner(const std::string& name) {
    auto c = sys.spawn(test_support::recorder);
    self->send(c, caf::join_atom::value,
               net::peer_info{name, net::bytes(32, 1), net::bytes(32, 2)}, reg);
    return c;
  }
  registry_state& reg_state() {
    return deref<registry_impl>(reg).state;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(coalescing_tests, coalescing_fixture)

CAF_TEST(a join storm is batched and encoded once per window) {
  auto first = joiner("first");
  drain();
  close_window();
  CAF_REQUIRE_EQUAL(st(first).directories.size(), 1u);
  // 100 clients join inside one window
  std::vector<recorder_actor> crowd;
  for (int i = 0; i < 100; ++i)
    crowd.push_back(joiner("u" + std::to_string(i)));
  drain();
  // nothing is pushed before the window closes
  CAF_CHECK_EQUAL(st(first).directories.size(), 1u);
  CAF_CHECK(st(crowd[0]).directories.empty());
  close_window();
  // one delta for the old member, one shared snapshot for the newcomers
  CAF_REQUIRE_EQUAL(st(first).directories.size(), 2u);
  CAF_CHECK_EQUAL(st(first).directories[1].joined.names.size(), 100u);
  CAF_CHECK_EQUAL(reg_state().deltas_sent, 1u);
  CAF_CHECK_EQUAL(reg_state().snapshots_sent, 2u);
  for (auto& c : crowd) {
    CAF_REQUIRE_EQUAL(st(c).directories.size(), 1u);
    CAF_CHECK_EQUAL(st(c).directories[0].joined.names.size(), 101u);
  }
  for (auto& c : crowd)
    anon_send_exit(c, caf::exit_reason::user_shutdown);
  anon_send_exit(first, caf::exit_reason::user_shutdown);
  drain();
  close_window();
}

CAF_TEST(the window grows with the room so deltas per second stay bounded) {
  // Was: one delta per 50 ms to every member whatever the room's size: a
  // storm of 5,000 joins was ~800,000 directory writes (TLS records,
  // syscalls), most of the server's CPU for the storm.
  drain(); // the registry has started (and set its settings)
  auto& s = reg_state().settings;
  s.directory_writes_per_s = 400; // 20 members: a window of 50 ms
  s.coalesce_max = std::chrono::milliseconds{120};
  std::vector<recorder_actor> room;
  for (int i = 0; i < 20; ++i)
    room.push_back(joiner("m" + std::to_string(i)));
  drain();
  close_window();
  CAF_REQUIRE_EQUAL(st(room[0]).directories.size(), 1u); // the snapshot
  s.directory_writes_per_s = 210; // 21 members with late: 100 ms
  auto late = joiner("late");
  drain();
  close_window(); // 50 ms
  CAF_CHECK_EQUAL(st(room[0]).directories.size(), 1u);
  // the joiner's snapshot does not wait for the room's longer window
  CAF_REQUIRE_EQUAL(st(late).directories.size(), 1u);
  CAF_CHECK(st(late).directories[0].snapshot);
  advance_time(std::chrono::milliseconds{49});
  drain();
  CAF_CHECK_EQUAL(st(room[0]).directories.size(), 1u);
  advance_time(std::chrono::milliseconds{1}); // 100 ms
  drain();
  CAF_REQUIRE_EQUAL(st(room[0]).directories.size(), 2u);
  CAF_CHECK_EQUAL(st(room[0]).directories[1].joined.names,
                  std::vector<std::string>{"late"});
  // late, announced meanwhile, gets the delta too: its own join again
  CAF_REQUIRE_EQUAL(st(late).directories.size(), 2u);
  CAF_CHECK_EQUAL(st(late).directories[1].joined.names,
                  std::vector<std::string>{"late"});
  // and never beyond the cap: 22 members at 20 writes/s would be 1.1 s
  s.directory_writes_per_s = 20;
  auto later = joiner("later");
  drain();
  advance_time(std::chrono::milliseconds{119});
  drain();
  CAF_CHECK_EQUAL(st(room[0]).directories.size(), 2u);
  advance_time(std::chrono::milliseconds{1});
  drain();
  CAF_CHECK_EQUAL(st(room[0]).directories.size(), 3u);
  for (auto& c : room)
    anon_send_exit(c, caf::exit_reason::user_shutdown);
  anon_send_exit(late, caf::exit_reason::user_shutdown);
  anon_send_exit(later, caf::exit_reason::user_shutdown);
  drain();
  close_window();
}

CAF_TEST(a join and leave inside one window cancel out) {
  auto first = joiner("first");
  drain();
  close_window();
  auto ghost = joiner("ghost");
  drain();
  anon_send_exit(ghost, caf::exit_reason::kill);
  drain();
  close_window();
  CAF_CHECK_EQUAL(test_support::apply(st(first).directories),
                  std::vector<std::string>{"first"});
  CAF_CHECK(st(ghost).directories.empty());
  anon_send_exit(first, caf::exit_reason::user_shutdown);
  drain();
  close_window();
}

CAF_TEST_FIXTURE_SCOPE_END()
