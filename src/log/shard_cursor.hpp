// Reads one shard's log from a position: walks frames by their state words, skips padding, crosses
// segments, returns zero-copy views (docs/DESIGN.md §4.3). Owned by one ShardReader (one thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/realtime_clock.hpp"
#include "crypto/frame_cipher.hpp"
#include "log/frame_check.hpp"
#include "segment/segment_file.hpp"
#include "shmstream/layout/shard_entry.hpp"
#include "shmstream/record.hpp"
#include "shmstream/status.hpp"

namespace shmstream::detail {

class ShardLog;

class ShardCursor {
 public:
  ShardCursor(const ShardLog& log, uint64_t position, const ReaderOptions& options) noexcept;

  // Sets batch.shard_ended at a closed shard's end; which shards are its children is the caller's to say.
  Status read(RecordBatch& batch, uint32_t limit, uint64_t max_bytes) noexcept;
  // True when read() would return a record, an error or the shard's end. `order` is seq_cst for the
  // eventcount's re-check, acquire otherwise.
  bool has_data(std::memory_order order) noexcept;

  uint64_t position() const noexcept { return position_; }
  void seek(uint64_t position) noexcept;
  const ShardLog& log() const noexcept { return *log_; }

 private:
  // read() with the checksum verification fixed: kVerify when the stream has checksums and the reader checks them.
  template <bool kVerify>
  Status read_batch(RecordBatch& batch, uint32_t limit, uint64_t max_bytes) noexcept;

  // The walk's state that read_unusual_frame updates.
  struct BatchWalk {
    RecordView* next;     // where the next record's view goes
    uint64_t bytes_left;  // of the batch's byte limit
    uint64_t offset;      // of the frame to read, in the held segment
    bool stopped = false;    // the batch ends here
    bool caught_up = false;  // stopped where nothing is committed yet, as opposed to at a limit or an error
  };

  // Reads the frame at walk.offset of the held segment (at `bytes_of_segment`, base position `base`), one
  // that is not a plain DATA frame within the batch's byte limit: padding (stepped over), an encrypted
  // frame (decrypted), the first record of a batch over its byte limit (taken), a record past it (stops),
  // a claimed or free frame (stops, caught up), damage (skipped where the reader skips damaged frames, else
  // stops with kCorrupted in `status`). Cold and out of line, so the batch loop keeps its state in registers.
  template <bool kVerify>
  [[gnu::noinline]] void read_unusual_frame(RecordBatch& batch, const uint8_t* bytes_of_segment, uint64_t base,
                                            BatchWalk& walk, Status& status) noexcept;

  // Makes segment_ the segment holding position_. false: not published yet (or an error in `status`). Inline
  // in shard_cursor.cpp: the usual case is holds_position(); map_segment_of_position() maps another.
  bool map_current(Status& status) noexcept;
  bool holds_position() const noexcept;
  [[gnu::noinline]] bool map_segment_of_position(Status& status) noexcept;

  bool at_shard_end() const noexcept;
  // Whether a call would return no records at once because the reader is caught up in the segment it holds
  // (the poll of a reader that keeps up: answered without sizing a batch or walking). `horizon`: the trim
  // horizon just loaded.
  bool caught_up_at_held_segment(uint64_t horizon) const noexcept;  // inline in shard_cursor.cpp
  // A frame whose state word is `state` holds nothing to read yet (free or claimed), for a reader that does
  // not pause on claims (one that does goes through read_unusual_frame). Inline in shard_cursor.cpp.
  bool nothing_to_read_at(uint64_t state) const noexcept;

  // Decrypts the encrypted frame at `frame` (position `position`, inspected into `info`) into the batch's
  // plaintext buffer: kData with `payload` pointing at key || data, kCorrupted (the tag fails: tampered,
  // moved, or sealed under another key; info.problem says so) or kNotCommitted with `status` set when the
  // key cannot be had (KMSAccessDenied, KMSDisabled, KMSNotFound) or the buffer is full (status ok: the
  // batch ends here and the frame is read on the next call). Cold: only encrypted streams come here.
  FrameKind open_encrypted(const uint8_t* frame, uint64_t position, FrameInfo& info, bool first_of_batch,
                           const uint8_t*& payload, Status& status) noexcept;

  const ShardLog* log_;
  layout::ShardEntry* entry_;
  uint64_t position_;
  ReaderOptions options_;
  RealtimeClock clock_;  // MillisBehindLatest
  std::shared_ptr<MappedSegment> segment_;
  std::vector<std::shared_ptr<MappedSegment>> held_;  // segments the last batch's views point into
  bool next_prepared_ = false;                        // asked the preparer for the segment after segment_
  // Encrypted frames: the cipher (made at the first one), and the plaintext of the last batch's encrypted
  // records, which its views point into (allocated untouched, grown only between batches).
  std::unique_ptr<FrameCipher> cipher_;
  std::unique_ptr<uint8_t[]> plaintext_;
  size_t plaintext_capacity_ = 0;
  size_t plaintext_used_ = 0;
  size_t plaintext_wanted_ = 0;
  std::string key_message_;  // the detail of the last key failure (a Status points into it until the next call)
};

}  // namespace shmstream::detail
