// perf.data file layout (tools/perf/Documentation/perf.data-file-format.txt):
//   [0, 104)            header: written first with a data size of 0 ("the
//                       data runs to the end of the file", as perf record
//                       leaves it until it exits), rewritten by close()
//   [104, data_end)     data. It describes itself, so a file cut anywhere
//                       (the writer killed, a full disk) reads up to its last
//                       whole record: CLOCK_DATA as a HEADER_FEATURE record
//                       first, then per tracepoint a HEADER_ATTR and a
//                       HEADER_TRACING_DATA record before its first sample,
//                       then SAMPLE / LOST / COMM / FINISHED_ROUND records
//   data_end            feature index: one {offset,size} per set feature bit
//   ...                 feature bodies, attr id lists, attr section (close())
//
// The pipe layout (open_pipe) is the same data after a 16-byte header, with
// the features as HEADER_FEATURE records up front and nothing after the data.
#include <ehtrace/perf_data_writer.hpp>

#include <ehtrace/wire/eventheader.hpp>

#include "perf_data_abi.hpp"
#include "write_all.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace ehtrace {
namespace {

using namespace ehtrace::perf_data;

constexpr std::uint64_t sample_type =
    sample_identifier | sample_tid | sample_time | sample_cpu | sample_period | sample_raw;

// Little-endian-agnostic appends in host order (perf.data is host order).
class byte_builder {
public:
    explicit byte_builder(std::vector<std::byte>& out) : out_(out) {}
    template <class T>
    byte_builder& put(T value) {
        return bytes(std::as_bytes(std::span(&value, 1)));
    }
    // resize + memcpy rather than insert: GCC 12 sees a zero-size region in
    // vector::insert's inlined growth path and warns (-Wstringop-overflow).
    byte_builder& bytes(std::span<const std::byte> b) {
        if (b.empty()) return *this;
        const std::size_t at = out_.size();
        out_.resize(at + b.size());
        std::memcpy(out_.data() + at, b.data(), b.size());
        return *this;
    }
    byte_builder& text(std::string_view s, bool nul = false) {
        bytes(std::as_bytes(std::span(s.data(), s.size())));
        if (nul) put<std::uint8_t>(0);
        return *this;
    }
    byte_builder& zeros(std::size_t n) {
        out_.insert(out_.end(), n, std::byte{0});
        return *this;
    }
    // perf's header string: u32 length (NUL-padded to 64), then the bytes.
    byte_builder& header_string(std::string_view s) {
        const std::size_t padded = (s.size() + 1 + 63) / 64 * 64;
        put(static_cast<std::uint32_t>(padded));
        text(s);
        return zeros(padded - s.size());
    }
    [[nodiscard]] std::size_t size() const { return out_.size(); }

private:
    std::vector<std::byte>& out_;
};

std::uint64_t now_ns(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Ring-buffer page and entry header descriptions as tracefs shows them
// (events/header_page, events/header_event); perf's parser reads them.
constexpr std::string_view header_page_text =
    "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
    "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
    "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
    "\tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n";
constexpr std::string_view header_event_text =
    "# compressed entry header\n"
    "\ttype_len    :    5 bits\n"
    "\ttime_delta  :   27 bits\n"
    "\tarray       :   32 bits\n"
    "\n"
    "\tpadding     : type == 29\n"
    "\ttime_extend : type == 30\n"
    "\ttime_stamp : type == 31\n"
    "\tdata max type_len  == 28\n";

struct user_field {
    std::string type, name;
    std::uint32_t size = 0;
};

// Size the kernel gives a user_events field type (trace_events_user.c), 0 if
// it rejects the type.
std::uint32_t user_field_size(std::string_view type) {
    struct entry {
        std::string_view type;
        std::uint32_t size;
    };
    static constexpr entry table[] = {
        {"s64", 8},          {"u64", 8}, {"s32", 4},  {"u32", 4},           {"int", 4},
        {"unsigned int", 4}, {"s16", 2}, {"u16", 2},  {"short", 2},         {"unsigned short", 2},
        {"s8", 1},           {"u8", 1},  {"char", 1}, {"unsigned char", 1},
    };
    for (const auto& e : table) {
        if (e.type == type) return e.size;
    }
    if (type.starts_with("__data_loc ") || type.starts_with("__rel_loc ")) return 4;
    for (std::string_view prefix : {"char[", "unsigned char["}) {
        if (type.starts_with(prefix) && type.back() == ']') {
            std::uint32_t n = 0;
            for (char c : type.substr(prefix.size(), type.size() - prefix.size() - 1)) {
                if (c < '0' || c > '9') return 0;
                n = n * 10 + static_cast<std::uint32_t>(c - '0');
                if (n > 1024) return 0;
            }
            return n;
        }
    }
    return 0;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

bool parse_user_field(std::string_view text, user_field& out) {
    text = trim(text);
    std::vector<std::string_view> words;
    while (!text.empty()) {
        const auto space = text.find(' ');
        words.push_back(text.substr(0, space));
        text = space == std::string_view::npos ? std::string_view{} : trim(text.substr(space + 1));
    }
    // Two-word types, as the kernel splits them.
    std::size_t type_words = 1;
    if (!words.empty() && (words[0] == "unsigned" || words[0] == "struct")) type_words = 2;
    if (!words.empty() && (words[0] == "__data_loc" || words[0] == "__rel_loc")) {
        type_words = words.size() > 1 && words[1] == "unsigned" ? 3 : 2;
    }
    const bool is_struct = !words.empty() && words[0] == "struct";
    if (words.size() != type_words + 1 + (is_struct ? 1 : 0)) return false;
    for (std::size_t i = 0; i != type_words; ++i) {
        if (i) out.type.push_back(' ');
        out.type.append(words[i]);
    }
    out.name = std::string(words[type_words]);
    if (is_struct) {
        out.size = 0;
        for (char c : words.back()) {
            if (c < '0' || c > '9') return false;
            out.size = out.size * 10 + static_cast<std::uint32_t>(c - '0');
        }
    } else {
        out.size = user_field_size(out.type);
    }
    return out.size != 0;
}

const char* print_conversion(std::string_view type) {
    if (type == "s64") return "%lld";
    if (type == "u64") return "%llu";
    if (type == "s32" || type == "int" || type == "s16" || type == "short" || type == "s8" || type == "char")
        return "%d";
    if (type == "u32" || type == "unsigned int" || type == "u16" || type == "unsigned short" || type == "u8" ||
        type == "unsigned char")
        return "%u";
    if (type.find("char[") != std::string_view::npos) return "%s";
    return "%llu";
}

}  // namespace

std::string synthesize_user_events_format(std::string_view command, std::uint32_t id) {
    command = trim(command);
    const auto space = command.find(' ');
    const std::string_view name = command.substr(0, space);
    std::string_view fields_text = space == std::string_view::npos ? std::string_view{} : command.substr(space + 1);
    if (name.empty()) return {};
    std::vector<user_field> fields;
    while (!trim(fields_text).empty()) {
        const auto semicolon = fields_text.find(';');
        user_field field;
        if (!parse_user_field(fields_text.substr(0, semicolon), field)) return {};
        fields.push_back(std::move(field));
        fields_text = semicolon == std::string_view::npos ? std::string_view{} : fields_text.substr(semicolon + 1);
    }

    std::string out;
    out += "name: ";
    out += name;
    out += "\nID: " + std::to_string(id) + "\nformat:\n";
    out +=
        "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
        "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
        "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
        "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n";
    std::uint32_t offset = 8;
    std::string print_format = "\"", print_args;
    for (std::size_t i = 0; i != fields.size(); ++i) {
        const auto& f = fields[i];
        // tracefs prints "char[20] msg" as "char msg[20]"; __data_loc types stay whole.
        std::string declaration;
        const auto bracket = f.type.find('[');
        if (bracket != std::string::npos && !f.type.starts_with("__data_loc")) {
            declaration = f.type.substr(0, bracket) + " " + f.name + f.type.substr(bracket);
        } else {
            declaration = f.type + " " + f.name;
        }
        const bool is_signed = f.type[0] != 'u';
        out += "\tfield:" + declaration + ";\toffset:" + std::to_string(offset) + ";\tsize:" + std::to_string(f.size) +
               ";\tsigned:" + (is_signed ? "1" : "0") + ";\n";
        offset += f.size;
        if (i) print_format += ' ';
        print_format += f.name + "=" + print_conversion(f.type);
        if (f.type.starts_with("__data_loc ") && f.type.find("char") != std::string::npos) {
            print_args += ", __get_str(" + f.name + ")";
        } else if (f.type.starts_with("__rel_loc ") && f.type.find("char") != std::string::npos) {
            print_args += ", __get_rel_str(" + f.name + ")";
        } else {
            print_args += ", REC->" + f.name;
        }
    }
    out += "\nprint fmt: " + print_format + "\"" + print_args + "\n";
    return out;
}

namespace {

// The TRACING_DATA body (perf's trace-event-read.c layout) describing
// `tracepoints`: header_page and header_event, no ftrace formats, then per
// system its formats; no kallsyms, printk formats or cmdlines.
template <class Entries>
std::vector<std::byte> tracing_data_body(const Entries& tracepoints) {
    std::vector<std::byte> body;
    byte_builder t(body);
    t.put<std::uint8_t>(0x17).put<std::uint8_t>(0x08).put<std::uint8_t>(0x44).text("tracing");
    t.text("0.6", true);
    t.put<std::uint8_t>(__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__).put<std::uint8_t>(sizeof(long));
    t.put(static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE)));
    t.text("header_page", true).put<std::uint64_t>(header_page_text.size()).text(header_page_text);
    t.text("header_event", true).put<std::uint64_t>(header_event_text.size()).text(header_event_text);
    t.put<std::uint32_t>(0);  // ftrace formats
    std::vector<std::string_view> systems;
    for (const auto& tp : tracepoints) {
        if (std::find(systems.begin(), systems.end(), tp.system) == systems.end()) systems.push_back(tp.system);
    }
    t.put(static_cast<std::uint32_t>(systems.size()));
    for (auto system : systems) {
        t.text(system, true);
        std::uint32_t count = 0;
        for (const auto& tp : tracepoints) count += tp.system == system;
        t.put(count);
        for (const auto& tp : tracepoints) {
            if (tp.system == system) t.put<std::uint64_t>(tp.format.size()).text(tp.format);
        }
    }
    t.put<std::uint32_t>(0).put<std::uint32_t>(0).put<std::uint64_t>(0);  // kallsyms, printk, cmdlines
    return body;
}

// perf_record_header_tracing_data: header, u32 size, u32 pad; then the
// body, padded to 8 bytes, outside the record's own size.
void append_tracing_data_record(std::vector<std::byte>& out, const std::vector<std::byte>& body) {
    const std::size_t padded = (body.size() + 7) / 8 * 8;
    byte_builder(out)
        .put(record_header_tracing_data)
        .put<std::uint16_t>(0)
        .put<std::uint16_t>(16)
        .put(static_cast<std::uint32_t>(padded))
        .put<std::uint32_t>(0)
        .bytes(body)
        .zeros(padded - body.size());
}

// The file header: attrs at [attrs_offset, +attrs_size), data from 104 on,
// `data_size` bytes (0: to the end of the file), `features` bits.
std::vector<std::byte> file_header(std::uint64_t attrs_offset, std::uint64_t attrs_size, std::uint64_t data_size,
                                   const std::uint64_t (&features)[4]) {
    std::vector<std::byte> header;
    byte_builder h(header);
    h.put(perf_magic).put<std::uint64_t>(file_header_size).put<std::uint64_t>(attr_v7_size + 16);
    h.put(attrs_offset).put(attrs_size);
    h.put<std::uint64_t>(file_header_size).put(data_size);
    h.put<std::uint64_t>(0).put<std::uint64_t>(0);  // event_types: unused
    for (auto bits : features) h.put(bits);
    return header;
}

struct feature_section {
    unsigned feature;
    std::vector<std::byte> body;
};

// The features describing this machine (perf report --header shows them).
std::vector<feature_section> host_features() {
    std::vector<feature_section> features;
    auto add = [&](unsigned feature) -> byte_builder {
        features.push_back({feature, {}});
        return byte_builder(features.back().body);
    };
    utsname uts{};
    uname(&uts);
    add(feature_hostname).header_string(uts.nodename);
    add(feature_osrelease).header_string(uts.release);
    add(feature_arch).header_string(uts.machine);
    const auto cpus = static_cast<std::uint32_t>(sysconf(_SC_NPROCESSORS_CONF));
    const auto online = static_cast<std::uint32_t>(sysconf(_SC_NPROCESSORS_ONLN));
    add(feature_nrcpus).put(cpus).put(online);
    return features;
}

}  // namespace

