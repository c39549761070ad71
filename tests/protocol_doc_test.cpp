#define CAF_SUITE protocol_doc
#include <caf/test/unit_test.hpp>

#include <cctype>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "net/certificate.hpp"
#include "net/envelope.hpp"
#include "net/error.hpp"
#include "net/frame.hpp"
#include "net/identity.hpp"
#include "net/messages.hpp"
#include "net/video_messages.hpp"
#include "tests/temp_dir.hpp"

// docs/protocol.md is what an independent client is written from: its
// worked examples, frame type table and error code table are checked here
// against net/, so the document cannot drift from the code unnoticed.

using namespace net;

namespace {

std::string read_doc() {
  auto path = std::string{CHATROOM_SOURCE_DIR} + "/docs/protocol.md";
  std::ifstream in{path};
  CAF_REQUIRE(in.good());
  return {std::istreambuf_iterator<char>{in}, {}};
}

/// The text of `doc` from the heading `title` to the next heading of the
/// same or a higher level.
std::string section(const std::string& doc, const std::string& title) {
  auto start = doc.find("\n" + title + "\n");
  CAF_REQUIRE(start != std::string::npos);
  auto level = title.substr(0, title.find(' ') + 1); // "## " or "### "
  auto end = doc.find("\n" + level, start + 1);
  if (level == "### ") // a "## " ends it too
    end = std::min(end, doc.find("\n## ", start + 1));
  return doc.substr(start, end == std::string::npos ? end : end - start);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line))
    out.push_back(line);
  return out;
}

/// Splits a table row "| a | b |" into its trimmed cells.
std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::string cell;
  for (size_t i = 1; i < row.size(); ++i) {
    if (row[i] == '|') {
      auto b = cell.find_first_not_of(' ');
      auto e = cell.find_last_not_of(' ');
      out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  return out;
}

/// The text between the first pair of backticks in `x`.
std::string code_span(const std::string& x) {
  auto b = x.find('`');
  auto e = x.find('`', b + 1);
  if (b == std::string::npos || e == std::string::npos)
    return {};
  return x.substr(b + 1, e - b - 1);
}

struct example {
  std::string label;
  std::vector<char> bytes;
};

/// Parses one hex token: "NN" or "NN×K" (K bytes of value NN).
bool parse_token(const std::string& tok, std::vector<char>& out) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); };
  if (tok.size() < 2 || !hex(tok[0]) || !hex(tok[1]))
    return false;
  auto value = static_cast<char>(std::stoul(tok.substr(0, 2), nullptr, 16));
  if (tok.size() == 2) {
    out.push_back(value);
    return true;
  }
  const std::string times = "\xC3\x97"; // U+00D7
  if (tok.compare(2, times.size(), times) != 0)
    return false;
  auto count = tok.substr(2 + times.size());
  if (count.empty() || count.size() > 4 ||
      count.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out.insert(out.end(), std::stoul(count), value);
  return true;
}

/// The examples of the first code block under "### Worked examples": a
/// label line, then indented lines of hex bytes; ";" starts a comment.
std::vector<example> worked_examples(const std::string& doc) {
  auto text = section(doc, "### Worked examples");
  auto open = text.find("\n```\n");
  CAF_REQUIRE(open != std::string::npos);
  auto close = text.find("\n```", open + 4);
  CAF_REQUIRE(close != std::string::npos);
  std::vector<example> out;
  for (auto& line : lines_of(text.substr(open + 5, close - open - 4))) {
    if (line.empty())
      continue;
    if (line[0] != ' ') {
      out.push_back({line, {}});
      continue;
    }
    CAF_REQUIRE(!out.empty());
    auto bytes = line.substr(0, line.find(';'));
    std::istringstream tokens{bytes};
    std::string tok;
    while (tokens >> tok)
      if (!parse_token(tok, out.back().bytes))
        CAF_FAIL("bad hex token '" << tok << "' in: " << line);
  }
  return out;
}

