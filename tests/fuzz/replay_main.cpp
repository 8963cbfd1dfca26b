// Without libFuzzer (a gcc build), the fuzz target still runs: over every file in the given
// directories (the seed corpus), plus truncations and bit flips of each.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  std::mt19937 rng(12345);
  std::size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream s;
      s << in.rdbuf();
      const std::string seed = s.str();
      auto run = [&](const std::string& bytes) {
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
        ++inputs;
      };
      run(seed);
      for (std::size_t cut = 0; cut < seed.size(); ++cut) run(seed.substr(0, cut));
      for (int k = 0; k < 2000 && !seed.empty(); ++k) {
        std::string m = seed;
        m[rng() % m.size()] ^= static_cast<char>(1 << (rng() % 8));
        if (k % 3 == 0) m[rng() % m.size()] = static_cast<char>(rng());
        run(m);
      }
    }
  }
  std::printf("replayed %zu inputs without a crash\n", inputs);
  return inputs > 0 ? 0 : 1;
}
