#include "net/error.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace net {

const char* to_string(errc code) {
  switch (code) {
  case errc::ok:
    return "ok";
  case errc::io:
    return "io";
  case errc::crypto:
    return "crypto";
  case errc::tls:
    return "tls";
  case errc::pin_mismatch:
    return "pin_mismatch";
  case errc::protocol:
    return "protocol";
  case errc::bad_version:
    return "bad_version";
  case errc::bad_name:
    return "bad_name";
  case errc::name_taken:
    return "name_taken";
  case errc::bad_key:
    return "bad_key";
  case errc::bad_proof:
    return "bad_proof";
  case errc::bad_signature:
    return "bad_signature";
  case errc::replay:
    return "replay";
  case errc::decrypt:
    return "decrypt";
  case errc::unknown_peer:
    return "unknown_peer";
  case errc::rate_limited:
    return "rate_limited";
  case errc::server_full:
    return "server_full";
  case errc::overloaded:
    return "overloaded";
  case errc::config:
    return "config";
  case errc::not_found:
    return "not_found";
  case errc::shutdown:
    return "shutdown";
  case errc::recipient_busy:
    return "recipient_busy";
  }
  return "unknown";
}

caf::error make_error(errc code, std::string what) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(what))};
}

std::string describe(const caf::error& err) {
  if (!err)
    return "no error";
  auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  if (err.category() == caf::atom("system"))
    return caf::to_string(static_cast<caf::sec>(err.code()));
  return caf::to_string(err);
}

errc code_of(const caf::error& err) {
  if (err.category() != error_category)
    return errc::protocol;
  return static_cast<errc>(err.code());
}

} // namespace net
