#pragma once

#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace net {

/// Error codes of the whole project; category atom "chat".
enum class errc : uint8_t {
  ok = 0,
  io,            ///< file or socket I/O failed
  crypto,        ///< an OpenSSL primitive failed
  tls,           ///< TLS handshake or record layer failure
  pin_mismatch,  ///< server certificate does not match the pinned one
  protocol,      ///< malformed, oversized or unexpected frame
  bad_version,   ///< peer speaks another protocol version
  bad_name,      ///< invalid user name
  name_taken,    ///< name already online
  bad_key,       ///< invalid public key
  bad_proof,     ///< proof of key possession failed
  bad_signature, ///< signature did not verify
  replay,        ///< message counter already seen
  decrypt,       ///< authenticated decryption failed
  unknown_peer,  ///< recipient is not online
  rate_limited,  ///< sender exceeded its budget
  server_full,   ///< max clients reached
  overloaded,    ///< outgoing buffer of a session overflowed
  config,        ///< invalid configuration value
  not_found,     ///< unknown id (video, file)
  shutdown,      ///< server is going down
  recipient_busy, ///< the recipient is not keeping up; message not delivered
};

/// The atom CAF uses to tag our error category.
constexpr caf::atom_value error_category = caf::atom("chat");

/// Short stable name of a code, e.g. "name_taken".
const char* to_string(errc code);

/// Builds an error with a human-readable explanation as its context.
[[nodiscard]] caf::error make_error(errc code, std::string what);

/// The human-readable text of an error made by `make_error` (or CAF).
std::string describe(const caf::error& err);

/// Reads the code back; `errc::protocol` for foreign categories.
errc code_of(const caf::error& err);

template <class T>
using result = caf::expected<T>;

} // namespace net