perf_data_writer::~perf_data_writer() {
    if (fd_ >= 0) close();
}

int perf_data_writer::open(const char* path, clockid_t clock) {
    const int fd = ::open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    return open_fd(fd, true, clock);
}

int perf_data_writer::open_fd(int fd, bool take_ownership, clockid_t clock) {
    return open_stream(fd, take_ownership, clock, false);
}

int perf_data_writer::open_pipe(int fd, bool take_ownership, clockid_t clock) {
    return open_stream(fd, take_ownership, clock, true);
}

int perf_data_writer::open_stream(int fd, bool take_ownership, clockid_t clock, bool pipe) {
    if (fd_ >= 0) return EBUSY;
    fd_ = fd;
    owns_fd_ = take_ownership;
    pipe_ = pipe;
    tracing_data_pending_ = false;
    tracing_data_sent_ = false;
    error_ = 0;
    clock_ = clock;
    tracepoints_.clear();
    samples_ = 0;
    buffer_.clear();
    flushed_ends_.clear();
    stream_metadata_.clear();
    offset_ = 0;
    // The two clocks read back to back: their difference maps sample times to
    // wall-clock time (CLOCK_DATA).
    clock_ns_at_open_ = now_ns(clock);
    wall_ns_at_open_ = now_ns(CLOCK_REALTIME);
    // The header first (a file's with data size 0, "read to the end"), then
    // the clock as in-stream features: readable from this moment on.
    if (pipe_) {
        byte_builder(buffer_).put(perf_magic).put<std::uint64_t>(pipe_header_size);
    } else {
        const std::uint64_t no_features[4] = {};
        buffer_ = file_header(0, 0, 0, no_features);
    }
    std::vector<std::byte> feature;
    byte_builder(feature).put(static_cast<std::uint64_t>(clock_));
    append_feature(feature_clockid, feature);
    feature.clear();
    byte_builder(feature)
        .put<std::uint32_t>(1)
        .put(static_cast<std::uint32_t>(clock_))
        .put(wall_ns_at_open_)
        .put(clock_ns_at_open_);
    append_feature(feature_clock_data, feature);
    if (pipe_) {
        // A pipe has no place after the data for the rest: perf record -o -
        // sends them up front too.
        for (const auto& f : host_features()) append_feature(f.feature, f.body);
    }
    first_data_end_ = buffer_.size();
    return flush();
}

