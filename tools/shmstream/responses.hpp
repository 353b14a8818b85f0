// The responses of the Kinesis operations, built once for both front ends: the CLI commands print them and
// `shmstream serve` encodes them for the wire (operations.hpp). Each function does the operation's work on the
// library and returns the operation's output document. Only the form of timestamps and blobs differs:
//   DocumentForm::kCli   timestamps as ISO 8601 text, blobs as base64 text (what the aws CLI prints);
//   DocumentForm::kWire  timestamps as epoch seconds, blobs as binary values (wire_protocol.hpp encodes them).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shmstream/iterator_token.hpp"
#include "json_output.hpp"
#include "shard_listing.hpp"
#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"

namespace shmstream::cli {

enum class DocumentForm { kCli, kWire };

Json timestamp_json(int64_t ns_since_epoch, DocumentForm form);

// The EncryptionType of an encrypted record, PutRecord or PutRecords (left out for plain ones, as AWS does).
inline constexpr std::string_view kKmsEncryption = "KMS";
Json blob_json(std::string_view bytes, DocumentForm form);

// {"StreamDescription": ...} with the shards `request` selects; "ShmstreamDetails" beside it when `details`.
Json describe_stream_response(const StreamInfo& info, const ShardListingRequest& request, bool details,
                              DocumentForm form);
Json describe_stream_summary_response(const Stream& stream, bool details, DocumentForm form);

// One ListStreams page: the streams under `root` whose names sort after `after` (all when nullopt), at most
// `page_size`, with a NextToken when more follow.
Json list_streams_response(const std::string& root, const std::optional<std::string>& after, size_t page_size,
                           DocumentForm form);

// One ListShards page of `stream` (`info` is its snapshot), with the NextToken that carries `filter` on.
Json list_shards_response(const Stream& stream, const StreamInfo& info, ShardListingRequest request,
                          const ShardFilter& filter);

// PutRecord / PutRecords through `producer`; ProvisionedThroughputExceeded with the shard's AWS message.
Json put_record_response(Producer& producer, std::string_view partition_key, std::string_view data,
                         const HashKey* explicit_hash_key);
Json put_records_response(Producer& producer, const std::vector<PutRecordsEntry>& entries);

// GetShardIterator on a shard the API may see (ResourceNotFound for one never used or EXPIRED).
Json get_shard_iterator_response(const std::shared_ptr<Stream>& stream, uint32_t shard_index, const IteratorStart& start);

// The read of GetRecords: `limit` records at the token's position into `batch` (the token is checked against
// its stream here). The batch's views are the reader's (ShardReader: valid until its next read), so the reader
// is returned with the token's stream, opened by `open`, and must outlive every use of the batch.
struct GetRecordsRead {
  std::shared_ptr<Stream> stream;
  ShardReader reader;
};
GetRecordsRead read_get_records(const IteratorToken& token,
                                const std::function<std::shared_ptr<Stream>(const std::string&)>& open,
                                uint32_t limit, RecordBatch& batch);
// The ChildShards of a closed shard's last GetRecords page.
Json child_shards_json(const Stream& stream, const std::vector<uint32_t>& children);

// The CLI's get-records from a decoded iterator token (its age is checked here). `details` adds
// "ShmstreamDetails" naming the records whose PartitionKey is shown in base64. `open` opens the token's
// stream. (`serve` writes its GetRecords body directly: record_wire.hpp.)
Json get_records_response(const IteratorToken& token,
                          const std::function<std::shared_ptr<Stream>(const std::string&)>& open, uint32_t limit,
                          bool details);

Json update_shard_count_response(Stream& stream, uint32_t target_shard_count);

}  // namespace shmstream::cli
