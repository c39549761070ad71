#include "net/tls_channel.hpp"

#include <algorithm>
#include <cstring>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/openssl_ptr.hpp"

namespace net {

namespace {

// SSL_get_error needs an empty error queue before each I/O call. Clearing
// it costs ~900 instructions (16 slots reset), 6 % of a relayed message;
// it is almost always empty already (errors are taken when they occur),
// and looking costs a few.
void ensure_no_openssl_errors() {
  if (ERR_peek_error() != 0)
    ERR_clear_error();
}

// Plaintext is encrypted in record-sized pieces.
constexpr size_t max_plain_chunk = 16384;

// Our own buffers are released when they grew past this after being
// drained, to keep an idle connection small.
constexpr size_t keep_capacity = 64 * 1024;

caf::error tls_error(std::string what) {
  return make_error(errc::tls, std::move(what));
}

void release_if_large(std::vector<char>& buf) {
  if (buf.capacity() > keep_capacity)
    std::vector<char>{}.swap(buf);
  else
    buf.clear();
}

void move_append(std::vector<char>& from, std::vector<char>& to) {
  if (to.empty() && from.capacity() <= keep_capacity * 4) {
    to.swap(from);
    from.clear();
    return;
  }
  to.insert(to.end(), from.begin(), from.end());
  release_if_large(from);
}

/// What the channel's BIO reads from and writes to: the caller's bytes
/// during `feed`, and the channel's outgoing ciphertext.
struct bio_buffers {
  const char* in = nullptr;
  size_t in_size = 0;
  std::vector<char>* out = nullptr;
};

int bio_write(BIO* bio, const char* data, size_t n, size_t* written) {
  auto* io = static_cast<bio_buffers*>(BIO_get_data(bio));
  io->out->insert(io->out->end(), data, data + n);
  *written = n;
  return 1;
}

int bio_read(BIO* bio, char* data, size_t n, size_t* read) {
  auto* io = static_cast<bio_buffers*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (io->in_size == 0) { // "wait for more", not end of stream
    BIO_set_retry_read(bio);
    *read = 0;
    return 0;
  }
  auto k = std::min(n, io->in_size);
  std::memcpy(data, io->in, k);
  io->in += k;
  io->in_size -= k;
  *read = k;
  return 1;
}

long bio_ctrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_PENDING:
    return static_cast<long>(
        static_cast<bio_buffers*>(BIO_get_data(bio))->in_size);
  default: // no EOF, nothing pending to write, no other feature
    return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// OpenSSL reads ciphertext straight from what `feed` was given and writes
// records straight into the channel's output. Memory BIOs kept their own
// copies in buffers that never shrink: up to a record or a burst of them
// per connection, idle or not (3 KiB on average at 5,000 clients).
BIO_METHOD* channel_bio_method() {
  static BIO_METHOD* method = [] {
    auto* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                           "chatroom channel");
    if (m) {
      BIO_meth_set_write_ex(m, bio_write);
      BIO_meth_set_read_ex(m, bio_read);
      BIO_meth_set_ctrl(m, bio_ctrl);
      BIO_meth_set_create(m, bio_create);
    }
    return m;
  }();
  return method;
}

} // namespace

// -- tls_channel::impl --------------------------------------------------------

struct tls_channel::impl {
  tls_context ctx;
  ssl_ptr ssl;
  bio_buffers io; // the BIO's view of our buffers (owned by ssl)
  bool is_server = false;
  bool started = false;
  bool done = false;
  bool closed = false;
  bool peer_closed = false;
  std::string pin;              // expected server fingerprint, may be empty
  std::string seen_fingerprint; // set by the verify callback
  bool pin_failed = false;
  std::string peer_fp;
  caf::error err;
  std::vector<char> pending_write; // plaintext written before the handshake
  std::vector<char> plain_in;      // decrypted, not yet read by the owner
  std::vector<char> cipher_out;    // to be sent to the network

  explicit impl(tls_context c) : ctx(std::move(c)) {
    // nop
  }

