#include "demo_feed.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <thread>
#include <vector>

#include "shmstream/producer.hpp"
#include "shmstream/reader.hpp"
#include "shmstream/stream.hpp"

namespace shmstream::cli::demo {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::array<const char*, 20> kSymbols = {"AAPL", "MSFT", "AMZN", "GOOG", "META", "NVDA", "TSLA",
                                                  "JPM",  "V",    "JNJ",  "WMT",  "PG",   "XOM",  "BAC",
                                                  "KO",   "PEP",  "NFLX", "INTC", "AMD",  "IBM"};

// An ITCH-like add-quote / trade message. Fixed 48 bytes, host byte order (the demo never leaves the host).
struct MarketMessage {
  char type;  // 'Q' quote, 'T' trade
  char side;  // trades: 'B' or 'S'; quotes: ' '
  uint16_t symbol_index;
  uint32_t symbol_sequence;  // 1, 2, 3... per symbol: lets consumers prove nothing was lost or reordered
  uint64_t feed_sequence;    // across all symbols
  int64_t sent_ns;
  char symbol[8];
  uint32_t price_or_bid;  // 1/10000 dollars
  uint32_t size_or_ask;
  uint32_t bid_size;
  uint32_t ask_size;
};
static_assert(sizeof(MarketMessage) == 48);

// Cheap deterministic pseudo-randomness for prices; the demo needs variety, not statistics.
uint64_t next_random(uint64_t& state) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

MarketMessage make_message(uint64_t feed_sequence, uint32_t symbol_index, uint32_t symbol_sequence, uint64_t& random,
                           std::array<uint32_t, kSymbols.size()>& mid_prices) {
  MarketMessage message{};
  const uint64_t r = next_random(random);
  uint32_t& mid = mid_prices[symbol_index];
  mid = static_cast<uint32_t>(std::max<int64_t>(10'000, int64_t{mid} + static_cast<int64_t>(r % 201) - 100));
  message.type = (r >> 8) % 4 == 0 ? 'T' : 'Q';
  message.side = message.type == 'T' ? ((r >> 10) & 1 ? 'B' : 'S') : ' ';
  message.symbol_index = static_cast<uint16_t>(symbol_index);
  message.symbol_sequence = symbol_sequence;
  message.feed_sequence = feed_sequence;
  message.sent_ns = now_ns();
  std::memcpy(message.symbol, kSymbols[symbol_index],
              std::min(sizeof message.symbol, std::strlen(kSymbols[symbol_index])));
  if (message.type == 'T') {
    message.price_or_bid = mid;
    message.size_or_ask = static_cast<uint32_t>(100 * (1 + (r >> 16) % 10));
  } else {
    message.price_or_bid = mid - 50;
    message.size_or_ask = mid + 50;
    message.bid_size = static_cast<uint32_t>(100 * (1 + (r >> 20) % 20));
    message.ask_size = static_cast<uint32_t>(100 * (1 + (r >> 28) % 20));
  }
  return message;
}

}  // namespace

int run_producer(const FeedSettings& settings, SharedCounters& counters) {
  // The feed handler is the stream's only writer, as in a real market-data feed: an exclusive producer.
  Producer producer(Stream::open(settings.stream_name, settings.root), ProducerOptions{.exclusive = true});
  std::array<uint32_t, kSymbols.size()> symbol_sequences{};
  std::array<uint32_t, kSymbols.size()> mid_prices;
  mid_prices.fill(1'500'000);
  uint64_t random = 0x9e3779b97f4a7c15ull;
  uint64_t produced = 0;
  uint64_t errors = 0;
  const auto started = Clock::now();
  const auto deadline = started + settings.duration;
  const double per_ns = static_cast<double>(settings.rate_per_second) / 1e9;

  while (!counters.stop.load(std::memory_order_relaxed)) {
    const auto now = Clock::now();
    if (now >= deadline) break;
    // Pace by the clock: catch up to where the rate says we should be, then rest briefly.
    const auto due = static_cast<uint64_t>(static_cast<double>((now - started).count()) * per_ns);
    if (produced >= due) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      continue;
    }
    for (uint64_t burst = 0; produced < due && burst < 4096; ++burst) {
      const auto symbol = static_cast<uint32_t>(next_random(random) % kSymbols.size());
      const MarketMessage message =
          make_message(produced + 1, symbol, symbol_sequences[symbol] + 1, random, mid_prices);
      PutResult result;
      const Status status = producer.put_record(
          kSymbols[symbol], std::string_view(reinterpret_cast<const char*>(&message), sizeof message), result);
      if (!status) {
        ++errors;  // not counted as produced: consumers must not expect it
        continue;
      }
      ++symbol_sequences[symbol];
      ++produced;
    }
    // relaxed: a progress display; the final values are published with producer_done below.
    counters.produced.store(produced, std::memory_order_relaxed);
    counters.put_errors.store(errors, std::memory_order_relaxed);
  }
  producer.flush_metrics();
  counters.produced.store(produced, std::memory_order_relaxed);
  counters.put_errors.store(errors, std::memory_order_relaxed);
  counters.producer_elapsed_ns.store((Clock::now() - started).count(), std::memory_order_relaxed);
  // release: a consumer that sees producer_done sees the final produced count.
  counters.producer_done.store(true, std::memory_order_release);
  return errors == 0 ? 0 : 1;
}

int run_consumer(const FeedSettings& settings, SharedCounters& counters, int consumer_index) {
  ConsumerCounters& mine = counters.consumers[consumer_index];
  std::shared_ptr<Stream> stream = Stream::open(settings.stream_name, settings.root);
  std::vector<ShardReader> readers;
  for (uint32_t shard : stream->open_shards()) readers.emplace_back(stream, shard, IteratorStart{});
  std::vector<uint64_t> last_sequence(readers.size(), 0);
  std::array<uint32_t, kSymbols.size()> last_symbol_sequence{};
  RecordBatch batch;
  uint64_t received = 0;
  auto idle_sleep = std::chrono::microseconds(20);
  auto last_progress = Clock::now();
  constexpr auto kGiveUpAfter = std::chrono::seconds(10);

  while (!counters.stop.load(std::memory_order_relaxed)) {
    uint64_t read_now = 0;
    int64_t behind = 0;
    for (size_t i = 0; i < readers.size(); ++i) {
      if (const Status status = readers[i].get_records(batch, 1000); !status) {
        mine.read_errors.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      for (const RecordView& record : batch.records) {
        if (record.sequence_number <= last_sequence[i]) mine.out_of_order.fetch_add(1, std::memory_order_relaxed);
        last_sequence[i] = record.sequence_number;
        MarketMessage message;
        if (record.data.size() != sizeof message) {
          mine.read_errors.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        std::memcpy(&message, record.data.data(), sizeof message);
        if (message.symbol_index >= kSymbols.size()) {
          mine.read_errors.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        uint32_t& last = last_symbol_sequence[message.symbol_index];
        if (message.symbol_sequence <= last) {
          mine.out_of_order.fetch_add(1, std::memory_order_relaxed);
        } else if (message.symbol_sequence != last + 1) {
          mine.gaps.fetch_add(message.symbol_sequence - last - 1, std::memory_order_relaxed);
        }
        last = std::max(last, message.symbol_sequence);
      }
      read_now += batch.records.size();
      behind = std::max(behind, batch.millis_behind_latest);
    }
    received += read_now;
    mine.received.store(received, std::memory_order_relaxed);
    if (read_now > 0) {
      mine.millis_behind_latest.store(behind, std::memory_order_relaxed);
      idle_sleep = std::chrono::microseconds(20);
      last_progress = Clock::now();
      continue;
    }
    mine.millis_behind_latest.store(0, std::memory_order_relaxed);
    // acquire: pairs with the producer's release, so `produced` is final.
    if (counters.producer_done.load(std::memory_order_acquire) &&
        received >= counters.produced.load(std::memory_order_relaxed)) {
      mine.finished.store(true, std::memory_order_release);
      return 0;
    }
    if (Clock::now() - last_progress > kGiveUpAfter) return 1;  // records went missing: the summary says so
    std::this_thread::sleep_for(idle_sleep);
    idle_sleep = std::min<std::chrono::microseconds>(idle_sleep * 2, std::chrono::microseconds(500));
  }
  return 1;
}

}  // namespace shmstream::cli::demo