/// The one frame in `bytes`, decoded as T, must equal `expected` and
/// re-encode to exactly `bytes`.
template <class T>
void check_frame(const std::string& label, const std::vector<char>& bytes,
                 const T& expected) {
  CAF_MESSAGE(label);
  frame_decoder d{64 << 20};
  CAF_REQUIRE(d.feed(bytes.data(), bytes.size()));
  auto f = d.next();
  CAF_REQUIRE(f);
  CAF_CHECK(!d.next());
  CAF_CHECK_EQUAL(d.buffered(), 0u);
  CAF_CHECK_EQUAL(static_cast<int>(f->type), static_cast<int>(T::wire_type));
  auto x = decode_payload<T>(*f);
  CAF_REQUIRE(x);
  CAF_CHECK(*x == expected);
  CAF_CHECK(encode_frame(*x) == bytes);
}

bytes fill(size_t n, uint8_t value) {
  return bytes(n, value);
}

using checker = std::function<void(const std::string&, const example&)>;

template <class T>
checker frame_is(T expected) {
  return [expected](const std::string& label, const example& ex) {
    check_frame(label, ex.bytes, expected);
  };
}

video_info sample_info() {
  return {"video_1", {240, 480}, 10000, 25000, 250, ""};
}

/// What each labelled example must decode to.
std::map<std::string, checker> expected_examples() {
  std::map<std::string, checker> m;
  auto k1 = fill(32, 0x11);
  auto k2 = fill(32, 0x22);
  bytes env{0xde, 0xad, 0xbe, 0xef};
  m["HELLO{version=4, name=\"bob\", x25519_key=11\xC3\x97" "32, ed25519_key="
    "22\xC3\x97" "32, proof=44\xC3\x97" "64}"] =
      frame_is(hello{4, "bob", k1, k2, fill(64, 0x44)});
  m["SEND{id=1, to=\"bob\", envelope=de ad be ef}"] =
      frame_is(send_message{1, "bob", env});
  m["QUIT"] = frame_is(quit{});
  m["PING{nonce=1}"] = frame_is(ping{1});
  m["KEYS_REQUEST{names=[\"al\"]}"] = frame_is(keys_request{{"al"}});
  m["WELCOME{version=4, name=\"bob\", max_frame_size=131072}"] =
      frame_is(welcome{4, "bob", 131072});
  m["ERROR{code=8, ref=0, fatal=0, text=\"taken\"}"] = frame_is(error_frame{
      static_cast<uint8_t>(errc::name_taken), 0, false, "taken"});
  m["ERROR{code=21, ref=7, fatal=0, text=\"busy\"}"] = frame_is(error_frame{
      static_cast<uint8_t>(errc::recipient_busy), 7, false, "busy"});
  m["DIRECTORY{snapshot=1, left=[], joined=[\"al\",\"alice\",\"bob\"]}"] =
      frame_is(directory{true, {}, {{"al", "alice", "bob"}}});
  m["DIRECTORY{snapshot=0, left=[\"al\"], joined=[]}"] =
      frame_is(directory{false, {{"al"}}, {}});
  m["DELIVER{from=\"al\", envelope=de ad be ef}"] =
      frame_is(deliver{"al", env});
  m["PONG{nonce=1}"] = frame_is(pong{1});
  m["KEYS{peers=[{name=\"al\", x25519_key=11\xC3\x97" "32, ed25519_key="
    "22\xC3\x97" "32}], unknown=[\"bob\"]}"] =
      frame_is(peer_keys{{peer_info{"al", k1, k2}}, {"bob"}});
  m["VIDEO_LIST_REQUEST"] = frame_is(video_list_request{});
  m["VIDEO_LIST{videos=[{id=\"video_1\", heights=[240,480], "
    "duration_ms=10000, fps_milli=25000, frames=250, problem=\"\"}]}"] =
      frame_is(video_list{{sample_info()}});
  m["PLAY{video=\"1\", policy=\"\", buffer_target_ms=0}"] =
      frame_is(play_request{"1", "", 0});
  m["PLAY{video=\"video_1\", policy=\"fixed:480\", buffer_target_ms=2000}"] =
      frame_is(play_request{"video_1", "fixed:480", 2000});
  m["PLAY_STARTED{stream_id=7, info={id=\"video_1\", heights=[240,480], "
    "duration_ms=10000, fps_milli=25000, frames=250, problem=\"\"}, policy=\"adaptive\"}"] =
      frame_is(play_started{7, sample_info(), "adaptive"});
  m["VIDEO_FRAME{stream_id=7, segment=1, index=25, height=240, "
    "pts_us=1000000, jpeg=ff d8 ff d9}"] = [](const std::string& label,
                                             const example& ex) {
    video_frame f{7, 1, 25, 240, 1000000, {0xff, 0xd8, 0xff, 0xd9}};
    check_frame(label, ex.bytes, f);
    // The documented pts rule, and the server's copy-free writer.
    CAF_CHECK_EQUAL(pts_of(25000, 25), 1000000u);
    std::vector<char> out;
    const char jpeg[] = {'\xff', '\xd8', '\xff', '\xd9'};
    append_video_frame(out, 7, 1, 25, 240, 1000000, jpeg, sizeof(jpeg));
    CAF_CHECK(out == ex.bytes);
  };
  m["VIDEO_ACK{stream_id=7, segment=1, index=25, buffer_ms=1000, "
    "throughput_kbps=5000}"] = frame_is(video_ack{7, 1, 25, 1000, 5000});
  m["VIDEO_CONTROL{stream_id=7, segment=1, op=4, arg_ms=-1}"] =
      [](const std::string& label, const example& ex) {
        check_frame(label, ex.bytes,
                    video_control{7, 1,
                                  static_cast<uint8_t>(video_op::seek_absolute),
                                  -1});
        CAF_CHECK_EQUAL(frame_at_ms(25000, -1), 0u); // "lands on 0"
      };
  m["VIDEO_END{stream_id=7, reason=0, frames_sent=250, text=\"\"}"] =
      frame_is(video_end{7, static_cast<uint8_t>(end_reason::finished), 250,
                         ""});
  m["PLAY_WAITING{stream_id=7, video=\"video_3\", done_permille=370, "
    "remaining_ms=75000}"] = frame_is(play_waiting{7, "video_3", 370, 75000});
  m["hello_transcript(version=4, name=\"bob\", x25519_key=11\xC3\x97"
    "32, ed25519_key=22\xC3\x97" "32, binding=33\xC3\x97" "32)"] =
      [](const std::string& label, const example& ex) {
        CAF_MESSAGE(label);
        auto t = hello_transcript(4, "bob", fill(32, 0x11), fill(32, 0x22),
                                  fill(32, 0x33));
        CAF_CHECK_EQUAL(t.size(), 138u); // as section 5 says
        CAF_CHECK(t == ex.bytes);
      };
  return m;
}

