// ShardIterator tokens against an open stream (include/shmstream/iterator_token.hpp): issuing one for a
// shard position, and checking that one still names this stream's incarnation and a listed shard.
#include <cstring>

#include "common/aws_names.hpp"
#include "shmstream/iterator_token.hpp"
#include "shmstream/status.hpp"
#include "shmstream/stream.hpp"
#include "stream/stream_state.hpp"

namespace shmstream {
namespace {

StreamUuid uuid_of(const Stream& stream) {
  StreamUuid uuid;
  // Written once at creation, before the stream had a name: a plain read.
  std::memcpy(uuid.data(), detail::StreamAccess::state(stream).header().uuid, uuid.size());
  return uuid;
}

}  // namespace

std::string issue_iterator_token(const Stream& stream, uint32_t shard_index, uint64_t position, int64_t now_ns) {
  IteratorToken token;
  token.stream_name = stream.name();
  token.stream_uuid = uuid_of(stream);
  token.shard_index = shard_index;
  token.position = position;
  token.created_ns = now_ns;
  return encode_iterator_token(token);
}

void verify_iterator_token(const Stream& stream, const IteratorToken& token) {
  if (token.stream_name != stream.name()) {
    throw Error(StatusCode::kInvalidArgument, "Invalid ShardIterator: it reads stream " + token.stream_name +
                                                  ", not " + stream.name());
  }
  if (token.stream_uuid != uuid_of(stream)) {
    throw Error(StatusCode::kInvalidArgument, "Invalid ShardIterator: stream " + token.stream_name +
                                                  " was deleted and created again since the iterator was issued");
  }
  const detail::StreamState& state = detail::StreamAccess::state(stream);
  bool listed = token.shard_index < state.shard_count();
  if (listed) {
    // acquire: a status seen is backed by the fields written before it.
    const auto status = static_cast<layout::ShardStatus>(
        state.shard(token.shard_index).status.load(std::memory_order_acquire));
    listed = status == layout::ShardStatus::kOpen || status == layout::ShardStatus::kClosed;
  }
  if (!listed) {
    throw Error(StatusCode::kResourceNotFound, "Shard " + shard_id_text(token.shard_index) +
                                                   detail::aws::in_stream(stream.name()) + " does not exist");
  }
}

}  // namespace shmstream
