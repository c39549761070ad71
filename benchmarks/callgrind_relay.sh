#!/usr/bin/env bash
# Instructions the server spends on relayed messages, counted by callgrind
# (repeatable whatever else the machine does, unlike CPU seconds).
#   benchmarks/callgrind_relay.sh SERVER_BINARY WORKDIR
# Runs SERVER_BINARY under callgrind on loopback, 100 clients of chat-bench
# (CHAT_BENCH, default build-rel/chat-bench) relaying 300 msg/s for 20 s,
# zeroes the counters at the bench's 5 s progress line and prints the
# instructions of the rest (~4,500 messages and the clients' leave).
# Compare two servers by alternating runs; callgrind_annotate WORKDIR/cg.out.1
# shows where they went.
set -u
bin=$1
d=$2
bench=${CHAT_BENCH:-$(dirname "$0")/../build-rel/chat-bench}
rm -rf "$d" && mkdir -p "$d/videos"
valgrind --tool=callgrind --callgrind-out-file="$d/cg.out" "$bin" \
  --config /dev/null --port 0 --videos "$d/videos" --data-dir "$d/data" \
  --message-rate 1000000 --message-burst 1000000 --log-level warning \
  > "$d/server.log" 2>&1 &
vpid=$!
trap 'kill $vpid 2>/dev/null' EXIT
for _ in $(seq 1 120); do
  grep -q "certificate fingerprint" "$d/server.log" && break
  sleep 0.5
done
port=$(grep -o "127.0.0.1:[0-9]*" "$d/server.log" | head -1 | cut -d: -f2)
fp=$(grep -o "SHA256:[0-9A-F:]*" "$d/server.log" | head -1)
"$bench" relay --port "$port" --fingerprint "$fp" -n 100 --rate 300 \
  --duration 20 --envelopes prebuilt --timeout 300 > "$d/bench.log" 2>&1 &
bpid=$!
for _ in $(seq 1 240); do
  grep -q "relay t=5s" "$d/bench.log" 2>/dev/null && break
  sleep 0.25
done
callgrind_control -z "$vpid" > /dev/null
wait "$bpid"
callgrind_control -d "$vpid" > /dev/null
sleep 1
kill "$vpid"
wait "$vpid" 2>/dev/null
grep -o '"delivered":[0-9]*' "$d/bench.log"
callgrind_annotate "$(ls "$d"/cg.out.* | head -1)" 2>/dev/null |
  grep "PROGRAM TOTALS"