/// Every frame struct: name as the frame type table spells it, wire type.
std::map<std::string, uint8_t> frame_structs() {
  return {
      {"hello", hello::wire_type},
      {"send_message", send_message::wire_type},
      {"quit", quit::wire_type},
      {"ping", ping::wire_type},
      {"keys_request", keys_request::wire_type},
      {"welcome", welcome::wire_type},
      {"error_frame", error_frame::wire_type},
      {"directory", directory::wire_type},
      {"deliver", deliver::wire_type},
      {"pong", pong::wire_type},
      {"peer_keys", peer_keys::wire_type},
      {"video_list_request", video_list_request::wire_type},
      {"play_request", play_request::wire_type},
      {"video_ack", video_ack::wire_type},
      {"video_control", video_control::wire_type},
      {"video_list", video_list::wire_type},
      {"play_started", play_started::wire_type},
      {"video_frame", video_frame::wire_type},
      {"video_end", video_end::wire_type},
      {"play_waiting", play_waiting::wire_type},
  };
}

} // namespace

CAF_TEST(every worked example decodes to its label and re-encodes exactly) {
  auto examples = worked_examples(read_doc());
  auto expected = expected_examples();
  CAF_CHECK_EQUAL(examples.size(), expected.size());
  std::set<std::string> seen;
  std::set<int> types;
  for (auto& ex : examples) {
    CAF_CHECK(seen.insert(ex.label).second); // no label twice
    auto i = expected.find(ex.label);
    if (i == expected.end()) {
      CAF_FAIL("example not checked by this suite: " << ex.label);
      continue;
    }
    CAF_REQUIRE(!ex.bytes.empty());
    i->second(ex.label, ex);
    if (ex.label.rfind("hello_transcript", 0) != 0)
      types.insert(static_cast<uint8_t>(ex.bytes[4]));
  }
  for (auto& [label, check] : expected)
    if (seen.count(label) == 0)
      CAF_FAIL("example missing from docs/protocol.md: " << label);
  // One example of every frame type.
  CAF_CHECK_EQUAL(types.size(), frame_structs().size());
}

