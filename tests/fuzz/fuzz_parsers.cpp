// libFuzzer target over every parser of on-memory and on-disk data: the stream.meta validator, the segment
// reader (header validation, then a walk over the frames exactly as a reader does it, checksums on,
// encrypted frames opened with a fixed key as the cursor does, the batch loop's one-pass frame check held to
// the full one at every 16-byte boundary), and the key file parser. The input is a meta
// image, a 16 KiB segment image and a key file at once, and (as text) a mountinfo for the huge-page check and
// an attributes.json (tags, consumers) and a ShardIterator token (re-encoded when accepted: it must come
// back the same); as images also a lease table (whose accepted rows are read whole, so an out-of-bounds row
// is caught by ASan) and a throughput.state of a one-shard table.
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "application/lease_table.hpp"
#include "crypto/frame_cipher.hpp"
#include "crypto/key_file.hpp"
#include "log/frame_check.hpp"
#include "segment/huge_pages.hpp"
#include "segment/segment_file.hpp"
#include "shmstream/iterator_token.hpp"
#include "shmstream/status.hpp"
#include "stream/attributes_file.hpp"
#include "stream/meta_file.hpp"
#include "stream/throughput_file.hpp"

namespace {

constexpr uint64_t kSegmentSize = 16384;

// Encrypted frames are opened with a fixed data key in every slot: their tags fail (the seed's key is random),
// but every length and bound the cursor derives from a frame is exercised on the way.
shmstream::detail::FrameCipher& opener() {
  static shmstream::detail::FrameCipher cipher(shmstream::detail::FrameCipher::Direction::kOpen);
  static const bool keyed = [] {
    const uint8_t data_key[shmstream::detail::kDataKeyBytes] = {7};
    for (uint32_t generation = 1; generation <= shmstream::layout::kKeyGenerationSlots; ++generation) {
      cipher.set_data_key(generation, data_key);
    }
    return true;
  }();
  (void)keyed;
  return cipher;
}

// The batch loop's one-pass check (is_plain_frame) takes exactly the frames the full classification reads
// as DATA frames of the stream, with the same lengths: a frame it took wrongly would be handed out unchecked.
void check_plain_frame_agrees(const shmstream::detail::MappedSegment& segment, uint64_t offset, uint8_t flags) {
  const uint8_t* frame = segment.bytes(offset);
  const uint64_t state = segment.frame(offset).state.load(std::memory_order_relaxed);
  const uint64_t room = kSegmentSize - offset;
  const uint64_t position = segment.base_position() + offset;
  for (const bool verify : {false, true}) {
    shmstream::detail::PlainFrame plain{};
    const bool taken = shmstream::detail::is_plain_frame(frame, state, room, position,
                                                         shmstream::detail::PlainFrameShape(flags), verify, plain);
    shmstream::detail::FrameInfo info;
    const bool data = shmstream::detail::classify_frame(frame, state, room, position, flags, verify, info) ==
                      shmstream::detail::FrameKind::kData;
    if (taken != data) std::abort();
    if (taken && (plain.footprint != info.footprint || plain.key_length != info.key_length ||
                  plain.data_length != info.data_length || plain.payload != plain.key_length + plain.data_length ||
                  plain.arrival_ns != info.arrival_ns)) {
      std::abort();
    }
  }
}

// Walks the frames as a reader does, with the stream's frame flags `flags` (checksums on or off), and
// touches every byte a reader would hand out, so an out-of-bounds view is caught by ASan.
void walk_segment(const uint8_t* data, size_t size, uint8_t flags) {
  void* memory = ::mmap(nullptr, kSegmentSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return;
  std::memcpy(memory, data, size < kSegmentSize ? size : kSegmentSize);
  shmstream::detail::MappedSegment segment(
      shmstream::detail::MappedRegion(static_cast<uint8_t*>(memory), kSegmentSize), -1, 0, false);
  const shmstream::detail::SegmentIdentity identity{kSegmentSize, 0, 0, 0600};
  (void)shmstream::detail::validate_segment_header(segment.header(), 0, identity);
  uint64_t offset = shmstream::layout::kSegmentHeaderSize;
  // Every 16-byte boundary, not only those the walk reaches: payload bytes make arbitrary state words.
  for (uint64_t at = offset; at < kSegmentSize; at += shmstream::layout::kFrameAlignment) {
    check_plain_frame_agrees(segment, at, flags);
  }
  while (offset < kSegmentSize) {
    shmstream::detail::FrameInfo info;
    const auto kind = shmstream::detail::inspect_frame(segment, offset, flags, true, info);
    if (kind == shmstream::detail::FrameKind::kEncrypted) {
      // As the cursor opens it: ciphertext and tag bounds come from the checked lengths.
      static uint8_t plaintext[kSegmentSize];
      const uint64_t length = uint64_t{info.key_length} + info.data_length;
      const uint8_t* ciphertext = segment.bytes(offset + shmstream::layout::kFrameHeaderSize);
      const uint8_t* tag = ciphertext + length +
                           ((info.flags & shmstream::layout::kFlagChecksum) != 0 ? shmstream::layout::kChecksumTrailerSize : 0);
      (void)opener().open(shmstream::layout::key_slot(info.flags), 0, offset, segment.frame(offset).state.load(std::memory_order_relaxed), info.arrival_ns, ciphertext,
                          length, tag, plaintext);
      offset += info.footprint;
      continue;
    }
    if (kind != shmstream::detail::FrameKind::kData && kind != shmstream::detail::FrameKind::kPad) break;
    if (kind == shmstream::detail::FrameKind::kData) {
      volatile uint8_t sink = 0;
      const uint8_t* payload = segment.bytes(offset + shmstream::layout::kFrameHeaderSize);
      for (uint64_t i = 0; i < uint64_t{info.key_length} + info.data_length; ++i) sink = sink ^ payload[i];
    }
    offset += info.footprint;
  }
}

// throughput.state as a mapper sees it: page-aligned (the input buffer is only malloc-aligned), with the
// capacity its size implies, so the size check passes and the header checks run.
void validate_throughput(const uint8_t* data, size_t size) {
  if (size == 0) return;
  void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return;
  std::memcpy(memory, data, size);
  const auto capacity = static_cast<uint32_t>(size >= 64 ? (size - 64) / 64 : 0);
  (void)shmstream::detail::validate_throughput_state(static_cast<const uint8_t*>(memory), size, capacity);
  ::munmap(memory, size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)shmstream::detail::validate_stream_meta(data, size);
  walk_segment(data, size, 0);
  walk_segment(data, size, shmstream::layout::kFlagChecksum);
  shmstream::detail::MasterKey key;
  (void)shmstream::detail::parse_key_file(std::span(data, size), key);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)shmstream::detail::huge_pages_allowed(text, text, "/dev/shm/streams");
  shmstream::detail::LeaseTableImage leases;
  std::string error;
  if (shmstream::detail::parse_lease_table(data, size, leases, error)) {
    volatile uint64_t sink = 0;
    for (const auto& row : leases.rows) sink = sink ^ row.checkpoint_value ^ row.owner_worker_id[31];
  }
  try {
    (void)shmstream::detail::parse_attributes(text, "fuzz");
  } catch (const shmstream::Error&) {
    // refused as corrupted: what a damaged file must get
  }
  validate_throughput(data, size);
  // A token is canonical: the text the parser accepts is the only text of its fields.
  if (const auto token = shmstream::parse_iterator_token(text)) {
    if (shmstream::encode_iterator_token(*token) != text) std::abort();
  }
  return 0;
}
