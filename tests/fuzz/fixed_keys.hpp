#pragma once

// The fixed keys of the envelope fuzz target and its seed corpus: alice
// seals (tests/fuzz/tools/make_seeds.cpp), bob opens (fuzz_envelope.cpp).
// Mutations of a seed reach the signature check only if both use the same.

#include <cstdint>

#include "net/crypto.hpp"
#include "net/identity.hpp"

namespace fuzz_keys {

inline net::identity fixed_identity(uint8_t x_seed, uint8_t ed_seed) {
  net::identity id;
  id.x25519_priv = net::bytes(32, x_seed);
  id.x25519_pub = *net::x25519_public(id.x25519_priv);
  id.ed25519_priv = net::bytes(32, ed_seed);
  id.ed25519_pub = *net::ed25519_public(id.ed25519_priv);
  return id;
}

inline const net::identity& alice() {
  static const auto id = fixed_identity(0x11, 0x12);
  return id;
}

inline const net::identity& bob() {
  static const auto id = fixed_identity(0x21, 0x22);
  return id;
}

} // namespace fuzz_keys
