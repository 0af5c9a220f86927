// Fuzz target: the perf.data reader, file layout and pipe layout (detected
// from the content, as ehtrace-decode does), every sample formatted as JSON.
//
// The input is read from memory; when its size is a multiple of 4 it is
// also read through a file descriptor (a memfd), which takes the buffered
// and mapped paths of byte_source.
// Checks: the JSON of each sample is one valid object, the error offset
// is inside (or at the end of) the input, sample offsets are inside it.
#include "fuzz_support.hpp"

#include <ehtrace/decode/byte_source.hpp>
#include <ehtrace/decode/json_formatter.hpp>
#include <ehtrace/decode/perf_data_reader.hpp>

#include <sys/mman.h>
#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace ehtrace::decode;

void read_all(byte_source& source, std::size_t size) {
    perf_data_reader reader(source);
    perf_sample sample;
    sample_decoder decoder;
    std::string json;
    while (reader.next(sample)) {
        if (sample.offset >= size) ehtrace::fuzz::fail("sample offset past the input");
        json.clear();
        ehtrace::decode::append_json(json, decoder.decode(sample));
        ehtrace::fuzz::check_json(json, 1);
    }
    if (reader.error() && reader.error().offset > size) ehtrace::fuzz::fail("error offset past the input");
    (void)reader.session();
    (void)reader.is_pipe();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
    const auto layout = detect_input_layout(input.first(size < 16 ? size : 16));
    if (layout != input_layout::perf_file && layout != input_layout::perf_pipe) return 0;
    {
        byte_source source(input);
        read_all(source, size);
    }
    if (size % 4 == 0) {
        const int fd = memfd_create("fuzz_perf_data", MFD_CLOEXEC);
        if (fd < 0) return 0;
        std::size_t written = 0;
        while (written < size) {
            const ssize_t n = write(fd, data + written, size - written);
            if (n <= 0) break;
            written += static_cast<std::size_t>(n);
        }
        if (written == size && lseek(fd, 0, SEEK_SET) == 0) {
            byte_source source(fd, true);
            read_all(source, size);
        } else {
            close(fd);
        }
    }
    return 0;
}
