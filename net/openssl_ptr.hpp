#pragma once

// unique_ptr aliases that free OpenSSL objects with their own free function.

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace net {

template <class T, void (*Free)(T*)>
struct openssl_deleter {
  void operator()(T* x) const {
    Free(x);
  }
};

template <class T, void (*Free)(T*)>
using openssl_ptr = std::unique_ptr<T, openssl_deleter<T, Free>>;

using bio_ptr = openssl_ptr<BIO, BIO_free_all>;
using bignum_ptr = openssl_ptr<BIGNUM, BN_free>;
using evp_pkey_ptr = openssl_ptr<EVP_PKEY, EVP_PKEY_free>;
using ssl_ctx_ptr = openssl_ptr<SSL_CTX, SSL_CTX_free>;
using ssl_ptr = openssl_ptr<SSL, SSL_free>;
using x509_ptr = openssl_ptr<X509, X509_free>;
using x509_ext_ptr = openssl_ptr<X509_EXTENSION, X509_EXTENSION_free>;

/// The reason of the oldest queued OpenSSL error (and clears the queue), or
/// `fallback` if none is queued.
inline std::string take_openssl_error(const char* fallback = "unknown") {
  auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0)
    return fallback;
  if (auto reason = ERR_reason_error_string(code))
    return reason;
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

} // namespace net