  static std::unique_ptr<impl> create(const tls_context& ctx, bool server,
                                      std::string pin) {
    auto x = std::make_unique<impl>(ctx);
    x->is_server = server;
    x->pin = std::move(pin);
    if (ctx.is_server() != server) {
      x->err = tls_error(server ? "a server channel needs a server context"
                                : "a client channel needs a client context");
      return x;
    }
    ERR_clear_error();
    x->ssl.reset(SSL_new(ctx.native_handle()));
    auto* method = channel_bio_method();
    auto* bio = method ? BIO_new(method) : nullptr;
    if (!x->ssl || !bio) {
      BIO_free(bio);
      x->err = tls_error("cannot create a TLS connection: " +
                         take_openssl_error("out of memory"));
      return x;
    }
    // Record buffers are freed whenever they are empty: an idle or
    // half-open connection then holds no 2 x 16 KiB of them.
    SSL_set_mode(x->ssl.get(), SSL_MODE_RELEASE_BUFFERS);
    x->io.out = &x->cipher_out;
    BIO_set_data(bio, &x->io);
    SSL_set_bio(x->ssl.get(), bio, bio); // one reference, read and write
    SSL_set_app_data(x->ssl.get(), x.get());
    if (server) {
      SSL_set_accept_state(x->ssl.get());
    } else {
      SSL_set_verify(x->ssl.get(), SSL_VERIFY_PEER, verify_cb);
      SSL_set_connect_state(x->ssl.get());
    }
    return x;
  }

  bool failed() const {
    return static_cast<bool>(err);
  }

  void fail(caf::error e) {
    if (!err)
      err = std::move(e);
    ERR_clear_error();
    // The alert OpenSSL wrote (if any) is in cipher_out: still worth sending.
    pending_write.clear();
  }

  void fail_from_ssl(int ret, const char* during) {
    auto code = SSL_get_error(ssl.get(), ret);
    if (pin_failed) {
      fail(make_error(errc::pin_mismatch,
                      "server certificate does not match the pinned one: "
                      "expected " +
                          pin + ", got " + seen_fingerprint));
      return;
    }
    std::string what = std::string{"TLS "} + during + " failed: ";
    if (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
      what += "unexpected end of stream";
    else
      what += take_openssl_error("protocol error");
    if (!is_server && done == false) {
      auto vr = SSL_get_verify_result(ssl.get());
      if (vr != X509_V_OK)
        what += std::string{" ("} + X509_verify_cert_error_string(vr) + ")";
    }
    fail(tls_error(std::move(what)));
  }

  // Verification of the server certificate: the chain is self-signed, so
  // OpenSSL reports errors that we override. OpenSSL calls this once per
  // certificate and again per error, so it only reads state and records the
  // same result each time.
  static int verify_cb(int, X509_STORE_CTX* store) {
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(
        store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* self = ssl ? static_cast<impl*>(SSL_get_app_data(ssl)) : nullptr;
    auto* leaf = X509_STORE_CTX_get0_cert(store);
    if (!self || !leaf)
      return 0;
    auto fp = certificate_fingerprint(leaf);
    if (fp.empty())
      return 0;
    self->seen_fingerprint = fp;
    // With no pin the owner decides after the handshake (trust on first
    // use). Either way the chain itself means nothing: the handshake's
    // CertificateVerify proves the server holds the leaf's key.
    if (self->pin.empty() || fingerprints_equal(fp, self->pin)) {
      X509_STORE_CTX_set_error(store, X509_V_OK);
      return 1;
    }
    self->pin_failed = true;
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }

  void on_handshake_done() {
    done = true;
    if (!is_server) {
      if (auto* cert = SSL_get0_peer_certificate(ssl.get()))
        peer_fp = certificate_fingerprint(cert);
      if (peer_fp.empty()) {
        fail(tls_error("server sent no usable certificate"));
        return;
      }
      // Defense in depth: the callback already enforced the pin.
      if (!pin.empty() && !fingerprints_equal(peer_fp, pin)) {
        pin_failed = true;
        seen_fingerprint = peer_fp;
        fail(make_error(errc::pin_mismatch,
                        "server certificate does not match the pinned one: "
                        "expected " +
                            pin + ", got " + peer_fp));
        return;
      }
    }
    if (!pending_write.empty()) {
      std::vector<char> buf;
      buf.swap(pending_write);
      encrypt(buf.data(), buf.size());
    }
  }

  // Runs the handshake or reads records, whatever the state calls for.
  void advance() {
    while (!failed() && !done) {
      ERR_clear_error();
      auto ret = SSL_do_handshake(ssl.get());
      if (ret == 1) {
        on_handshake_done();
        break;
      }
      auto code = SSL_get_error(ssl.get(), ret);
      if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE)
        return;
      fail_from_ssl(ret, "handshake");
      return;
    }
    if (failed() || peer_closed)
      return;
    char buf[max_plain_chunk];
    for (;;) {
      ensure_no_openssl_errors();
      auto ret = SSL_read(ssl.get(), buf, sizeof(buf));
      if (ret > 0) {
        plain_in.insert(plain_in.end(), buf, buf + ret);
        continue; // also drains what SSL_pending holds
      }
      auto code = SSL_get_error(ssl.get(), ret);
      if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE)
        return;
      if (code == SSL_ERROR_ZERO_RETURN) {
        peer_closed = true;
        return;
      }
      fail_from_ssl(ret, "read");
      return;
    }
  }

