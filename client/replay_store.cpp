#include "client/replay_store.hpp"

#include <algorithm>
#include <map>

#include "client/trust_store.hpp"

namespace client {

namespace {

// A million senders' windows is far beyond any room; stops a huge read.
constexpr size_t max_journal_size = 256 * 1024 * 1024;
constexpr size_t min_window = 64;

[[nodiscard]] bool parse_counter(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 20)
    return false;
  uint64_t v = 0;
  for (auto c : s) {
    if (c < '0' || c > '9')
      return false;
    auto d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

} // namespace

replay_store::replay_store(size_t window)
    : window_(std::max(window, min_window)) {
  // nop
}

net::result<replay_store> replay_store::open(const std::string& path,
                                             size_t window) {
  replay_store out{window};
  if (path.empty())
    return out;
  std::vector<std::string> lines;
  bool tail = false;
  auto j = journal_file::open(path, max_journal_size, lines, &tail);
  if (!j)
    return std::move(j.error());
  out.journal_ = std::move(*j);
  out.persistent_ = true;
  size_t line_no = 0;
  for (auto& line : lines) {
    ++line_no;
    auto sp = line.rfind(' ');
    uint64_t counter = 0;
    if (sp == std::string::npos || sp == 0 ||
        !parse_counter(line.substr(sp + 1), counter)) {
      if (tail && line_no == lines.size())
        break; // torn by a crash mid-append: never confirmed
      return net::make_error(net::errc::config,
                             path + ":" + std::to_string(line_no) +
                                 ": expected '<sender> <counter>'");
    }
    out.apply(line.substr(0, sp), counter);
  }
  out.journal_lines_ = lines.size();
  out.compacted_lines_ = lines.size();
  if (out.journal_.needs_rewrite())
    if (auto err = out.compact())
      return err;
  return out;
}

bool replay_store::test(const sender_window& w, uint64_t counter) const {
  auto i = counter % window_;
  return (w.bits[i / 64] >> (i % 64)) & 1u;
}

void replay_store::set(sender_window& w, uint64_t counter, bool on) {
  auto i = counter % window_;
  auto mask = uint64_t{1} << (i % 64);
  if (on)
    w.bits[i / 64] |= mask;
  else
    w.bits[i / 64] &= ~mask;
}

void replay_store::apply(const std::string& sender, uint64_t counter) {
  auto [i, added] = senders_.try_emplace(sender);
  auto& w = i->second;
  if (added) {
    w.bits.assign((window_ + 63) / 64, 0);
    w.highest = counter;
    set(w, counter, true);
    return;
  }
  if (counter > w.highest) {
    if (counter - w.highest >= window_) {
      std::fill(w.bits.begin(), w.bits.end(), 0);
    } else {
      for (auto c = w.highest + 1; c < counter; ++c)
        set(w, c, false);
    }
    w.highest = counter;
    set(w, counter, true);
  } else if (w.highest - counter < window_) {
    set(w, counter, true);
  }
}

replay_store::verdict replay_store::check(const std::string& sender,
                                          uint64_t counter) const {
  auto i = senders_.find(sender);
  if (i == senders_.end() || counter > i->second.highest)
    return verdict::fresh;
  if (i->second.highest - counter >= window_)
    return verdict::too_old;
  return test(i->second, counter) ? verdict::duplicate : verdict::fresh;
}

size_t replay_store::live_entries() const {
  size_t n = 0;
  for (auto& kvp : senders_)
    for (auto word : kvp.second.bits)
      n += static_cast<size_t>(__builtin_popcountll(word));
  return n;
}

std::string replay_store::snapshot() const {
  std::map<std::string, const sender_window*> sorted;
  for (auto& kvp : senders_)
    sorted.emplace(kvp.first, &kvp.second);
  std::string out;
  for (auto& [name, w] : sorted) {
    auto lowest = w->highest >= window_ - 1 ? w->highest - (window_ - 1) : 0;
    for (auto c = lowest; c <= w->highest; ++c) {
      if (test(*w, c)) {
        out += name;
        out += ' ';
        out += std::to_string(c);
        out += '\n';
      }
      if (c == UINT64_MAX)
        break;
    }
  }
  return out;
}

caf::error replay_store::compact() {
  if (auto err = journal_.rewrite(snapshot()))
    return err;
  journal_lines_ = live_entries();
  compacted_lines_ = journal_lines_;
  return caf::none;
}

caf::error replay_store::accept(const std::string& sender, uint64_t counter) {
  // A name with a newline or space would forge journal lines.
  if (!is_valid_peer_name(sender))
    return net::make_error(net::errc::bad_name,
                           "not recording a replay counter for an invalid "
                           "sender name");
  apply(sender, counter);
  if (!persistent_)
    return caf::none;
  caf::error err;
  if (journal_.needs_rewrite()) {
    err = compact();
  } else {
    err = journal_.append(sender + ' ' + std::to_string(counter) + '\n');
    if (!err) {
      ++journal_lines_;
      if (journal_lines_ >= 2 * std::max(compacted_lines_, window_))
        err = compact();
    }
  }
  if (err)
    return net::make_error(net::errc::io,
                           "could not save the replay state (" +
                               net::describe(err) +
                               "): a replay of this message after a restart "
                               "would not be detected");
  return caf::none;
}

const char* to_string(replay_store::verdict x) {
  switch (x) {
  case replay_store::verdict::fresh:
    return "fresh";
  case replay_store::verdict::duplicate:
    return "duplicate";
  case replay_store::verdict::too_old:
    return "too_old";
  }
  return "unknown";
}

} // namespace client
