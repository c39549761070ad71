#include "net/certificate.hpp"

#include <cctype>
#include <cstddef>

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "net/openssl_ptr.hpp"
#include "net/secure_file.hpp"

namespace net {

namespace {

constexpr long validity_days = 3653; // 10 years including leap days

// Far more than one PEM certificate or key; stops us reading a huge file.
constexpr size_t max_pem_file = 1024 * 1024;

caf::error crypto_error(const std::string& what) {
  return make_error(errc::crypto, what + ": " + take_openssl_error());
}

// Never prompts for a passphrase: our key files are unencrypted, and a
// server must not block on a terminal.
int no_password(char*, int, int, void*) {
  return 0;
}

result<std::string> to_pem(X509* cert) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return crypto_error("cannot encode the certificate");
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

result<std::string> to_pem(EVP_PKEY* key) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0,
                                       nullptr, nullptr) != 1)
    return crypto_error("cannot encode the private key");
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio.get(), &data);
  std::string out(data, static_cast<size_t>(n));
  OPENSSL_cleanse(data, static_cast<size_t>(n));
  return out;
}

x509_ptr parse_cert(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio)
    return nullptr;
  return x509_ptr{PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr)};
}

evp_pkey_ptr parse_key(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio)
    return nullptr;
  return evp_pkey_ptr{
      PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr)};
}

caf::error add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  x509_ext_ptr ext{X509V3_EXT_conf_nid(nullptr, &ctx, nid, value)};
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return crypto_error("cannot add a certificate extension");
  return caf::none;
}

result<server_credentials> create_credentials() {
  evp_pkey_ptr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  if (!key)
    return crypto_error("cannot generate a P-256 key");
  x509_ptr cert{X509_new()};
  if (!cert)
    return crypto_error("cannot allocate a certificate");
  // A random positive 128-bit serial.
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1)
    return crypto_error("cannot draw a random serial number");
  serial[0] &= 0x7f;
  bignum_ptr bn{BN_bin2bn(serial, sizeof(serial), nullptr)};
  auto* name = X509_get_subject_name(cert.get());
  auto* cn = reinterpret_cast<const unsigned char*>("chatroom");
  if (!bn || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), validity_days, 0,
                        nullptr) ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) !=
          1 ||
      X509_set_issuer_name(cert.get(), name) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1)
    return crypto_error("cannot fill in the certificate");
  if (auto err =
          add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"))
    return err;
  if (auto err =
          add_extension(cert.get(), NID_key_usage, "critical,digitalSignature"))
    return err;
  if (auto err = add_extension(cert.get(), NID_ext_key_usage, "serverAuth"))
    return err;
  if (auto err = add_extension(cert.get(), NID_subject_key_identifier, "hash"))
    return err;
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0)
    return crypto_error("cannot sign the certificate");
  server_credentials out;
  auto cert_pem = to_pem(cert.get());
  if (!cert_pem)
    return cert_pem.error();
  auto key_pem = to_pem(key.get());
  if (!key_pem)
    return key_pem.error();
  out.cert_pem = std::move(*cert_pem);
  out.key_pem = std::move(*key_pem);
  out.fingerprint = certificate_fingerprint(cert.get());
  return out;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

