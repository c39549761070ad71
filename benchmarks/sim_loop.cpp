#include "benchmarks/sim_loop.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchmarks/bench_support.hpp"

namespace bench {

namespace {

net::tls_context make_client_context() {
  auto ctx = net::tls_context::client();
  if (!ctx)
    throw std::runtime_error("cannot create a TLS client context");
  return *ctx;
}

} // namespace

sim_loop::sim_loop(const std::string& host, uint16_t port,
                   std::string fingerprint)
    : tls_(make_client_context()),
      fingerprint_(std::move(fingerprint)),
      buf_(256 * 1024) {
  ep_ = ::epoll_create1(EPOLL_CLOEXEC);
  addr_.sin_family = AF_INET;
  addr_.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr_.sin_addr) != 1) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res)
      throw std::runtime_error("cannot resolve " + host);
    addr_.sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
    ::freeaddrinfo(res);
  }
}

sim_loop::~sim_loop() {
  ::close(ep_);
}

bool sim_loop::open(sim_client& c, client::client_events ev, net::identity id) {
  c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0)
    return false;
  int one = 1;
  ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  c.t_start = now_s();
  c.connected = c.closed = c.leaving = c.joined = c.converged = false;
  c.out.clear();
  c.out_off = 0;
  int rc = ::connect(c.fd, reinterpret_cast<sockaddr*>(&addr_), sizeof(addr_));
  if (rc != 0 && errno != EINPROGRESS) {
    ::close(c.fd);
    c.fd = -1;
    return false;
  }
  c.core.reset();
  c.frames.reset();
  if (c.kind == engine::frames)
    c.frames = std::make_unique<frame_client>(tls_, fingerprint_, std::move(id),
                                              std::move(ev), names_);
  else
    c.core = std::make_unique<client::client_core>(
        tls_, fingerprint_, std::move(id), nullptr, std::move(ev));
  c.with_engine([&](auto& e) {
    e.start();
    e.choose_name(c.name);
    e.take_output(c.out);
  });
  epoll_event e{};
  e.events = EPOLLIN | EPOLLOUT;
  e.data.ptr = &c;
  c.out_armed = true;
  ::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &e);
  ++open_;
  return true;
}

void sim_loop::update_interest(sim_client& c) {
  bool want = !c.connected || c.out_off < c.out.size();
  if (want == c.out_armed)
    return;
  epoll_event e{};
  e.events = EPOLLIN | (want ? EPOLLOUT : 0u);
  e.data.ptr = &c;
  ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &e);
  c.out_armed = want;
}

void sim_loop::flush(sim_client& c) {
  if (c.closed)
    return;
  if (c.has_engine())
    c.with_engine([&](auto& e) { e.take_output(c.out); });
  if (!c.connected)
    return;
  while (c.out_off < c.out.size()) {
    auto n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off,
                    MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN)
        break;
      return finish(c, std::string{"send: "} + std::strerror(errno), false);
    }
    c.out_off += static_cast<size_t>(n);
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
    if (c.leaving)
      ::shutdown(c.fd, SHUT_WR);
  }
  update_interest(c);
}

void sim_loop::leave(sim_client& c) {
  if (c.closed || c.leaving)
    return;
  c.leaving = true;
  c.with_engine([](auto& e) { e.quit(); });
  flush(c);
}

void sim_loop::drop(sim_client& c) {
  finish(c, "dropped", true);
}

void sim_loop::finish(sim_client& c, const std::string& why, bool expected) {
  if (c.closed)
    return;
  c.closed = true;
  ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
  ::close(c.fd);
  c.fd = -1;
  --open_;
  c.out.clear();
  c.out_off = 0;
  if (!expected && on_lost)
    on_lost(c, why);
}

void sim_loop::handle(sim_client& c, uint32_t events) {
  if (c.closed)
    return; // a stale event of this batch
  if (!c.connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0)
      return finish(c, std::string{"connect: "} + std::strerror(err), false);
    c.connected = true;
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    for (int i = 0; i < 4; ++i) {
      auto n = ::read(c.fd, buf_.data(), buf_.size());
      if (n > 0) {
        bytes_in_ += static_cast<uint64_t>(n);
        if (c.leaving)
          continue; // nothing more to learn; wait for EOF
        auto more = c.with_engine([&](auto& e) {
          return e.on_bytes(buf_.data(), static_cast<size_t>(n));
        });
        if (!more) {
          flush(c);
          return finish(c, "connection finished by the protocol", c.leaving);
        }
        if (static_cast<size_t>(n) < buf_.size())
          break;
        continue;
      }
      if (n == 0)
        return finish(c, "server closed the connection", c.leaving);
      if (errno == EAGAIN || errno == EINTR)
        break;
      return finish(c, std::string{"read: "} + std::strerror(errno), c.leaving);
    }
  }
  flush(c);
}

int sim_loop::poll(int timeout_ms) {
  epoll_event events[512];
  int n = ::epoll_wait(ep_, events, 512, timeout_ms);
  for (int i = 0; i < n; ++i)
    handle(*static_cast<sim_client*>(events[i].data.ptr), events[i].events);
  return n < 0 ? 0 : n;
}

} // namespace bench
