// libFuzzer target: envelope parsing and opening on untrusted bytes.
//
// The recipient ("bob") and the expected sender ("alice") have fixed keys
// (tests/fuzz/fixed_keys.hpp; tests/fuzz/tools/make_seeds.cpp seals the
// seed corpus with the same keys), so mutations of a valid seed reach the
// signature check and, when the signature still holds, decryption and the
// replay guard.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "net/crypto.hpp"
#include "net/envelope.hpp"
#include "net/identity.hpp"
#include "tests/fuzz/fixed_keys.hpp"

using fuzz_keys::alice;
using fuzz_keys::bob;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  net::bytes raw(data, data + size);
  auto chars = reinterpret_cast<const char*>(data);
  // The wire codec alone: canonical, so a parsed envelope re-encodes exactly.
  net::envelope env;
  bool parsed = net::from_wire(chars, size, env);
  if (parsed && net::to_wire(env) != std::vector<char>(chars, chars + size))
    std::abort();
  // Opening as bob, from alice: only alice's signature may pass.
  net::replay_guard guard;
  auto opened = net::open_envelope(bob(), "bob", raw, "alice",
                                   alice().ed25519_pub, guard);
  if (opened) {
    if (!parsed || opened->sender != "alice" ||
        opened->counter != env.header.counter)
      std::abort();
    // The same envelope again is a replay.
    auto again = net::open_envelope(bob(), "bob", raw, "alice",
                                    alice().ed25519_pub, guard);
    if (again || net::code_of(again.error()) != net::errc::replay)
      std::abort();
  }
  // Opening with whatever sender and key the envelope claims.
  if (parsed) {
    net::replay_guard other;
    auto claimed = net::open_envelope(bob(), "bob", raw, env.header.sender,
                                      env.header.sender_ed25519, other);
    // The seeds carry alice's signatures only; any other key that verifies
    // would be a forgery (e.g. a small-order key accepting any signature).
    if (claimed && env.header.sender_ed25519 != alice().ed25519_pub)
      std::abort();
  }
  return 0;
}