result<server_credentials> load_credentials(const std::string& cert_path,
                                            const std::string& key_path) {
  // The certificate is public (0644 is fine); a swapped one would not match
  // the key. The key must be private: refused if group or others have any
  // access, with a "chmod 600" hint. The mode is checked on the opened file.
  auto cert_pem = read_private_file(cert_path, max_pem_file, 0);
  if (!cert_pem)
    return cert_pem.error();
  auto key_pem = read_private_file(key_path, max_pem_file, 077);
  if (!key_pem)
    return key_pem.error();
  auto cert = parse_cert(*cert_pem);
  ERR_clear_error();
  if (!cert)
    return make_error(errc::config, "cannot parse certificate " + cert_path +
                                        ": not a valid PEM certificate");
  auto key = parse_key(*key_pem);
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  ERR_clear_error();
  if (!key)
    return make_error(errc::config, "cannot parse private key " + key_path +
                                        ": not a valid unencrypted PEM key");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return make_error(errc::config, "private key " + key_path +
                                        " does not match certificate " +
                                        cert_path);
  }
  server_credentials out;
  auto cert_out = to_pem(cert.get());
  if (!cert_out)
    return cert_out.error();
  auto key_out = to_pem(key.get());
  if (!key_out)
    return key_out.error();
  out.cert_pem = std::move(*cert_out);
  out.key_pem = std::move(*key_out);
  out.fingerprint = certificate_fingerprint(cert.get());
  if (out.fingerprint.empty())
    return make_error(errc::config, "cannot encode certificate " + cert_path);
  return out;
}

} // namespace

result<server_credentials>
load_or_create_credentials(const std::string& data_dir, bool* created) {
  if (created)
    *created = false;
  auto dir = data_dir.empty() ? std::string{"."} : data_dir;
  auto cert_path = dir + "/server-cert.pem";
  auto key_path = dir + "/server-key.pem";
  auto have_cert = exists(cert_path);
  auto have_key = exists(key_path);
  if (have_cert && have_key)
    return load_credentials(cert_path, key_path);
  if (have_cert != have_key) {
    auto& present = have_cert ? cert_path : key_path;
    auto& missing = have_cert ? key_path : cert_path;
    return make_error(errc::config,
                      "found " + present + " but not " + missing +
                          ": restore it, or remove both to create new ones");
  }
  if (auto err = make_private_dirs(dir))
    return err;
  auto creds = create_credentials();
  if (!creds)
    return creds;
  // Neither write replaces an existing file.
  if (auto err = write_private_file(key_path, creds->key_pem, false))
    return err;
  if (auto err = write_private_file(cert_path, creds->cert_pem, false, nullptr,
                                    0644)) {
    ::unlink(key_path.c_str()); // never leave a lone key behind
    return err;
  }
  if (created)
    *created = true;
  return creds;
}

std::string certificate_fingerprint(X509* cert) {
  if (!cert)
    return {};
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  auto ok = EVP_Digest(der, static_cast<size_t>(len), md, &md_len, EVP_sha256(),
                       nullptr);
  OPENSSL_free(der);
  if (ok != 1) {
    ERR_clear_error();
    return {};
  }
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = "SHA256:";
  for (unsigned int i = 0; i < md_len; ++i) {
    if (i > 0)
      out += ':';
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0x0f];
  }
  return out;
}

result<std::string> fingerprint_of_pem(const std::string& pem) {
  auto cert = parse_cert(pem);
  ERR_clear_error();
  if (!cert)
    return make_error(errc::crypto, "not a valid PEM certificate");
  auto fp = certificate_fingerprint(cert.get());
  if (fp.empty())
    return make_error(errc::crypto, "cannot encode the certificate");
  return fp;
}

namespace {

constexpr size_t fingerprint_size = 7 + 32 * 3 - 1; // "SHA256:" + "AB:" * 32

} // namespace

bool is_fingerprint(const std::string& x) {
  if (x.size() != fingerprint_size || x.compare(0, 7, "SHA256:") != 0)
    return false;
  for (size_t i = 7; i < x.size(); ++i) {
    auto c = static_cast<unsigned char>(x[i]);
    if ((i - 7) % 3 == 2 ? c != ':' : !std::isxdigit(c))
      return false;
  }
  return true;
}

bool fingerprints_equal(const std::string& x, const std::string& y) {
  if (x.size() != y.size() || x.empty())
    return false;
  // Fold hex case first so the comparison itself is one CRYPTO_memcmp.
  auto fold = [](std::string s) {
    for (auto& c : s)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  auto a = fold(x);
  auto b = fold(y);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace net
