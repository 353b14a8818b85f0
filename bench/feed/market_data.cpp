#include "market_data.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>

namespace feed {
namespace {

// Inverse-CDF sampling over a precomputed table: exact for any exponent and cheap enough for 64K draws.
class ZipfSampler {
 public:
  ZipfSampler(uint32_t n, double exponent) : cdf_(n) {
    double total = 0;
    for (uint32_t i = 0; i < n; ++i) total += 1.0 / std::pow(i + 1.0, exponent);
    double running = 0;
    for (uint32_t i = 0; i < n; ++i) {
      running += 1.0 / std::pow(i + 1.0, exponent) / total;
      cdf_[i] = running;
    }
  }
  template <class Rng>
  uint32_t operator()(Rng& rng) const {
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    return static_cast<uint32_t>(std::min<size_t>(it - cdf_.begin(), cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
};

std::string symbol_name(uint32_t index) {
  std::string name(kSymbolBytes, ' ');
  for (size_t i = 0; i < 4; ++i) {  // 26^4 names, left-aligned like ITCH's space-padded stock field
    name[3 - i] = static_cast<char>('A' + index % 26);
    index /= 26;
  }
  return name;
}

struct MessageKind {
  char type;
  uint16_t length;
  double weight;
};
// Proportions loosely follow a Nasdaq TotalView day: adds and cancels dominate, trades are rare.
constexpr MessageKind kMix[] = {{'A', 40, 0.40}, {'U', 48, 0.20}, {'X', 32, 0.25}, {'E', 36, 0.10}, {'P', 64, 0.05}};

template <class T>
void put(uint8_t* bytes, size_t offset, T value) {
  std::memcpy(bytes + offset, &value, sizeof value);
}

}  // namespace

MessagePool::MessagePool(const FeedOptions& options) {
  if (options.symbols == 0 || options.symbols > 26 * 26 * 26 * 26) throw std::invalid_argument("bad --symbols");
  if (options.fixed_size != 0 && (options.fixed_size < 32 || options.fixed_size > kMaxMessageBytes)) {
    throw std::invalid_argument("--size must be 32..256");
  }
  for (uint32_t i = 0; i < options.symbols; ++i) symbols_.push_back(symbol_name(i));
  const size_t pool = std::bit_ceil<size_t>(std::max<uint32_t>(options.pool_size, 1024));
  mask_ = pool - 1;
  messages_.resize(pool);
  std::mt19937_64 rng(options.seed);
  ZipfSampler zipf(options.symbols, options.zipf_exponent);
  std::discrete_distribution<int> kind_of({kMix[0].weight, kMix[1].weight, kMix[2].weight, kMix[3].weight,
                                           kMix[4].weight});
  for (size_t i = 0; i < pool; ++i) {
    Message& message = messages_[i];
    const MessageKind kind = kMix[kind_of(rng)];
    message.symbol = static_cast<uint16_t>(zipf(rng));
    message.length = options.fixed_size != 0 ? static_cast<uint16_t>(options.fixed_size) : kind.length;
    message.key = symbols_[message.symbol];
    message.route = static_cast<uint32_t>(std::hash<std::string_view>{}(message.key));
    std::memset(message.bytes, 0, sizeof message.bytes);
    MessageHeader header{kind.type, static_cast<uint8_t>(message.length & 0xff), message.symbol, 0, 0, rng()};
    std::memcpy(message.bytes, &header, sizeof header);
    put<uint32_t>(message.bytes, 24, static_cast<uint32_t>(rng() % 10000 + 1));      // shares
    put<uint32_t>(message.bytes, 28, static_cast<uint32_t>(rng() % 5'000'000 + 100));  // price, 1/10000 $
    if (message.length >= 40) std::memcpy(message.bytes + 32, message.key.data(), kSymbolBytes);
    if (message.length >= 48) put<uint64_t>(message.bytes, 40, rng());  // new order ref / match number
  }
}

double MessagePool::mean_length() const noexcept {
  double total = 0;
  for (const auto& message : messages_) total += message.length;
  return total / static_cast<double>(messages_.size());
}

}  // namespace feed
