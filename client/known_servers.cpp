#include "client/known_servers.hpp"

#include <cctype>
#include <sstream>

#include "net/certificate.hpp"
#include "net/secure_file.hpp"
#include "net/secure_path.hpp"

namespace net {

namespace {

// Thousands of pins fit many times over; stops us reading a huge file.
constexpr size_t max_file_size = 1024 * 1024;

bool valid_host_port(const std::string& x) {
  auto colon = x.rfind(':');
  if (x.empty() || colon == std::string::npos || colon == 0 ||
      colon + 1 == x.size() || x.size() - colon - 1 > 5)
    return false;
  for (auto c : x)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '#' ||
        !std::isprint(static_cast<unsigned char>(c)))
      return false;
  for (size_t i = colon + 1; i < x.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(x[i])))
      return false;
  return true;
}

} // namespace

known_servers::known_servers(std::string path) : path_(std::move(path)) {
  // nop
}

result<known_servers> known_servers::open(const std::string& path) {
  known_servers out{path};
  // Whoever can write the file or a directory above it can pin their own
  // certificate for our servers.
  if (auto err = check_secure_path(path))
    return err;
  // Refused if others could write it: they could pin their own certificate.
  auto text = read_private_file(path, max_file_size, 022);
  if (!text) {
    if (code_of(text.error()) == errc::not_found)
      return out;
    return text.error();
  }
  std::istringstream in{*text};
  std::string raw;
  size_t line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    if (!raw.empty() && raw.back() == '\r')
      raw.pop_back();
    auto first = raw.find_first_not_of(" \t");
    if (first == std::string::npos || raw[first] == '#') {
      out.lines_.push_back({raw, {}, {}});
      continue;
    }
    std::istringstream fields{raw};
    std::string host_port, fingerprint, extra;
    fields >> host_port >> fingerprint >> extra;
    auto where = path + ":" + std::to_string(line_no) + ": ";
    if (!extra.empty() || !valid_host_port(host_port) ||
        !is_fingerprint(fingerprint))
      return make_error(errc::config, where + "malformed entry, expected "
                                              "'host:port SHA256:AB:CD:...'");
    if (out.index_.count(host_port) > 0)
      return make_error(errc::config,
                        where + "duplicate entry for " + host_port);
    out.index_.emplace(host_port, out.lines_.size());
    out.lines_.push_back({raw, host_port, fingerprint});
  }
  return out;
}

known_servers::verdict known_servers::check(const std::string& host_port,
                                            const std::string& fingerprint,
                                            std::string* pinned) const {
  auto i = index_.find(host_port);
  if (i == index_.end())
    return verdict::unknown;
  auto& stored = lines_[i->second].fingerprint;
  if (fingerprints_equal(stored, fingerprint))
    return verdict::match;
  if (pinned)
    *pinned = stored;
  return verdict::mismatch;
}

caf::error known_servers::pin(const std::string& host_port,
                              const std::string& fingerprint) {
  if (!valid_host_port(host_port))
    return make_error(errc::config, "invalid server address '" + host_port +
                                        "', expected host:port");
  if (!is_fingerprint(fingerprint))
    return make_error(errc::config,
                      "invalid fingerprint '" + fingerprint + "'");
  // Change a copy and commit it only once the file is written.
  auto lines = lines_;
  auto index = index_;
  line entry{host_port + " " + fingerprint, host_port, fingerprint};
  if (auto i = index.find(host_port); i != index.end()) {
    lines[i->second] = std::move(entry);
  } else {
    index.emplace(host_port, lines.size());
    lines.push_back(std::move(entry));
  }
  std::string text;
  for (auto& x : lines)
    text += x.text + '\n';
  // Creates missing parent directories 0700 and the file 0600, atomically.
  if (auto err = write_private_file(path_, text, true))
    return err;
  lines_ = std::move(lines);
  index_ = std::move(index);
  return caf::none;
}

} // namespace net
