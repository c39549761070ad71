#!/usr/bin/env bash
# A/B of two chat-server binaries under one chat-bench scenario, alternated
# in one sitting (machines are noisy: compare ratios measured together).
#   benchmarks/ab.sh OLD_SERVER NEW_SERVER ROUNDS -- BENCH_ARGS...
# e.g.
#   benchmarks/ab.sh /tmp/old/chat-server build/chat-server 3 -- \
#     relay -n 1000 --envelopes prebuilt --rate 20000 --duration 8
# Prints one line per run with the scenario's main figures (chat-bench's
# JSON line), A and B alternating.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 4 || "$4" != "--" ]]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
a=$(realpath "$1") b=$(realpath "$2") rounds=$3
shift 4
bench=${CHAT_BENCH:-build/chat-bench}
keys='.delivered, .loss, .delivered_per_s, .latency_ms_p50, .latency_ms_p99,
      .server_cpu_s_per_million, .server_rss_mib, .all_joined_s,
      .rss_per_client_kib, .server_cpu_s_connect, .rss_per_client_idle_end_kib,
      .server_idle_cpu_s'
echo "run | delivered | loss | delivered/s | p50 ms | p99 ms | server CPU-s/M | server RSS MiB | all joined s | RSS/client KiB | server CPU-s connect | RSS/client at idle end KiB | server idle CPU-s"
for ((i = 1; i <= rounds; ++i)); do
  for side in A B; do
    bin=$a
    [[ $side == B ]] && bin=$b
    out=$("$bench" "$@" --server-bin "$bin" 2>/dev/null | tail -n 1 || true)
    row=$(jq -r "[$keys] | map(if . == null then \"-\" else tostring end) | join(\" | \")" <<<"$out")
    echo "$side$i | $row"
  done
done
