#define CAF_SUITE error
#include <caf/test/unit_test.hpp>

#include <string>

#include <caf/sec.hpp>

#include "net/error.hpp"

using namespace net;

CAF_TEST(an error keeps its code and its text) {
  auto err = make_error(errc::name_taken, "the name 'alice' is online");
  CAF_CHECK_EQUAL(code_of(err), errc::name_taken);
  CAF_CHECK_EQUAL(describe(err), "the name 'alice' is online");
  CAF_CHECK_EQUAL(err.category(), error_category);
}

CAF_TEST(every code has a distinct stable name) {
  CAF_CHECK_EQUAL(std::string{to_string(errc::ok)}, "ok");
  CAF_CHECK_EQUAL(std::string{to_string(errc::recipient_busy)},
                  "recipient_busy");
  CAF_CHECK_EQUAL(static_cast<int>(errc::recipient_busy), 21);
  for (int i = 0; i <= 21; ++i)
    for (int j = i + 1; j <= 21; ++j)
      CAF_CHECK_NOT_EQUAL(std::string{to_string(static_cast<errc>(i))},
                          std::string{to_string(static_cast<errc>(j))});
  CAF_CHECK_EQUAL(std::string{to_string(static_cast<errc>(200))}, "unknown");
}

CAF_TEST(foreign errors read as protocol errors with the text of CAF) {
  caf::error sys_err = caf::sec::request_timeout;
  CAF_CHECK_EQUAL(code_of(sys_err), errc::protocol);
  CAF_CHECK_EQUAL(describe(sys_err), "request_timeout");
  CAF_CHECK_EQUAL(describe(caf::error{}), "no error");
}
