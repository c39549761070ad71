#include "net/messages.hpp"

namespace net {

std::vector<char> hello_transcript(uint16_t version, const std::string& name,
                                   const bytes& x25519_key,
                                   const bytes& ed25519_key,
                                   const bytes& channel_binding) {
  std::vector<char> buf;
  wire_writer w{buf};
  std::string context = "chatroom/hello/v1";
  w(context, version, const_cast<std::string&>(name),
    const_cast<bytes&>(x25519_key), const_cast<bytes&>(ed25519_key),
    const_cast<bytes&>(channel_binding));
  return buf;
}

} // namespace net
