// Producer: routes records by partition key and appends them to shard logs. One Producer per thread (it
// owns a key->shard cache and per-shard segment pointers); any number of Producers, in any number of
// processes, may write the same stream at once. put_record / put_records are noexcept, lock-free and make no
// system call except when a segment fills up (roll) or the shard table changed (reshard).
//
// An exclusive Producer (ProducerOptions::exclusive, like Aeron's exclusive publication) is the only writer
// of its stream: it claims and commits each frame with plain stores instead of two locked CASes. Opening
// one while another producer lives, or any producer while it lives, throws ResourceInUseException. The
// price: the janitor cannot unblock a frame of a live exclusive producer that stalls (only of a dead one).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "shmstream/hash_key.hpp"
#include "shmstream/status.hpp"

namespace shmstream {

class Stream;
namespace detail {
class ProducerCore;
}

struct PutResult {
  uint32_t shard_index = 0;
  uint64_t sequence_number = 0;
};

struct PutRecordsEntry {
  std::string_view partition_key;
  std::string_view data;
  std::optional<HashKey> explicit_hash_key;
};

struct PutRecordsResultEntry {
  Status status;  // ok, or why this entry failed (the others may have succeeded)
  PutResult result;
};

struct ProducerOptions {
  bool exclusive = false;  // the only writer of the stream (see above); the default is a shared producer
  // ApproximateArrivalTimestamp from the clock itself for every put (one rdtsc, ~15 ns on a KVM guest)
  // even when the process's producers put over 4 M records/s, where they otherwise take it from the
  // process's ticking clock, at most ~0.1 ms behind (docs/DECISIONS.md).
  bool exact_arrival_times = false;
};

class Producer {
 public:
  // Throws ResourceInUseException if an exclusive producer writes the stream (or, for an exclusive one,
  // if any other producer does).
  explicit Producer(std::shared_ptr<Stream> stream, ProducerOptions options = {});
  ~Producer();
  Producer(Producer&&) noexcept;
  Producer& operator=(Producer&&) noexcept;

  // Partition key 1..256 bytes, key + data <= 1 MiB (and fits a segment); InvalidArgument otherwise and
  // nothing is written. The explicit hash key, where given, routes instead of the partition key's MD5.
  Status put_record(std::string_view partition_key, std::string_view data, PutResult& result) noexcept;
  Status put_record(std::string_view partition_key, std::string_view data, PutResult& result,
                    const HashKey* explicit_hash_key) noexcept;

  // 1..500 entries. `results` must have entries.size() elements. Returns FailedRecordCount, or the
  // whole-request error in `request_status` (e.g. too many entries) with every entry failed.
  uint32_t put_records(std::span<const PutRecordsEntry> entries, std::span<PutRecordsResultEntry> results,
                       Status& request_status) noexcept;

  // Hash key -> shard routing as a put would do it (open shard containing the key).
  Status route(std::string_view partition_key, const HashKey* explicit_hash_key, uint32_t& shard_index) noexcept;

  // Pushes locally batched metrics (IncomingRecords/Bytes) to the shard table. Also done on roll and in the
  // destructor.
  void flush_metrics() noexcept;

  // Whether the last put (put_record or put_records) encrypted its records: the stream's encryption as the
  // put found it, which PutRecord and PutRecords report as EncryptionType KMS (else NONE).
  bool encrypted() const noexcept;

  const std::shared_ptr<Stream>& stream() const noexcept;

 private:
  std::unique_ptr<detail::ProducerCore> core_;
};

}  // namespace shmstream