CAF_TEST(the frame type table matches the wire types) {
  auto text = section(read_doc(), "## 4. Frame types");
  auto structs = frame_structs();
  std::set<std::string> listed;
  for (auto& line : lines_of(text)) {
    if (line.rfind("| `", 0) != 0)
      continue;
    auto row = cells(line);
    CAF_REQUIRE_GREATER_OR_EQUAL(row.size(), 4u);
    auto type = code_span(row[0]);
    auto name = code_span(row[2]);
    if (type.size() != 2) // the embedded-struct table
      continue;
    auto i = structs.find(name);
    if (i == structs.end()) {
      CAF_FAIL("frame type table lists an unknown struct: " << line);
      continue;
    }
    CAF_CHECK_EQUAL(std::stoul(type, nullptr, 16), i->second);
    // High bit set: server to client.
    CAF_CHECK_EQUAL(row[1], (i->second & 0x80) != 0 ? "S→C" : "C→S");
    listed.insert(name);
  }
  CAF_CHECK_EQUAL(listed.size(), structs.size());
}

CAF_TEST(the error code table matches net errc) {
  auto text = section(read_doc(), "## Appendix A: error codes");
  int next = 0;
  for (auto& line : lines_of(text)) {
    auto row = cells(line);
    if (row.size() < 3 || row[0].empty() ||
        row[0].find_first_not_of("0123456789") != std::string::npos)
      continue;
    auto value = std::stoi(row[0]);
    CAF_CHECK_EQUAL(value, next); // in order, none left out
    next = value + 1;
    CAF_CHECK_EQUAL(code_span(row[1]),
                    to_string(static_cast<errc>(value)));
  }
  CAF_CHECK_EQUAL(next, static_cast<int>(errc::recipient_busy) + 1);
  // Nothing after the last documented code: a new enumerator gets a name
  // in to_string (the switch covers the enum) and must be documented.
  CAF_CHECK_EQUAL(std::string{to_string(static_cast<errc>(next))}, "unknown");
}

CAF_TEST(the fingerprint has the documented shape) {
  auto doc = read_doc();
  test_support::temp_dir dir;
  auto creds = load_or_create_credentials(dir / "server");
  CAF_REQUIRE(creds);
  auto& fp = creds->fingerprint;
  CAF_CHECK(doc.find("**" + std::to_string(fp.size()) + " characters**") !=
            std::string::npos);
  CAF_CHECK_EQUAL(fp.size(), 102u);
  CAF_CHECK_EQUAL(fp.compare(0, 7, "SHA256:"), 0);
  CAF_CHECK(is_fingerprint(fp));
  for (size_t i = 7; i < fp.size(); ++i)
    if ((i - 7) % 3 == 2)
      CAF_CHECK_EQUAL(fp[i], ':');
    else
      CAF_CHECK(std::isdigit(static_cast<unsigned char>(fp[i])) ||
                (fp[i] >= 'A' && fp[i] <= 'F'));
  // Hex case does not matter when comparing.
  auto lower = fp;
  for (size_t i = 7; i < lower.size(); ++i)
    lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i])));
  CAF_CHECK(is_fingerprint(lower));
  CAF_CHECK(fingerprints_equal(fp, lower));
}

CAF_TEST(the envelope and SEND sizes follow the documented formulas) {
  auto doc = read_doc();
  CAF_CHECK(doc.find("`238 + len(sender) + len(recipient) + len(plaintext)`") !=
            std::string::npos);
  CAF_CHECK(doc.find("`251 + len(sender) + 2·len(to) + len(plaintext)`") !=
            std::string::npos);
  auto alice = identity::generate();
  auto bob = identity::generate();
  std::string sender = "alice", to = "bob", text = "hello, bob";
  auto env = seal_envelope(alice, sender, to, bob.x25519_pub, 1, 2, text);
  CAF_REQUIRE(env);
  CAF_CHECK_EQUAL(env->size(),
                  238 + sender.size() + to.size() + text.size());
  auto frame = encode_frame(send_message{1, to, *env});
  CAF_CHECK_EQUAL(frame.size() - 4,
                  251 + sender.size() + 2 * to.size() + text.size());
}
