#include "client/terminal.hpp"

#include <cerrno>
#include <iostream>
#include <unistd.h>

namespace client {

terminal::terminal() : tty_(::isatty(STDOUT_FILENO) && ::isatty(STDIN_FILENO)) {
  // nop
}

void terminal::prompt(std::string p) {
  prompt_ = std::move(p);
  std::cout << prompt_ << std::flush;
  at_prompt_ = true;
}

void terminal::event(const std::string& line) {
  // A terminal gets the prompt redrawn below the event; a pipe gets each
  // prompt once, so scripted output stays readable.
  if (at_prompt_)
    std::cout << (tty_ ? "\r\033[K" : "\n");
  std::cout << line << '\n';
  if (at_prompt_ && tty_)
    std::cout << prompt_;
  else
    at_prompt_ = false;
  std::cout << std::flush;
}

void terminal::answered() {
  at_prompt_ = false;
}

void terminal::line(const std::string& text) {
  std::cout << text << '\n' << std::flush;
}

int line_reader::fd() const {
  return STDIN_FILENO;
}

bool line_reader::fill() {
  char buf[65536];
  auto n = ::read(STDIN_FILENO, buf, sizeof(buf));
  if (n < 0 && errno == EINTR)
    return true;
  if (n <= 0) {
    eof_ = true;
    if (!pending_.empty()) {
      lines_.push_back(std::move(pending_));
      pending_.clear();
    }
    return false;
  }
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] == '\n') {
      lines_.push_back(std::move(pending_));
      pending_.clear();
    } else {
      pending_ += buf[i];
    }
  }
  return true;
}

std::optional<std::string> line_reader::next() {
  if (lines_.empty())
    return std::nullopt;
  auto l = std::move(lines_.front());
  lines_.erase(lines_.begin());
  return l;
}

bool line_reader::any_waiting(
    const std::function<bool(const std::string&)>& pred) const {
  for (auto& l : lines_)
    if (pred(l))
      return true;
  return false;
}

} // namespace client
