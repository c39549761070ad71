#pragma once

// The console's terminal, the only part of chat-client that touches stdin
// and stdout: output that keeps the prompt line intact while events arrive,
// and stdin read in chunks and cut into whole lines (never blocking on a
// partial one).

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace client {

/// Prints asynchronous events without garbling the prompt: on a terminal,
/// the prompt line is cleared and drawn again below the event.
class terminal {
public:
  terminal();

  /// Shows `p` and waits for the user's line.
  void prompt(std::string p);

  /// Something that happened meanwhile (a message, a join, an error).
  void event(const std::string& line);

  /// The user finished a line: the prompt is gone.
  void answered();

  /// An answer to what the user typed.
  void line(const std::string& text);

private:
  bool tty_;
  bool at_prompt_ = false;
  std::string prompt_;
};

/// Reads stdin in chunks and yields whole lines (no blocking on partial).
class line_reader {
public:
  /// The descriptor to poll.
  int fd() const;

  /// Reads what is there (after poll said so). False at EOF (after the
  /// last line was taken).
  bool fill();

  std::optional<std::string> next();

  bool eof() const {
    return eof_ && lines_.empty();
  }

  /// True when some line waiting to be taken satisfies `pred`.
  bool any_waiting(const std::function<bool(const std::string&)>& pred) const;

private:
  std::string pending_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

} // namespace client
