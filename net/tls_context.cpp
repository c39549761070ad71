// tls_context is declared in net/tls_channel.hpp next to the channels it
// makes; its setup lives here.

#include "net/tls_channel.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "net/openssl_ptr.hpp"

namespace net {

namespace {

caf::error tls_error(std::string what) {
  return make_error(errc::tls, std::move(what));
}

caf::error setup_common(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1)
    return tls_error("cannot require TLS 1.3: " + take_openssl_error());
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_TICKET);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  return caf::none;
}

// Never prompt on a terminal for a passphrase.
int no_password(char*, int, int, void*) {
  return 0;
}

} // namespace

tls_context::tls_context(std::shared_ptr<SSL_CTX> ctx, bool is_server)
    : ctx_(std::move(ctx)), is_server_(is_server) {
  // nop
}

result<tls_context> tls_context::server(const server_credentials& creds) {
  std::shared_ptr<SSL_CTX> ctx{SSL_CTX_new(TLS_server_method()), SSL_CTX_free};
  if (!ctx)
    return tls_error("cannot create a TLS context: " + take_openssl_error());
  if (auto err = setup_common(ctx.get()))
    return err;
  // No tickets: nothing resumes, and a client would otherwise see a ticket
  // arrive after the handshake as a spurious WANT_READ.
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  bio_ptr cert_bio{BIO_new_mem_buf(creds.cert_pem.data(),
                                   static_cast<int>(creds.cert_pem.size()))};
  bio_ptr key_bio{BIO_new_mem_buf(creds.key_pem.data(),
                                  static_cast<int>(creds.key_pem.size()))};
  if (!cert_bio || !key_bio)
    return tls_error("out of memory");
  x509_ptr cert{
      PEM_read_bio_X509(cert_bio.get(), nullptr, no_password, nullptr)};
  evp_pkey_ptr key{
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_password, nullptr)};
  if (!cert || !key)
    return make_error(errc::config, "invalid server certificate or key: " +
                                        take_openssl_error());
  if (SSL_CTX_use_certificate(ctx.get(), cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1)
    return make_error(errc::config, "server key does not fit certificate: " +
                                        take_openssl_error());
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  return tls_context{std::move(ctx), true};
}

result<tls_context> tls_context::client() {
  std::shared_ptr<SSL_CTX> ctx{SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
  if (!ctx)
    return tls_error("cannot create a TLS context: " + take_openssl_error());
  if (auto err = setup_common(ctx.get()))
    return err;
  return tls_context{std::move(ctx), false};
}

} // namespace net
