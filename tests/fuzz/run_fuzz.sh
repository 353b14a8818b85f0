#!/usr/bin/env bash
# Builds the libFuzzer target with Debian's clang (ASan + UBSan) and runs it for a bounded time.
# Usage: run_fuzz.sh SOURCE_ROOT WORK_DIR SECONDS. Exits 77 (meson's "skipped") when clang is missing.
set -euo pipefail
source_root=$1 work=$2 seconds=${3:-20}
command -v clang++ >/dev/null || { echo "clang++ not installed: skipping the fuzz run"; exit 77; }
mkdir -p "$work/corpus"
src="$source_root/src"
clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$source_root/include" -I"$src" \
  "$source_root/tests/fuzz/fuzz_parsers.cpp" \
  "$src/segment/segment_file.cpp" "$src/segment/mapped_region.cpp" \
  "$src/segment/kept_mappings.cpp" "$src/segment/huge_pages.cpp" \
  "$src/stream/meta_file.cpp" "$src/stream/names.cpp" "$src/router/hash_ranges.cpp" \
  "$src/stream/attributes_file.cpp" "$src/stream/throughput_file.cpp" \
  "$src/common/hash_key.cpp" "$src/common/status.cpp" "$src/application/lease_table.cpp" \
  "$src/common/base64.cpp" "$src/stream/iterator_token.cpp" \
  "$src/crypto/frame_cipher.cpp" "$src/crypto/ghash.cpp" "$src/crypto/key_file.cpp" \
  -lxxhash -licuuc -lcrypto -o "$work/fuzz_parsers"
# Seed the corpus with a real segment and meta file so the fuzzer starts from valid structures.
if [ -n "${SHMSTREAM_FUZZ_SEED_DIR:-}" ] && [ -d "$SHMSTREAM_FUZZ_SEED_DIR" ]; then
  find "$SHMSTREAM_FUZZ_SEED_DIR" -type f \( -name '*.seg' -o -name stream.meta -o -name '*.leases' -o -name attributes.json -o -name throughput.state -o -name '*.key' -o -name '*.token' \) -exec cp {} "$work/corpus/" \; || true
fi
exec "$work/fuzz_parsers" -max_total_time="$seconds" -max_len=1052672 -rss_limit_mb=2048 -print_final_stats=1 "$work/corpus"
