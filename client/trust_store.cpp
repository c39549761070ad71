#include "client/trust_store.hpp"

#include <cstdint>

#include "net/crypto.hpp"
#include "net/secure_file.hpp"

namespace client {

namespace {

// Large enough for a million peers, small enough to read at once.
constexpr size_t max_store_size = 64 * 1024 * 1024;
constexpr size_t max_name_size = 256;
constexpr size_t fingerprint_hex_size = 64;

std::string fingerprint_hex(const net::bytes& x25519,
                            const net::bytes& ed25519) {
  net::bytes in = ed25519;
  in.insert(in.end(), x25519.begin(), x25519.end());
  return net::to_hex(net::sha256(in.data(), in.size()));
}

bool is_unicode_space(uint32_t cp) {
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

bool is_lower_hex(const std::string& s) {
  for (auto c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

} // namespace

bool is_valid_peer_name(const std::string& name) {
  if (name.empty() || name.size() > max_name_size)
    return false;
  size_t i = 0;
  while (i < name.size()) {
    auto b = static_cast<uint8_t>(name[i]);
    uint32_t cp = 0;
    size_t len = 0;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      cp = b & 0x1F;
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      cp = b & 0x0F;
      len = 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      cp = b & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (i + len > name.size())
      return false;
    for (size_t k = 1; k < len; ++k) {
      auto c = static_cast<uint8_t>(name[i + k]);
      if ((c & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF are not UTF-8.
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    if (cp <= 0x20 || (cp >= 0x7F && cp <= 0x9F) || is_unicode_space(cp))
      return false;
    i += len;
  }
  return true;
}

net::result<trust_store> trust_store::open(const std::string& path) {
  trust_store store{path};
  // Others may read who we talk to, but must not rewrite our trust.
  auto text = net::read_private_file(path, max_store_size, 022);
  if (!text) {
    if (net::code_of(text.error()) == net::errc::not_found)
      return store;
    return std::move(text.error());
  }
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text->size()) {
    auto eol = text->find('\n', pos);
    if (eol == std::string::npos)
      eol = text->size();
    auto line = text->substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (line.empty())
      continue;
    auto bad = [&](const char* why) {
      return net::make_error(net::errc::config,
                             path + ":" + std::to_string(line_no) + ": " + why);
    };
    auto sp = line.find(' ');
    if (sp == std::string::npos)
      return bad("expected '<name> <fingerprint>'");
    auto name = line.substr(0, sp);
    auto fp = line.substr(sp + 1);
    if (!is_valid_peer_name(name))
      return bad("invalid peer name");
    if (fp.size() != fingerprint_hex_size || !is_lower_hex(fp))
      return bad("fingerprint must be 64 lowercase hex digits");
    if (!store.peers_.emplace(std::move(name), std::move(fp)).second)
      return bad("duplicate peer name");
  }
  return store;
}

trust_store::verdict trust_store::check(const std::string& name,
                                        const net::bytes& x25519,
                                        const net::bytes& ed25519) const {
  auto i = peers_.find(name);
  if (i == peers_.end())
    return verdict::new_peer;
  return i->second == fingerprint_hex(x25519, ed25519) ? verdict::same
                                                       : verdict::changed;
}

caf::error trust_store::remember(const std::string& name,
                                 const net::bytes& x25519,
                                 const net::bytes& ed25519) {
  if (!is_valid_peer_name(name))
    return net::make_error(net::errc::bad_name, "invalid peer name");
  if (x25519.size() != net::x25519_key_size ||
      ed25519.size() != net::ed25519_key_size)
    return net::make_error(net::errc::bad_key, "peer keys must be 32 bytes");
  auto updated = peers_;
  updated[name] = fingerprint_hex(x25519, ed25519);
  std::string content;
  for (auto& [peer, fp] : updated) {
    content += peer;
    content += ' ';
    content += fp;
    content += '\n';
  }
  if (auto err = net::write_private_file(path_, content, true))
    return err;
  peers_ = std::move(updated);
  return caf::none;
}

const char* to_string(trust_store::verdict x) {
  switch (x) {
  case trust_store::verdict::new_peer:
    return "new_peer";
  case trust_store::verdict::same:
    return "same";
  case trust_store::verdict::changed:
    return "changed";
  }
  return "unknown";
}

} // namespace client
