#pragma once

#include "config/client_options.hpp"

namespace client {

/// Runs the interactive console client: connects, joins, then serves the
/// numbered menu until the user quits (exit code 0) or the connection
/// fails (non-zero). Works the same with stdin as a pipe; EOF quits.
int run_console(const config::client_options& opts);

} // namespace client
