// Writes the seed corpora of the fuzz targets (run once; the output is
// committed under tests/fuzz/corpus/). Not a fuzz target: it lives in a
// subfolder so the CHATROOM_FUZZ glob does not pick it up. Build against a
// normal build tree, from the repository root:
//   g++ -std=c++17 -I. tests/fuzz/tools/make_seeds.cpp build/libchatroom_net.a
//       -lcaf_core -lssl -lcrypto -o /tmp/make_seeds && /tmp/make_seeds
//   tests/fuzz/corpus

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "net/crypto.hpp"
#include "net/envelope.hpp"
#include "net/frame.hpp"
#include "net/identity.hpp"
#include "net/messages.hpp"
#include "net/video_messages.hpp"
#include "tests/fuzz/fixed_keys.hpp"

namespace {

template <class Bytes>
void write(const std::string& path, const Bytes& xs) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out.write(reinterpret_cast<const char*>(xs.data()),
            static_cast<std::streamsize>(xs.size()));
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 1;
  }
  std::string root = argv[1];
  // The same fixed keys as tests/fuzz/fuzz_envelope.cpp.
  const auto& alice = fuzz_keys::alice();
  const auto& bob = fuzz_keys::bob();
  // -- frame decoder: single frames, and two frames in one stream ------------
  auto dir = root + "/fuzz_frame_decoder";
  std::filesystem::create_directories(dir);
  auto t = net::hello_transcript(net::protocol_version, "alice",
                                 alice.x25519_pub, alice.ed25519_pub, {});
  net::hello h{net::protocol_version, "alice", alice.x25519_pub,
               alice.ed25519_pub,
               *net::ed25519_sign(alice.ed25519_priv, t.data(), t.size())};
  write(dir + "/hello", net::encode_frame(h));
  write(dir + "/welcome",
        net::encode_frame(net::welcome{net::protocol_version, "alice", 131072}));
  write(dir + "/error", net::encode_frame(net::error_frame{15, 7, false, "x"}));
  net::directory d{false, {{"carol"}}, {{"alice", "alicia", "bob"}}};
  write(dir + "/directory", net::encode_frame(d));
  write(dir + "/keys_request",
        net::encode_frame(net::keys_request{{"alice", "bob"}}));
  net::peer_keys k{{{"alice", alice.x25519_pub, alice.ed25519_pub},
                    {"bob", bob.x25519_pub, bob.ed25519_pub}},
                   {"carol"}};
  write(dir + "/keys", net::encode_frame(k));
  std::vector<char> two;
  net::append_frame(two, net::send_message{3, "bob", {1, 2, 3}});
  net::append_frame(two, net::ping{42});
  write(dir + "/send_and_ping", two);
  write(dir + "/deliver", net::encode_frame(net::deliver{"alice", {9, 9}}));
  write(dir + "/quit", net::encode_frame(net::quit{}));
  net::video_info vi{"video_1", {240, 480}, 10000, 25000, 250};
  write(dir + "/video_list", net::encode_frame(net::video_list{{vi}}));
  write(dir + "/play_started",
        net::encode_frame(net::play_started{1, vi, "thirds"}));
  write(dir + "/video_frame",
        net::encode_frame(net::video_frame{1, 0, 2, 240, 80000, {0xff, 0xd8}}));
  write(dir + "/video_control",
        net::encode_frame(net::video_control{1, 1, 2, -5}));
  write(dir + "/video_end", net::encode_frame(net::video_end{1, 0, 9, "eof"}));
  // -- envelopes: alice to bob, both ciphers ---------------------------------
  dir = root + "/fuzz_envelope";
  std::filesystem::create_directories(dir);
  uint64_t counter = 1;
  for (auto cipher : {net::aead::aes256gcm, net::aead::chacha20poly1305}) {
    for (std::string text : {"", "hi bob"}) {
      auto env = net::seal_envelope(alice, "alice", "bob", bob.x25519_pub,
                                    counter, 1700000000000, text, cipher);
      if (!env)
        return 1;
      write(dir + "/envelope_" + std::to_string(counter++), *env);
    }
  }
  return 0;
}
