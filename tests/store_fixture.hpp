#pragma once

// Shared fixture of the suites for the client's file-backed stores
// (trust_store, known_servers): the store's file at a path below a fresh
// temporary directory, opened, read and written directly.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include <caf/test/unit_test.hpp>

#include "tests/temp_dir.hpp"

namespace test_support {

template <class Store>
struct store_fixture {
  temp_dir tmp;
  std::string dir = tmp.path();
  std::string path; ///< the store's file, `file` below `dir`

  explicit store_fixture(const std::string& file) : path(tmp / file) {
    CAF_REQUIRE(!dir.empty());
  }

  /// Opens the store at `path`; it must open.
  Store open() {
    auto r = Store::open(path);
    CAF_REQUIRE(r);
    return std::move(*r);
  }

  /// The file's bytes (empty if there is no file).
  std::string contents() const {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in},
            std::istreambuf_iterator<char>{}};
  }

  /// Replaces the file by `text`, creating its directories first.
  void write(const std::string& text) {
    std::filesystem::create_directories(
        std::filesystem::path{path}.parent_path());
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out << text;
  }
};

} // namespace test_support