void perf_data_writer::append_feature(unsigned feature, std::span<const std::byte> body) {
    byte_builder(buffer_)
        .put(record_header_feature)
        .put<std::uint16_t>(0)
        .put(static_cast<std::uint16_t>(16 + body.size()))
        .put(static_cast<std::uint64_t>(feature))
        .bytes(body);
}

void perf_data_writer::attr_bytes(std::vector<std::byte>& out, std::uint32_t id) const {
    byte_builder a(out);
    const std::size_t start = out.size();
    a.put<std::uint32_t>(attr_type_tracepoint).put<std::uint32_t>(attr_v7_size);
    a.put<std::uint64_t>(id).put<std::uint64_t>(1).put(sample_type).put<std::uint64_t>(0);
    a.put<std::uint64_t>(attr_flag_sample_id_all | attr_flag_use_clockid);
    a.zeros(92 - (out.size() - start));
    a.put(static_cast<std::int32_t>(clock_));  // clockid at offset 92
    a.zeros(attr_v7_size - (out.size() - start));
}

int perf_data_writer::add_tracepoint(std::string_view system, std::string_view name, std::string_view format,
                                     std::uint32_t id) {
    if (fd_ < 0) return -EBADF;
    if (format.size() > 0xFFFF - 2048) return -E2BIG;  // its HEADER_TRACING_DATA must fit a u16 size
    // perf reads one TRACING_DATA per pipe (a second fails its size check).
    if (pipe_ && tracing_data_sent_) return -EBUSY;
    // Also after samples: a sample names its tracepoint by index + 1, which
    // never changes. The attr and the format go into the data now, ahead of
    // any sample of it (a cut file still says what its samples are); close()
    // also writes them where a finished file keeps them.
    tracepoints_.push_back({std::string(system), std::string(name), std::string(format), id});
    const auto index = tracepoints_.size() - 1;
    stream_metadata_.push_back(offset_ + buffer_.size());
    byte_builder b(buffer_);
    b.put(record_header_attr).put<std::uint16_t>(0).put(static_cast<std::uint16_t>(8 + attr_v7_size + 8));
    attr_bytes(buffer_, id);
    b.put(static_cast<std::uint64_t>(index + 1));
    if (pipe_) {
        // Nothing is rewritten in a pipe: one TRACING_DATA for all, owed
        // until the next record that is not an attr.
        tracing_data_pending_ = true;
        return static_cast<int>(index);
    }
    stream_metadata_.push_back(offset_ + buffer_.size());
    append_tracing_data_record(buffer_, tracing_data_body(std::span(&tracepoints_.back(), 1)));
    return static_cast<int>(index);
}

