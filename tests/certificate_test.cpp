#define CAF_SUITE certificate
#include <caf/test/unit_test.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "net/certificate.hpp"
#include "net/openssl_ptr.hpp"
#include "tests/temp_dir.hpp"

// net/certificate.hpp: the server's self-signed identity, created once in
// the data directory and pinned by clients through its fingerprint.

using namespace net;

namespace {

using test_support::temp_dir;

mode_t mode_of(const std::string& path) {
  struct stat st;
  CAF_REQUIRE_EQUAL(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

void overwrite(const std::string& path, const std::string& data) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << data;
}

std::string read_all(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

struct fixture {
  temp_dir dir;
  std::string data = dir / "data";
  server_credentials creds;
  bool created = false;

  fixture() {
    auto c = load_or_create_credentials(data, &created);
    CAF_REQUIRE(c);
    creds = std::move(*c);
  }

  std::string key_path() const {
    return data + "/server-key.pem";
  }

  std::string cert_path() const {
    return data + "/server-cert.pem";
  }

  /// The error text of loading the data directory again, which must fail.
  std::string load_error() {
    auto res = load_or_create_credentials(data);
    CAF_REQUIRE(!res);
    auto text = describe(res.error());
    CAF_MESSAGE(text);
    return text;
  }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(certificate_tests, fixture)

CAF_TEST(a fingerprint is SHA256 and 32 uppercase hex bytes joined by colons) {
  auto& fp = creds.fingerprint;
  CAF_CHECK_EQUAL(fp.size(), 102u); // "SHA256:" + 32 * "AB:" - 1
  CAF_CHECK_EQUAL(fp.compare(0, 7, "SHA256:"), 0);
  for (size_t i = 7; i < fp.size(); ++i) {
    auto c = fp[i];
    if ((i - 7) % 3 == 2)
      CAF_CHECK_EQUAL(c, ':');
    else
      CAF_CHECK((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'));
  }
  CAF_CHECK(is_fingerprint(fp));
  // the same value from the PEM and from the parsed certificate
  auto from_pem = fingerprint_of_pem(creds.cert_pem);
  CAF_REQUIRE(from_pem);
  CAF_CHECK_EQUAL(*from_pem, fp);
  bio_ptr bio{BIO_new_mem_buf(creds.cert_pem.data(),
                              static_cast<int>(creds.cert_pem.size()))};
  x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
  CAF_REQUIRE(cert);
  CAF_CHECK_EQUAL(certificate_fingerprint(cert.get()), fp);
  CAF_CHECK_EQUAL(certificate_fingerprint(nullptr), "");
  CAF_CHECK(!fingerprint_of_pem("not a certificate"));
}

CAF_TEST(is_fingerprint refuses every other shape) {
  auto fp = creds.fingerprint;
  CAF_CHECK(!is_fingerprint(""));
  CAF_CHECK(!is_fingerprint("SHA256:AB"));
  CAF_CHECK(!is_fingerprint(fp.substr(0, fp.size() - 1)));
  CAF_CHECK(!is_fingerprint(fp + ":AB"));
  CAF_CHECK(!is_fingerprint("sha256:" + fp.substr(7)));
  auto no_colon = fp;
  no_colon[9] = '0';
  CAF_CHECK(!is_fingerprint(no_colon));
  auto not_hex = fp;
  not_hex[7] = 'G';
  CAF_CHECK(!is_fingerprint(not_hex));
}

CAF_TEST(fingerprints compare ignoring hex case) {
  std::string lower = creds.fingerprint;
  for (size_t i = 7; i < lower.size(); ++i)
    lower[i] = static_cast<char>(std::tolower(lower[i]));
  CAF_CHECK(fingerprints_equal(creds.fingerprint, lower));
  CAF_CHECK(is_fingerprint(lower));
  auto other = creds.fingerprint;
  other.back() = other.back() == 'A' ? 'B' : 'A';
  CAF_CHECK(!fingerprints_equal(creds.fingerprint, other));
  CAF_CHECK(!fingerprints_equal(creds.fingerprint, ""));
  CAF_CHECK(!fingerprints_equal("", ""));
}

CAF_TEST(credentials are created once with private modes and reloaded) {
  CAF_CHECK(created);
  CAF_CHECK_EQUAL(mode_of(data), 0700u);
  CAF_CHECK_EQUAL(mode_of(key_path()), 0600u);
  CAF_CHECK_EQUAL(mode_of(cert_path()) & 022, 0u);
  CAF_CHECK_EQUAL(read_all(cert_path()), creds.cert_pem);
  auto key_file = read_all(key_path());
  CAF_CHECK(contains(key_file, "PRIVATE KEY"));
  // a restart loads the same identity, the files untouched
  auto again = load_or_create_credentials(data, &created);
  CAF_REQUIRE(again);
  CAF_CHECK(!created);
  CAF_CHECK_EQUAL(again->fingerprint, creds.fingerprint);
  CAF_CHECK_EQUAL(again->cert_pem, creds.cert_pem);
  CAF_CHECK_EQUAL(read_all(key_path()), key_file);
  // another directory is another identity
  temp_dir other;
  auto fresh = load_or_create_credentials(other.path(), &created);
  CAF_REQUIRE(fresh);
  CAF_CHECK(created);
  CAF_CHECK(!fingerprints_equal(fresh->fingerprint, creds.fingerprint));
}

CAF_TEST(a corrupt key file gives an error naming it) {
  overwrite(key_path(), "-----BEGIN PRIVATE KEY-----\ngarbage\n");
  auto text = load_error();
  CAF_CHECK(contains(text, key_path()));
  CAF_CHECK_EQUAL(text.find('\n'), std::string::npos);
  // the corrupt file is left for the operator, not replaced
  CAF_CHECK_EQUAL(read_all(key_path()),
                  "-----BEGIN PRIVATE KEY-----\ngarbage\n");
}

CAF_TEST(a corrupt certificate file gives an error naming it) {
  overwrite(cert_path(), "not pem at all");
  CAF_CHECK(contains(load_error(), cert_path()));
}

CAF_TEST(a key that does not match the certificate is refused) {
  temp_dir other_dir;
  auto other = load_or_create_credentials(other_dir.path());
  CAF_REQUIRE(other);
  overwrite(key_path(), other->key_pem);
  auto res = load_or_create_credentials(data);
  CAF_REQUIRE(!res);
  CAF_CHECK(contains(describe(res.error()), "does not match"));
  CAF_CHECK_EQUAL(code_of(res.error()), errc::config);
}

CAF_TEST(a group readable key is refused with a chmod hint) {
  CAF_REQUIRE_EQUAL(::chmod(key_path().c_str(), 0640), 0);
  CAF_CHECK(contains(load_error(), "chmod 600 " + key_path()));
}

CAF_TEST(a lone certificate or key is an error) {
  CAF_REQUIRE_EQUAL(::unlink(key_path().c_str()), 0);
  CAF_CHECK(contains(load_error(), key_path()));
  CAF_CHECK(!std::filesystem::exists(key_path())); // nothing was created
  overwrite(key_path(), creds.key_pem);
  CAF_REQUIRE_EQUAL(::chmod(key_path().c_str(), 0600), 0);
  CAF_REQUIRE_EQUAL(::unlink(cert_path().c_str()), 0);
  CAF_CHECK(contains(load_error(), cert_path()));
  CAF_CHECK(!std::filesystem::exists(cert_path()));
}

CAF_TEST_FIXTURE_SCOPE_END()
