#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace test_support {

/// A fresh directory under $TMPDIR (mkdtemp), removed with its contents.
class temp_dir {
public:
  temp_dir() {
    auto base = std::filesystem::temp_directory_path() / "chatroom-XXXXXX";
    std::string tmpl = base.string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) != nullptr)
      path_ = buf.data();
  }

  ~temp_dir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const {
    return path_;
  }

  std::string operator/(const std::string& name) const {
    return (std::filesystem::path{path_} / name).string();
  }

private:
  std::string path_;
};

} // namespace test_support
