#include "net/tls_channel.hpp"

#include <algorithm>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/openssl_ptr.hpp"

namespace net {

namespace {

// Ciphertext is handed to OpenSSL at most one maximal TLS record at a time,
// and plaintext is encrypted in record-sized pieces, so the memory BIOs
// (whose buffers never shrink) stay around one record each however much a
// caller passes in at once.
constexpr size_t max_record = 16384 + 256 + 5;
constexpr size_t max_plain_chunk = 16384;

// Our own buffers are released when they grew past this after being
// drained, to keep an idle connection small.
constexpr size_t keep_capacity = 64 * 1024;

// Memory BIOs holding a buffer larger than this are replaced once empty.
constexpr size_t keep_bio = 4096;

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

} // namespace

// -- tls_channel::impl --------------------------------------------------------

struct tls_channel::impl {
  tls_context ctx;
  ssl_ptr ssl;
  BIO* rbio = nullptr; // owned by ssl
  BIO* wbio = nullptr; // owned by ssl
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
    auto* rbio = BIO_new(BIO_s_mem());
    auto* wbio = BIO_new(BIO_s_mem());
    if (!x->ssl || !rbio || !wbio) {
      BIO_free(rbio);
      BIO_free(wbio);
      x->err = tls_error("cannot create a TLS connection: " +
                         take_openssl_error("out of memory"));
      return x;
    }
    // Record buffers are freed whenever they are empty: an idle or
    // half-open connection then holds no 2 x 16 KiB of them.
    SSL_set_mode(x->ssl.get(), SSL_MODE_RELEASE_BUFFERS);
    // An empty read BIO means "wait for more", not end of stream.
    BIO_set_mem_eof_return(rbio, -1);
    SSL_set_bio(x->ssl.get(), rbio, wbio);
    x->rbio = rbio;
    x->wbio = wbio;
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
    // The alert OpenSSL queued (if any) is still worth sending.
    drain_wbio();
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

  void drain_wbio() {
    if (!wbio)
      return;
    auto n = BIO_ctrl_pending(wbio);
    if (n == 0)
      return;
    auto old = cipher_out.size();
    cipher_out.resize(old + n);
    auto got = BIO_read(wbio, cipher_out.data() + old, static_cast<int>(n));
    cipher_out.resize(old + static_cast<size_t>(std::max(got, 0)));
  }

  // Memory BIO buffers only ever grow; once one is empty but holds a large
  // buffer, a fresh BIO takes its place so an idle connection stays small.
  void shrink_bios() {
    if (!ssl || failed())
      return;
    auto large = [](BIO* bio) {
      BUF_MEM* mem = nullptr;
      BIO_get_mem_ptr(bio, &mem);
      return BIO_ctrl_pending(bio) == 0 && mem && mem->max > keep_bio;
    };
    if (large(rbio)) {
      if (auto* fresh = BIO_new(BIO_s_mem())) {
        BIO_set_mem_eof_return(fresh, -1);
        SSL_set0_rbio(ssl.get(), fresh); // frees the old one
        rbio = fresh;
      }
    }
    if (large(wbio)) {
      if (auto* fresh = BIO_new(BIO_s_mem())) {
        SSL_set0_wbio(ssl.get(), fresh);
        wbio = fresh;
      }
    }
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
      drain_wbio();
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
      ERR_clear_error();
      auto ret = SSL_read(ssl.get(), buf, sizeof(buf));
      if (ret > 0) {
        plain_in.insert(plain_in.end(), buf, buf + ret);
        continue; // also drains what SSL_pending holds
      }
      drain_wbio(); // KeyUpdate replies and alerts
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
      ERR_clear_error();
      auto ret = SSL_write(ssl.get(), data, static_cast<int>(chunk));
      drain_wbio();
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
  // Hand over at most one record at a time and process it, so the read BIO
  // never buffers more than about a record.
  do {
    auto chunk = std::min(n, max_record);
    if (chunk > 0 && BIO_write(x.rbio, data, static_cast<int>(chunk)) !=
                         static_cast<int>(chunk)) {
      x.fail(tls_error("out of memory buffering TLS input"));
      return false;
    }
    data += chunk;
    n -= chunk;
    x.advance();
  } while (n > 0 && !x.failed());
  x.shrink_bios();
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
  auto ok = x.encrypt(data, n);
  x.shrink_bios();
  return ok;
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
  x.drain_wbio();
}

bool tls_channel::peer_closed() const {
  return impl_->peer_closed;
}

size_t tls_channel::buffered() const {
  auto& x = *impl_;
  return x.pending_write.size() + x.plain_in.size() + x.cipher_out.size();
}

} // namespace net