void perf_data_writer::put_pending_tracing_data() {
    if (!tracing_data_pending_) return;
    tracing_data_pending_ = false;
    tracing_data_sent_ = true;
    append_tracing_data_record(buffer_, tracing_data_body(tracepoints_));
}

int perf_data_writer::append(std::span<const std::byte> bytes) {
    put_pending_tracing_data();
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    return buffer_.size() >= (1u << 16) ? flush() : 0;
}

void perf_data_writer::note_flushed(std::uint64_t end) {
    offset_ = end;
    if (flushed_ends_.size() == 64) flushed_ends_.erase(flushed_ends_.begin());
    flushed_ends_.push_back(offset_);
}

int perf_data_writer::flush() {
    if (fd_ < 0) return EBADF;
    if (error_) return error_;
    put_pending_tracing_data();
    if (buffer_.empty()) return 0;
    ::iovec piece{buffer_.data(), buffer_.size()};
    if (const int e = write_pieces(&piece, 1)) return e;
    buffer_.clear();
    return 0;
}

int perf_data_writer::write_pieces(::iovec* pieces, int count) {
    std::uint64_t total = 0;
    for (int i = 0; i != count; ++i) total += pieces[i].iov_len;
    if (const int e = detail::write_all(fd_, pieces, count)) {
        error_ = e;
        return e;
    }
    note_flushed(offset_ + total);
    return 0;
}