  bool encrypt(const char* data, size_t n) {
    while (n > 0 && !failed()) {
      auto chunk = std::min(n, max_plain_chunk);
      ensure_no_openssl_errors();
      auto ret = SSL_write(ssl.get(), data, static_cast<int>(chunk));
      if (ret <= 0) {
        fail_from_ssl(ret, "write");
        return false;
      }
      data += ret;
      n -= static_cast<size_t>(ret);
    }
    return !failed();
  }
};

// -- tls_channel --------------------------------------------------------------

tls_channel::tls_channel(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {
  // nop
}

tls_channel::tls_channel(tls_channel&&) noexcept = default;

tls_channel& tls_channel::operator=(tls_channel&&) noexcept = default;

tls_channel::~tls_channel() = default;

tls_channel tls_channel::server(const tls_context& ctx) {
  return tls_channel{impl::create(ctx, true, {})};
}

tls_channel tls_channel::client(const tls_context& ctx,
                                std::string expected_fingerprint) {
  return tls_channel{impl::create(ctx, false, std::move(expected_fingerprint))};
}

void tls_channel::start() {
  auto& x = *impl_;
  if (x.started || x.failed())
    return;
  x.started = true;
  if (!x.is_server)
    x.advance(); // queues the ClientHello
}

bool tls_channel::feed(const char* data, size_t n) {
  auto& x = *impl_;
  if (x.failed())
    return false;
  x.started = true;
  // OpenSSL reads the records from `data` until it needs more (a partial
  // record waits in its own buffer), a close_notify, or a failure; what
  // follows those is dropped.
  x.io.in = data;
  x.io.in_size = n;
  x.advance();
  x.io.in = nullptr;
  x.io.in_size = 0;
  return !x.failed();
}

void tls_channel::read_plaintext(std::vector<char>& out) {
  move_append(impl_->plain_in, out);
}

bool tls_channel::write(const char* data, size_t n) {
  auto& x = *impl_;
  if (x.failed() || x.closed)
    return false;
  if (!x.done) {
    x.pending_write.insert(x.pending_write.end(), data, data + n);
    return true;
  }
  return x.encrypt(data, n);
}

bool tls_channel::has_output() const {
  return !impl_->cipher_out.empty();
}

void tls_channel::take_output(std::vector<char>& out) {
  move_append(impl_->cipher_out, out);
}

bool tls_channel::handshake_done() const {
  return impl_->done && !impl_->failed();
}

bool tls_channel::failed() const {
  return impl_->failed();
}

caf::error tls_channel::error() const {
  return impl_->err;
}

std::string tls_channel::peer_fingerprint() const {
  return impl_->peer_fp;
}

result<bytes> tls_channel::export_keying_material(const std::string& label,
                                                  size_t len) const {
  auto& x = *impl_;
  if (!handshake_done())
    return tls_error("keying material needs a completed handshake");
  if (len == 0 || len > 1024)
    return tls_error("invalid keying material length");
  bytes out(len);
  ERR_clear_error();
  if (SSL_export_keying_material(x.ssl.get(), out.data(), len, label.data(),
                                 label.size(), nullptr, 0, 0) != 1)
    return tls_error("keying material export failed: " + take_openssl_error());
  return out;
}

void tls_channel::close() {
  auto& x = *impl_;
  if (x.closed)
    return;
  x.closed = true;
  x.pending_write.clear();
  // No SSL_shutdown after a fatal error or before the handshake is done.
  if (x.failed() || !x.done)
    return;
  ERR_clear_error();
  SSL_shutdown(x.ssl.get());
  ERR_clear_error();
}

bool tls_channel::peer_closed() const {
  return impl_->peer_closed;
}

size_t tls_channel::buffered() const {
  auto& x = *impl_;
  return x.pending_write.size() + x.plain_in.size() + x.cipher_out.size();
}

} // namespace net
