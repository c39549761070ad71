#pragma once

// The server's TLS identity: a self-signed ECDSA P-256 certificate created
// on first start and kept in the data directory. Clients pin it by its
// SHA-256 fingerprint (trust on first use), so no CA is involved.

#include <string>

#include <openssl/types.h>

#include "net/error.hpp"

namespace net {

/// The server certificate and key in PEM form, plus the cert fingerprint.
struct server_credentials {
  std::string cert_pem;
  std::string key_pem;
  std::string fingerprint; ///< "SHA256:AB:CD:..." of the certificate
};

/// Loads `<data_dir>/server-cert.pem` and `<data_dir>/server-key.pem`, or
/// creates both if neither exists; `*created` tells which happened.
[[nodiscard]] result<server_credentials>
load_or_create_credentials(const std::string& data_dir,
                           bool* created = nullptr);

/// "SHA256:" + 32 uppercase hex bytes joined by ':' over the DER of `cert`;
/// empty if the certificate cannot be encoded.
[[nodiscard]] std::string certificate_fingerprint(X509* cert);

/// The fingerprint of the first certificate in `pem`.
[[nodiscard]] result<std::string> fingerprint_of_pem(const std::string& pem);

/// Whether `x` has the shape of a fingerprint made by this module (hex
/// digits in either case).
[[nodiscard]] bool is_fingerprint(const std::string& x);

/// Constant-time comparison of two fingerprints, ignoring hex case.
[[nodiscard]] bool fingerprints_equal(const std::string& x,
                                      const std::string& y);

} // namespace net