int perf_data_writer::write_records(::iovec* pieces, int count) {
    if (fd_ < 0) return EBADF;
    if (error_) return error_;
    put_pending_tracing_data();
    if (buffer_.empty()) return write_pieces(pieces, count);
    // The buffered records first, in the same writev when the pieces are few.
    // No allocation: the recorder calls this from a thread that may be
    // anywhere, even inside malloc (docs/recorder.md, "A late writer").
    constexpr int inline_pieces = 32;
    if (count >= inline_pieces) {
        if (const int e = flush()) return e;
        return write_pieces(pieces, count);
    }
    ::iovec all[inline_pieces];
    all[0] = {buffer_.data(), buffer_.size()};
    std::copy(pieces, pieces + count, all + 1);
    if (const int e = write_pieces(all, count + 1)) return e;
    buffer_.clear();
    return 0;
}

void perf_data_writer::abandon() noexcept {
    if (fd_ >= 0 && owns_fd_) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
    flushed_ends_.clear();
}

int perf_data_writer::write_at(std::uint64_t offset, std::span<const std::byte> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

// The header's inline put_sample_head writes this record type.
static_assert(record_sample == perf_data_writer::sample_record_type);

int perf_data_writer::write_sample(int tracepoint, std::uint64_t time_ns, std::uint32_t cpu, std::uint32_t pid,
                                   std::uint32_t tid, std::span<const std::byte> record) {
    if (fd_ < 0) return EBADF;
    if (error_) return error_;
    if (tracepoint < 0 || static_cast<std::size_t>(tracepoint) >= tracepoints_.size()) return EINVAL;
    // Raw data is padded so that its u32 size plus the data end on 8 bytes,
    // as the kernel does; the record size is a u16.
    const std::size_t total = sample_size(record.size());
    if (total > 0xFFFF) return E2BIG;
    scratch_.resize(total);
    put_sample_head(scratch_.data(), tracepoint, time_ns, cpu, pid, tid, record.size());
    std::memcpy(scratch_.data() + sample_head_size, record.data(), record.size());
    std::memset(scratch_.data() + sample_head_size + record.size(), 0, total - sample_head_size - record.size());
    ++samples_;
    return append(scratch_);
}

int perf_data_writer::write_user_event(int tracepoint, std::uint64_t time_ns, std::uint32_t cpu, std::uint32_t pid,
                                       std::uint32_t tid, std::span<const std::byte> payload) {
    if (tracepoint < 0 || static_cast<std::size_t>(tracepoint) >= tracepoints_.size()) return EINVAL;
    std::vector<std::byte> record;
    record.reserve(8 + payload.size());
    byte_builder b(record);
    b.put(static_cast<std::uint16_t>(tracepoints_[static_cast<std::size_t>(tracepoint)].id));
    b.put<std::uint8_t>(0).put<std::uint8_t>(0).put(pid).bytes(payload);
    return write_sample(tracepoint, time_ns, cpu, pid, tid, record);
}

int perf_data_writer::write_lost(std::uint64_t lost, std::uint64_t time_ns, std::uint32_t cpu) {
    return write_lost(lost, time_ns, cpu, 0xFFFFFFFFu, 0xFFFFFFFFu);
}

int perf_data_writer::write_lost(std::uint64_t lost, std::uint64_t time_ns, std::uint32_t cpu, std::uint32_t pid,
                                 std::uint32_t tid) {
    if (fd_ < 0) return EBADF;
    if (error_) return error_;
    if (tracepoints_.empty()) return EINVAL;
    scratch_.clear();
    byte_builder b(scratch_);
    // id, lost, then the sample_id trailer of sample_id_all: TID, TIME, CPU, IDENTIFIER.
    b.put<std::uint32_t>(record_lost).put<std::uint16_t>(0).put<std::uint16_t>(8 + 16 + 32);
    b.put<std::uint64_t>(1).put(lost);
    b.put(pid).put(tid).put(time_ns);
    b.put(cpu).put<std::uint32_t>(0).put<std::uint64_t>(1);
    return append(scratch_);
}

int perf_data_writer::write_comm(std::uint32_t pid, std::uint32_t tid, std::string_view comm, std::uint64_t time_ns,
                                 std::uint32_t cpu, bool exec) {
    if (fd_ < 0) return EBADF;
    if (error_) return error_;
    if (tracepoints_.empty()) return EINVAL;
    comm = comm.substr(0, std::min<std::size_t>(comm.size(), 15));
    const std::size_t name_bytes = (comm.size() + 1 + 7) / 8 * 8;
    scratch_.clear();
    byte_builder b(scratch_);
    // pid, tid, NUL-terminated name padded to 8, then the sample_id trailer.
    b.put(record_comm).put<std::uint16_t>(exec ? misc_comm_exec : 0);
    b.put(static_cast<std::uint16_t>(8 + 8 + name_bytes + 32));
    b.put(pid).put(tid).text(comm).zeros(name_bytes - comm.size());
    b.put(pid).put(tid).put(time_ns);
    b.put(cpu).put<std::uint32_t>(0).put<std::uint64_t>(1);
    return append(scratch_);
}

int perf_data_writer::write_task(std::uint32_t type, std::uint32_t pid, std::uint32_t ppid, std::uint32_t tid,
                                 std::uint32_t ptid, std::uint64_t time_ns, std::uint32_t cpu) {
    if (fd_ < 0) return EBADF;
    if (error_) return error_;
    if (tracepoints_.empty()) return EINVAL;
    scratch_.clear();
    byte_builder b(scratch_);
    // pid, ppid, tid, ptid, time, then the sample_id trailer.
    b.put(type).put<std::uint16_t>(0).put<std::uint16_t>(8 + 24 + 32);
    b.put(pid).put(ppid).put(tid).put(ptid).put(time_ns);
    b.put(pid).put(tid).put(time_ns);
    b.put(cpu).put<std::uint32_t>(0).put<std::uint64_t>(1);
    return append(scratch_);
}

int perf_data_writer::write_fork(std::uint32_t pid, std::uint32_t ppid, std::uint32_t tid, std::uint32_t ptid,
                                 std::uint64_t time_ns, std::uint32_t cpu) {
    return write_task(record_fork, pid, ppid, tid, ptid, time_ns, cpu);
}

int perf_data_writer::write_exit(std::uint32_t pid, std::uint32_t ppid, std::uint32_t tid, std::uint32_t ptid,
                                 std::uint64_t time_ns, std::uint32_t cpu) {
    return write_task(record_exit, pid, ppid, tid, ptid, time_ns, cpu);
}

int perf_data_writer::finish_round() {
    if (fd_ < 0) return EBADF;
    if (error_) return error_;
    scratch_.clear();
    byte_builder(scratch_).put<std::uint32_t>(record_finished_round).put<std::uint16_t>(0).put<std::uint16_t>(8);
    return append(scratch_);
}

int perf_data_writer::close() {
    if (fd_ < 0) return EBADF;
    const auto disk_full = [](int e) { return e == ENOSPC || e == EFBIG || e == EDQUOT; };
    int result = error_;
    if (pipe_) {
        // The stream ends where the data does: nothing to go back to.
        if (result == 0) result = flush();
        if (owns_fd_ && ::close(fd_) != 0 && result == 0) result = errno;
        fd_ = -1;
        buffer_.clear();
        return result;
    }
    if (result == 0) result = finish_file(offset_ + buffer_.size());
    if (disk_full(result)) {
        // offset_ ends the last whole flush: cut the file there and finish it;
        // when even the metadata does not fit, give up older flushes too.
        std::uint64_t end = std::max<std::uint64_t>(offset_, first_data_end_);
        for (int attempt = 0; attempt < 70; ++attempt) {
            buffer_.clear();
            error_ = 0;
            if (::ftruncate(fd_, static_cast<off_t>(end)) != 0) break;
            if (::lseek(fd_, static_cast<off_t>(end), SEEK_SET) < 0) break;  // flush() appends at the position
            offset_ = end;
            const int finished = finish_file(end);
            if (finished == 0 || !disk_full(finished) || end == first_data_end_) break;
            while (!flushed_ends_.empty() && flushed_ends_.back() >= end) flushed_ends_.pop_back();
            end = flushed_ends_.empty() ? first_data_end_
                                        : std::max<std::uint64_t>(flushed_ends_.back(), first_data_end_);
        }
    }
    if (owns_fd_ && ::close(fd_) != 0 && result == 0) result = errno;
    fd_ = -1;
    buffer_.clear();
    flushed_ends_.clear();
    return result;
}

int perf_data_writer::finish_file(const std::uint64_t data_end) {
    // Feature bodies, each kept for the index.
    std::vector<feature_section> features;
    auto add = [&](unsigned feature) -> byte_builder {
        features.push_back({feature, {}});
        return byte_builder(features.back().body);
    };
    add(feature_tracing_data).bytes(tracing_data_body(tracepoints_));
    for (auto& f : host_features()) features.push_back(std::move(f));
    {
        std::vector<std::byte> body;
        byte_builder d(body);
        d.put(static_cast<std::uint32_t>(tracepoints_.size())).put(static_cast<std::uint32_t>(attr_v7_size));
        for (std::size_t i = 0; i != tracepoints_.size(); ++i) {
            attr_bytes(body, tracepoints_[i].id);
            d.put<std::uint32_t>(1).header_string(tracepoints_[i].system + ":" + tracepoints_[i].name);
            d.put<std::uint64_t>(i + 1);
        }
        add(feature_event_desc).bytes(body);
    }
    add(feature_clockid).put(static_cast<std::uint64_t>(clock_));
    add(feature_clock_data)
        .put<std::uint32_t>(1)
        .put(static_cast<std::uint32_t>(clock_))
        .put(wall_ns_at_open_)
        .put(clock_ns_at_open_);

    // Feature index right after the data, then bodies, ids and attrs.
    std::vector<std::byte> tail;
    byte_builder t(tail);
    std::uint64_t body_offset = data_end + 16 * features.size();
    for (const auto& f : features) {
        t.put(body_offset).put(static_cast<std::uint64_t>(f.body.size()));
        body_offset += f.body.size();
    }
    for (const auto& f : features) t.bytes(f.body);
    const std::uint64_t ids_offset = data_end + tail.size();
    for (std::size_t i = 0; i != tracepoints_.size(); ++i) t.put<std::uint64_t>(i + 1);
    const std::uint64_t attrs_offset = data_end + tail.size();
    for (std::size_t i = 0; i != tracepoints_.size(); ++i) {
        attr_bytes(tail, tracepoints_[i].id);
        t.put(ids_offset + 8 * i).put<std::uint64_t>(8);
    }
    int result = append(tail);
    if (result == 0) result = flush();

    std::uint64_t bits[4] = {};
    for (const auto& f : features) bits[f.feature / 64] |= 1ull << (f.feature % 64);
    // The data always holds the in-stream metadata, so its size is never 0
    // (which would mean "not finished").
    const auto header =
        file_header(attrs_offset, tracepoints_.size() * (attr_v7_size + 16), data_end - file_header_size, bits);
    // The in-stream attrs and formats repeat what the header now says, and
    // perf would read formats twice (and refuse): each becomes a record perf
    // and our reader skip (the deprecated HEADER_EVENT_TYPE), same size.
    for (const std::uint64_t at : stream_metadata_) {
        if (result != 0 || at + 8 > data_end) continue;
        std::byte head[8];
        if (::pread(fd_, head, sizeof head, static_cast<off_t>(at)) != static_cast<ssize_t>(sizeof head)) continue;
        std::uint32_t type = 0;
        std::uint16_t size = 0;
        std::memcpy(&type, head, 4);
        std::memcpy(&size, head + 6, 2);
        if (type == record_header_tracing_data) {
            std::uint32_t extra = 0;
            if (::pread(fd_, &extra, 4, static_cast<off_t>(at + 8)) != 4 || size + std::uint64_t{extra} > 0xFFFF)
                continue;
            size = static_cast<std::uint16_t>(size + extra);
        } else if (type != record_header_attr) {
            continue;
        }
        std::vector<std::byte> skip;
        byte_builder(skip).put(record_header_event_type).put<std::uint16_t>(0).put(size);
        result = write_at(at, skip);
    }
    if (result == 0) result = write_at(0, header);
    return result;
}

}  // namespace ehtrace
