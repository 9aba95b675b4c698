// libFuzzer harness: load_safetensors on arbitrary bytes must return a file or throw
// ebmkit::Error, never crash, read out of bounds or leak (tools/fuzz.sh).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "ebmkit/error.hpp"
#include "ebmkit/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = "/tmp/ebmkit-fuzz-" + std::to_string(getpid()) + ".safetensors";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    try {
        const ebmkit::SafeTensors file = ebmkit::load_safetensors(path);
        for (const auto& [name, t] : file.tensors) (void)t.to_vector<float>().size();
    } catch (const ebmkit::Error&) {
    }
    return 0;
}
