#include "client/trust_store.hpp"

#include <cstdint>

#include "net/crypto.hpp"
#include "net/secure_file.hpp"

namespace client {

namespace {

// Large enough for a million peers, small enough to read at once.
constexpr size_t max_store_size = 256 * 1024 * 1024;
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
  if (name.empty() || name.size() > max_peer_name_size)
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
  std::vector<std::string> lines;
  bool tail = false;
  // Others may read who we talk to, but must not rewrite our trust.
  auto j = journal_file::open(path, max_store_size, lines, &tail);
  if (!j)
    return std::move(j.error());
  store.journal_ = std::move(*j);
  size_t line_no = 0;
  for (auto& line : lines) {
    ++line_no;
    if (line.empty())
      continue;
    auto sp = line.find(' ');
    auto name = line.substr(0, sp);
    auto fp = sp == std::string::npos ? std::string{} : line.substr(sp + 1);
    const char* why = nullptr;
    if (sp == std::string::npos)
      why = "expected '<name> <fingerprint>'";
    else if (!is_valid_peer_name(name))
      why = "invalid peer name";
    else if (fp.size() != fingerprint_hex_size || !is_lower_hex(fp))
      why = "fingerprint must be 64 lowercase hex digits";
    if (why != nullptr) {
      // A torn last line (crash mid-append) was never confirmed: drop it.
      if (tail && line_no == lines.size())
        break;
      return net::make_error(net::errc::config,
                             path + ":" + std::to_string(line_no) + ": " + why);
    }
    // A journal: the later line is the later decision.
    store.peers_[std::move(name)] = std::move(fp);
  }
  store.journal_lines_ = lines.size();
  // Write the file clean before anything is appended after a last line
  // without newline.
  if (store.journal_.needs_rewrite())
    if (auto err = store.compact())
      return err;
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
  return remember_all({pin{name, x25519, ed25519}});
}

caf::error trust_store::remember_all(const std::vector<pin>& pins) {
  if (pins.empty())
    return caf::none;
  std::vector<std::pair<const std::string*, std::string>> entries;
  entries.reserve(pins.size());
  std::string text;
  for (auto& p : pins) {
    if (!is_valid_peer_name(p.name))
      return net::make_error(net::errc::bad_name, "invalid peer name");
    if (p.x25519.size() != net::x25519_key_size ||
        p.ed25519.size() != net::ed25519_key_size)
      return net::make_error(net::errc::bad_key, "peer keys must be 32 bytes");
    entries.emplace_back(&p.name, fingerprint_hex(p.x25519, p.ed25519));
    text += p.name;
    text += ' ';
    text += entries.back().second;
    text += '\n';
  }
  if (journal_.needs_rewrite()) {
    // The last append may have left a partial line: rewrite instead.
    auto updated = peers_;
    for (auto& [name, fp] : entries)
      updated[*name] = fp;
    std::swap(peers_, updated);
    if (auto err = compact()) {
      std::swap(peers_, updated);
      return err;
    }
    return caf::none;
  }
  if (auto err = journal_.append(text))
    return err;
  for (auto& [name, fp] : entries)
    peers_[*name] = std::move(fp);
  journal_lines_ += entries.size();
  // Amortized O(1): rewrite only when half the lines are stale.
  if (journal_lines_ > 2 * peers_.size() + 64)
    return compact();
  return caf::none;
}

caf::error trust_store::compact() {
  std::string content;
  for (auto& [peer, fp] : peers_) {
    content += peer;
    content += ' ';
    content += fp;
    content += '\n';
  }
  if (auto err = journal_.rewrite(content))
    return err;
  journal_lines_ = peers_.size();
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
