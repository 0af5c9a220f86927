#include <ehtrace/decode/perf_data_reader.hpp>

#include <ehtrace/decode/capture_reader.hpp>
#include <ehtrace/decode/event_enumerator.hpp>

#include "../decode/byte_order.hpp"
#include "perf_data_abi.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include <sys/mman.h>
#include <sys/stat.h>

namespace ehtrace::decode {
namespace {

using namespace ehtrace::perf_data;

constexpr std::size_t max_tracing_data = 256u << 20;

template <class T>
T read_at(std::span<const std::byte> s, std::size_t offset) {
    return load<T>(s.data() + offset);
}

bool fits(std::span<const std::byte> s, std::uint64_t offset, std::uint64_t size) {
    return offset <= s.size() && s.size() - offset >= size;
}

std::string offset_text(std::uint64_t v) { return std::to_string(v); }

// perf's length-prefixed, NUL-padded string.
bool read_header_string(std::span<const std::byte> data, std::size_t& pos, std::string& out) {
    if (!fits(data, pos, 4)) return false;
    const std::uint32_t length = read_at<std::uint32_t>(data, pos);
    pos += 4;
    if (!fits(data, pos, length)) return false;
    const auto* p = reinterpret_cast<const char*>(data.data() + pos);
    out.assign(p, strnlen(p, length));
    pos += length;
    return true;
}

}  // namespace

input_layout detect_input_layout(std::span<const std::byte> first) noexcept {
    if (first.size() >= 16 && load<std::uint64_t>(first.data()) == perf_magic) {
        const std::uint64_t header_size = load<std::uint64_t>(first.data() + 8);
        if (header_size == pipe_header_size) return input_layout::perf_pipe;
        return input_layout::perf_file;
    }
    if (looks_like_capture(first)) return input_layout::capture;
    return input_layout::unknown;
}

perf_data_reader::perf_data_reader(byte_source& input) : input_(input) {}

perf_data_reader::~perf_data_reader() {
    if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
    std::free(queue_);
}

bool perf_data_reader::fail(std::string message, std::uint64_t offset) {
    if (!error_) error_ = {std::move(message), offset};
    return false;
}

bool perf_data_reader::open() {
    opened_ = true;
    const auto head = input_.peek(pipe_header_size);
    if (head.size() < pipe_header_size) {
        return fail(head.empty() ? "empty input" : "truncated perf.data header", 0);
    }
    const std::uint64_t magic = read_at<std::uint64_t>(head, 0);
    if (magic == perf_magic_swapped) return fail("perf.data from an opposite-endian machine is not supported", 0);
    if (magic != perf_magic) return fail("not a perf.data file (bad magic)", 0);
    const std::uint64_t header_size = read_at<std::uint64_t>(head, 8);
    if (header_size == pipe_header_size) {
        pipe_ = true;
        input_.consume(pipe_header_size);
        return true;
    }
    if (header_size < file_header_size) return fail("bad perf.data header size " + offset_text(header_size), 8);
    return open_file_layout();
}

bool perf_data_reader::open_file_layout() {
    file_ = input_.memory();
    if (file_.empty()) {
        struct stat st {};
        if (fstat(input_.fd(), &st) != 0 || !S_ISREG(st.st_mode)) {
            return fail("perf.data file layout needs a seekable file (use perf record -o - for pipes)", 0);
        }
        mapping_size_ = static_cast<std::size_t>(st.st_size);
        mapping_ = mmap(nullptr, mapping_size_, PROT_READ, MAP_PRIVATE, input_.fd(), 0);
        if (mapping_ == MAP_FAILED) {
            mapping_ = nullptr;
            return fail("cannot map perf.data file", 0);
        }
        madvise(mapping_, mapping_size_, MADV_SEQUENTIAL);
        file_ = {static_cast<const std::byte*>(mapping_), mapping_size_};
    }
    if (!fits(file_, 0, file_header_size)) return fail("truncated perf.data header", 0);
    const std::uint64_t attr_size = read_at<std::uint64_t>(file_, 16);
    const std::uint64_t attrs_offset = read_at<std::uint64_t>(file_, 24);
    const std::uint64_t attrs_size = read_at<std::uint64_t>(file_, 32);
    data_pos_ = read_at<std::uint64_t>(file_, 40);
    const std::uint64_t data_size = read_at<std::uint64_t>(file_, 48);

    if (attr_size < 16 + 64 || attr_size > 4096) return fail("bad attr size " + offset_text(attr_size), 16);
    if (!fits(file_, attrs_offset, attrs_size)) return fail("attr section outside the file", 24);
    for (std::uint64_t pos = attrs_offset; pos + attr_size <= attrs_offset + attrs_size; pos += attr_size) {
        const auto attr = file_.subspan(pos, attr_size - 16);
        const std::uint64_t ids_offset = read_at<std::uint64_t>(file_, pos + attr_size - 16);
        const std::uint64_t ids_size = read_at<std::uint64_t>(file_, pos + attr_size - 8);
        if (!fits(file_, ids_offset, ids_size)) return fail("attr id list outside the file", pos);
        if (!add_attr(attr, file_.subspan(ids_offset, ids_size), pos)) return false;
    }

    // perf leaves data.size 0 when it was killed before finishing the header:
    // then the data runs to the end of the file.
    if (data_pos_ > file_.size()) return fail("data section outside the file", 40);
    // data_size comes from the file: compare without overflowing data_pos_ + data_size.
    if (data_size != 0 && data_size > file_.size() - data_pos_) {
        // Truncated file: read what is there, report the damage at the end.
        declared_data_end_ = data_size > ~std::uint64_t{0} - data_pos_ ? ~std::uint64_t{0} : data_pos_ + data_size;
        data_end_ = file_.size();
    } else {
        data_end_ = data_size == 0 ? file_.size() : data_pos_ + data_size;
        session_.finalised = data_size != 0;
        // Feature sections follow the data, one {offset,size} per set bit.
        std::uint64_t section = data_pos_ + data_size;
        for (std::size_t bit = 0; bit != feature_bits; ++bit) {
            const std::uint64_t word = read_at<std::uint64_t>(file_, 72 + 8 * (bit / 64));
            if (!(word >> (bit % 64) & 1)) continue;
            if (!fits(file_, section, 16)) break;  // missing feature index: the data is still usable
            const std::uint64_t offset = read_at<std::uint64_t>(file_, section);
            const std::uint64_t size = read_at<std::uint64_t>(file_, section + 8);
            if (fits(file_, offset, size) && !handle_feature(bit, file_.subspan(offset, size), offset)) return false;
            section += 16;
        }
    }
    return true;
}

bool perf_data_reader::add_attr(std::span<const std::byte> attr, std::span<const std::byte> ids, std::uint64_t offset) {
    if (attr.size() < 48) return fail("perf_event_attr too short", offset);
    // A file may declare an event twice (in the header and as an in-stream
    // record): the second declaration adds nothing.
    bool known = ids.size() >= 8;
    for (std::size_t i = 0; known && i + 8 <= ids.size(); i += 8)
        known = events_by_id_.count(read_at<std::uint64_t>(ids, i));
    if (known) return true;
    auto desc = std::make_unique<event_entry>();
    desc->type = read_at<std::uint32_t>(attr, 0);
    desc->config = read_at<std::uint64_t>(attr, 8);
    desc->sample_type = read_at<std::uint64_t>(attr, 24);
    desc->read_format = read_at<std::uint64_t>(attr, 32);
    desc->sample_id_all = read_at<std::uint64_t>(attr, 40) & attr_flag_sample_id_all;
    if (events_.empty()) {
        const std::uint64_t st = desc->sample_type;
        if (st & sample_identifier) {
            id_position_ = 0;
        } else if (st & sample_id) {
            id_position_ = !!(st & sample_ip) + !!(st & sample_tid) + !!(st & sample_time) + !!(st & sample_addr);
        }
    }
    if (const std::uint64_t st = desc->sample_type; !(st & (sample_read | sample_callchain))) {
        // Every field before the raw data has a fixed size: note where each is.
        std::uint32_t pos = record_header_size;
        const auto skip = [&](std::uint64_t bit) { pos += st & bit ? 8 : 0; };
        const auto at = [&](std::uint64_t bit, std::uint32_t& where) {
            if (st & bit) where = pos, pos += 8;
        };
        skip(sample_identifier);
        skip(sample_ip);
        at(sample_tid, desc->tid_at);
        at(sample_time, desc->time_at);
        skip(sample_addr);
        skip(sample_id);
        skip(sample_stream_id);
        at(sample_cpu, desc->cpu_at);
        skip(sample_period);
        if (st & sample_raw) desc->raw_at = pos, pos += 4;
        desc->fixed_size = pos;
        desc->fixed_layout = true;
    }
    for (std::size_t i = 0; i + 8 <= ids.size(); i += 8) events_by_id_[read_at<std::uint64_t>(ids, i)] = desc.get();
    events_.push_back(std::move(desc));
    names_resolved_ = false;
    return true;
}

bool perf_data_reader::handle_feature(std::uint64_t feature, std::span<const std::byte> data, std::uint64_t offset) {
    std::size_t pos = 0;
    switch (feature) {
    case feature_tracing_data: return parse_tracing_data(data, offset);
    case feature_hostname: read_header_string(data, pos, session_.hostname); return true;
    case feature_osrelease: read_header_string(data, pos, session_.os_release); return true;
    case feature_event_desc: return parse_event_desc(data, offset);
    case feature_clockid:
        if (data.size() >= 8) session_.clockid = static_cast<std::uint32_t>(read_at<std::uint64_t>(data, 0));
        return true;
    case feature_clock_data:
        // u32 version, u32 clockid, u64 wall-clock ns, u64 clockid ns (same instant)
        if (data.size() >= 24 && read_at<std::uint32_t>(data, 0) >= 1) {
            session_.clockid = read_at<std::uint32_t>(data, 4);
            session_.wall_minus_clock_ns =
                static_cast<std::int64_t>(read_at<std::uint64_t>(data, 8) - read_at<std::uint64_t>(data, 16));
            session_.has_clock_data = true;
        }
        return true;
    default: return true;
    }
}

bool perf_data_reader::parse_event_desc(std::span<const std::byte> data, std::uint64_t offset) {
    if (data.size() < 8) return true;
    const std::uint32_t count = read_at<std::uint32_t>(data, 0);
    const std::uint32_t attr_size = read_at<std::uint32_t>(data, 4);
    std::size_t pos = 8;
    for (std::uint32_t i = 0; i != count; ++i) {
        if (!fits(data, pos, std::uint64_t{attr_size} + 4)) return fail("truncated EVENT_DESC", offset + pos);
        pos += attr_size;
        const std::uint32_t id_count = read_at<std::uint32_t>(data, pos);
        pos += 4;
        std::string name;
        if (!read_header_string(data, pos, name) || !fits(data, pos, std::uint64_t{id_count} * 8)) {
            return fail("truncated EVENT_DESC", offset + pos);
        }
        for (std::uint32_t k = 0; k != id_count; ++k, pos += 8) names_by_id_[read_at<std::uint64_t>(data, pos)] = name;
    }
    names_resolved_ = false;
    return true;
}

// Layout from perf's trace-event-read.c: magic, version, endianness, long
// size, page size, header_page, header_event, ftrace formats, then per system
// its event formats; kallsyms and printk formats follow and are not needed.
bool perf_data_reader::parse_tracing_data(std::span<const std::byte> data, std::uint64_t offset) {
    static constexpr unsigned char magic[] = {0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g'};
    std::size_t pos = 0;
    const auto bad = [&](const char* what) { return fail(std::string("bad TRACING_DATA: ") + what, offset + pos); };
    if (data.size() < sizeof magic || std::memcmp(data.data(), magic, sizeof magic) != 0) return bad("magic");
    pos = sizeof magic;
    const auto* version_end = static_cast<const std::byte*>(std::memchr(data.data() + pos, 0, data.size() - pos));
    if (version_end == nullptr) return bad("version");
    pos = static_cast<std::size_t>(version_end - data.data()) + 1;
    if (!fits(data, pos, 6)) return bad("truncated");
    const bool swap = (static_cast<unsigned>(data[pos]) != 0) != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
    pos += 2 + 4;  // endianness, long size, page size
    const auto u32 = [&](std::uint32_t& v) {
        if (!fits(data, pos, 4)) return false;
        v = load<std::uint32_t>(data.data() + pos, swap);
        pos += 4;
        return true;
    };
    const auto sized_block = [&](std::span<const std::byte>& block) {
        if (!fits(data, pos, 8)) return false;
        const std::uint64_t size = load<std::uint64_t>(data.data() + pos, swap);
        pos += 8;
        if (!fits(data, pos, size)) return false;
        block = data.subspan(pos, size);
        pos += size;
        return true;
    };
    const auto named = [&](std::string_view name) {
        if (!fits(data, pos, name.size() + 1) || std::memcmp(data.data() + pos, name.data(), name.size()) != 0) {
            return false;
        }
        pos += name.size() + 1;
        return true;
    };
    const auto add_format = [&](std::span<const std::byte> text, std::string_view system) {
        auto format = std::make_unique<tracepoint_layout>();
        if (!parse_tracepoint_layout({reinterpret_cast<const char*>(text.data()), text.size()}, *format)) return;
        format->system = std::string(system);
        formats_by_id_[format->id] = format.get();
        formats_.push_back(std::move(format));
    };
    std::span<const std::byte> block;
    if (!named("header_page") || !sized_block(block)) return bad("header_page");
    if (!named("header_event") || !sized_block(block)) return bad("header_event");
    std::uint32_t count = 0;
    if (!u32(count)) return bad("ftrace count");
    for (std::uint32_t i = 0; i != count; ++i) {
        if (!sized_block(block)) return bad("ftrace format");
        add_format(block, "ftrace");
    }
    std::uint32_t systems = 0;
    if (!u32(systems)) return bad("system count");
    for (std::uint32_t s = 0; s != systems; ++s) {
        const auto* end = static_cast<const std::byte*>(std::memchr(data.data() + pos, 0, data.size() - pos));
        if (end == nullptr) return bad("system name");
        const std::string_view system(reinterpret_cast<const char*>(data.data() + pos),
                                      static_cast<std::size_t>(end - (data.data() + pos)));
        pos += system.size() + 1;
        if (!u32(count)) return bad("event count");
        for (std::uint32_t i = 0; i != count; ++i) {
            if (!sized_block(block)) return bad("event format");
            add_format(block, system);
        }
    }
    names_resolved_ = false;
    return true;
}

void perf_data_reader::resolve_names() {
    for (const auto& [id, desc] : events_by_id_) {
        if (auto it = names_by_id_.find(id); it != names_by_id_.end() && desc->name.empty()) desc->name = it->second;
    }
    for (auto& desc : events_) {
        if (desc->type != attr_type_tracepoint) continue;
        if (auto it = formats_by_id_.find(static_cast<std::uint32_t>(desc->config)); it != formats_by_id_.end()) {
            desc->format = it->second;
            desc->name = it->second->full_name();
        }
    }
    names_resolved_ = true;
}

// The queue is full: drops the samples already returned when they are at
// least half of it (moving the others to the front), else doubles the
// storage. Entries are trivially copyable: moved as bytes.
[[gnu::noinline]] void perf_data_reader::grow_queue() {
    static_assert(std::is_trivially_copyable_v<pending>);
    if (head_ != 0 && head_ >= queue_capacity_ / 2) {
        std::memmove(queue_, queue_ + head_, (queue_size_ - head_) * sizeof(pending));
        queue_size_ -= head_;
        ready_end_ -= head_;
        head_ = 0;
        return;
    }
    const std::size_t capacity = queue_capacity_ == 0 ? 256 : queue_capacity_ * 2;
    // realloc: the block often grows in place (a large one by remapping its
    // pages) rather than by copying.
    auto* grown = static_cast<pending*>(std::realloc(queue_, capacity * sizeof(pending)));
    if (grown == nullptr) throw std::bad_alloc();
    queue_ = grown;
    queue_capacity_ = capacity;
}

// The sample of an event with a fixed layout (record.size() >= fixed_size and
// its raw_size bytes of raw data checked to fit).
[[gnu::always_inline]] inline perf_data_reader::pending perf_data_reader::fixed_layout_sample(
    const event_entry* desc, std::span<const std::byte> record, std::uint64_t offset, std::uint32_t raw_size) {
    pending p;
    p.time = 0;
    p.offset = offset;
    p.event = desc;
    p.raw_data = desc->raw_at != 0 ? record.data() + desc->raw_at + 4 : nullptr;
    p.raw_size = raw_size;
    p.cpu = 0;
    p.pid = 0;
    p.tid = 0;
    p.copy = no_copy;
    p.flags = 0;
    if (desc->tid_at != 0) {
        p.flags |= flag_tid;
        p.pid = read_at<std::uint32_t>(record, desc->tid_at);
        p.tid = read_at<std::uint32_t>(record, desc->tid_at + 4);
    }
    if (desc->time_at != 0) {
        p.flags |= flag_time;
        p.time = read_at<std::uint64_t>(record, desc->time_at);
    }
    if (desc->cpu_at != 0) {
        p.flags |= flag_cpu;
        p.cpu = read_at<std::uint32_t>(record, desc->cpu_at);
    }
    return p;
}

// Queues a sample (raw_data pointing into the input): its copy of the raw
// bytes for pipe input, ordering state, memory bound.
[[gnu::always_inline]] inline void perf_data_reader::enqueue(const pending& sample) {
    if (queue_size_ == queue_capacity_) [[unlikely]]
        grow_queue();
    pending* const p = new (queue_ + queue_size_) pending(sample);
    ++queue_size_;
    if (pipe_ && p->raw_size != 0) {
        // The input buffer is reused by the next read: keep a copy.
        std::uint32_t slot = 0;
        if (!free_copies_.empty()) {
            slot = free_copies_.back();
            free_copies_.pop_back();
        } else {
            slot = static_cast<std::uint32_t>(copies_.size());
            copies_.emplace_back();
        }
        std::vector<std::byte>& copy = copies_[slot];
        copy.assign(p->raw_data, p->raw_data + p->raw_size);
        p->raw_data = copy.data();  // a vector's bytes stay put when copies_ grows
        p->copy = slot;
    }  // else the file stays mapped: no copy
    max_time_ = std::max(max_time_, p->time);
    pending_bytes_ += p->raw_size + pending_overhead;
    if (queue_size_ - 1 != ready_end_ && p->time < p[-1].time) pending_sorted_ = false;
    if (pending_bytes_ > max_pending_bytes) release_until(~std::uint64_t{0});
}

// The usual sample, of the only event or of an event whose fields before the
// raw data all have fixed sizes, inline; anything else (and every failure)
// in handle_sample_general.
[[gnu::always_inline]] inline bool perf_data_reader::handle_sample(std::span<const std::byte> record,
                                                                   std::uint64_t offset) {
    if (events_.size() != 1) return handle_sample_general(record, offset);
    const event_entry* desc = events_.front().get();
    if (!desc->fixed_layout || record.size() < desc->fixed_size) return handle_sample_general(record, offset);
    std::uint32_t raw_size = 0;
    if (desc->raw_at != 0) {
        raw_size = read_at<std::uint32_t>(record, desc->raw_at);
        if (!fits(record, desc->raw_at + 4, raw_size)) return handle_sample_general(record, offset);
    }
    enqueue(fixed_layout_sample(desc, record, offset, raw_size));
    return true;
}

bool perf_data_reader::handle_sample_general(std::span<const std::byte> record, std::uint64_t offset) {
    if (events_.empty()) return fail("sample before any event attributes", offset);
    const event_entry* desc = events_.front().get();
    const std::size_t body = record_header_size;
    if (events_.size() > 1 && id_position_ >= 0) {
        const std::size_t at = body + 8 * static_cast<std::size_t>(id_position_);
        if (!fits(record, at, 8)) return fail("sample too short for its id", offset);
        const auto it = events_by_id_.find(read_at<std::uint64_t>(record, at));
        if (it == events_by_id_.end()) return true;  // an id no attr declared: not ours to decode
        desc = it->second;
    }
    if (desc->fixed_layout && record.size() >= desc->fixed_size) {
        // The usual sample: every field at a known place, all of them present.
        std::uint32_t raw_size = 0;
        if (desc->raw_at != 0) {
            raw_size = read_at<std::uint32_t>(record, desc->raw_at);
            if (!fits(record, desc->raw_at + 4, raw_size)) return fail("raw data runs past its sample", offset);
        }
        enqueue(fixed_layout_sample(desc, record, offset, raw_size));
        return true;
    }
    const std::uint64_t st = desc->sample_type;
    std::size_t pos = body;
    pending p{};
    p.event = desc;
    p.offset = offset;
    p.copy = no_copy;
    const auto need = [&](std::size_t n) { return fits(record, pos, n); };
    const auto skip_u64 = [&](std::uint64_t bit) {
        if (!(st & bit)) return true;
        if (!need(8)) return false;
        pos += 8;
        return true;
    };
    if (!skip_u64(sample_identifier) || !skip_u64(sample_ip)) return fail("truncated sample", offset);
    if (st & sample_tid) {
        if (!need(8)) return fail("truncated sample", offset);
        p.flags |= flag_tid;
        p.pid = read_at<std::uint32_t>(record, pos);
        p.tid = read_at<std::uint32_t>(record, pos + 4);
        pos += 8;
    }
    if (st & sample_time) {
        if (!need(8)) return fail("truncated sample", offset);
        p.time = read_at<std::uint64_t>(record, pos);
        p.flags |= flag_time;
        pos += 8;
    }
    if (!skip_u64(sample_addr) || !skip_u64(sample_id) || !skip_u64(sample_stream_id)) {
        return fail("truncated sample", offset);
    }
    if (st & sample_cpu) {
        if (!need(8)) return fail("truncated sample", offset);
        p.flags |= flag_cpu;
        p.cpu = read_at<std::uint32_t>(record, pos);
        pos += 8;
    }
    if (!skip_u64(sample_period)) return fail("truncated sample", offset);
    if (st & sample_read) {
        const std::uint64_t rf = desc->read_format;
        const std::uint64_t times = !!(rf & read_total_time_enabled) + !!(rf & read_total_time_running);
        const std::uint64_t per_value = 1 + !!(rf & read_id) + !!(rf & read_lost);
        std::uint64_t words = 0;
        if (rf & read_group) {
            if (!need(8)) return fail("truncated sample", offset);
            const std::uint64_t nr = read_at<std::uint64_t>(record, pos);
            if (nr > record.size()) return fail("bad read_format group size", offset);
            words = 1 + times + nr * per_value;
        } else {
            words = times + per_value;
        }
        if (!need(words * 8)) return fail("truncated sample", offset);
        pos += words * 8;
    }
    if (st & sample_callchain) {
        if (!need(8)) return fail("truncated sample", offset);
        const std::uint64_t nr = read_at<std::uint64_t>(record, pos);
        if (nr > record.size() / 8 || !fits(record, pos + 8, nr * 8)) return fail("truncated sample", offset);
        pos += 8 + nr * 8;
    }
    std::span<const std::byte> raw;
    if (st & sample_raw) {
        if (!need(4)) return fail("truncated sample", offset);
        const std::uint32_t size = read_at<std::uint32_t>(record, pos);
        if (!fits(record, pos + 4, size)) return fail("raw data runs past its sample", offset);
        raw = record.subspan(pos + 4, size);
    }

    p.raw_data = raw.data();
    p.raw_size = static_cast<std::uint32_t>(raw.size());
    enqueue(p);
    return true;
}

// Moves the waiting samples with time <= limit, in (time, file order) order,
// to the end of the released ones; the others keep waiting in file order.
void perf_data_reader::release_until(std::uint64_t limit) {
    pending* const first = queue_ + ready_end_;
    pending* const end = queue_ + queue_size_;
    auto split = first;
    if (pending_sorted_) {
        // The usual case, samples in time order: those up to `limit` are a
        // prefix, already in (time, file order) order.
        split = std::partition_point(first, end, [limit](const pending& p) { return p.time <= limit; });
    } else {
        // Waiting samples are in file order, and both steps are stable: equal
        // times stay in file order.
        split = std::stable_partition(first, end, [limit](const pending& p) { return p.time <= limit; });
        std::stable_sort(first, split, [](const pending& a, const pending& b) { return a.time < b.time; });
        pending_sorted_ =
            std::is_sorted(split, end, [](const pending& a, const pending& b) { return a.time < b.time; });
    }
    for (auto it = first; it != split; ++it) pending_bytes_ -= it->raw_size + pending_overhead;
    ready_end_ = static_cast<std::size_t>(split - queue_);
}

bool perf_data_reader::handle_record(std::span<const std::byte> record, std::uint64_t offset) {
    const std::uint32_t type = read_at<std::uint32_t>(record, 0);
    switch (type) {
    case record_sample: return handle_sample(record, offset);
    case record_finished_round:
        // perf's rule: everything up to the newest time seen before the
        // previous round marker is final.
        release_until(flush_limit_);
        flush_limit_ = max_time_;
        return true;
    case record_header_attr: {
        if (record.size() < record_header_size + 8) return fail("truncated attr record", offset);
        std::uint32_t attr_size = read_at<std::uint32_t>(record, record_header_size + 4);
        if (attr_size == 0) attr_size = 64;
        if (!fits(record, record_header_size, attr_size)) return fail("truncated attr record", offset);
        return add_attr(record.subspan(record_header_size, attr_size), record.subspan(record_header_size + attr_size),
                        offset);
    }
    case record_comm: {
        // u32 pid, u32 tid, the name NUL-terminated (padded), then the
        // sample_id trailer whose time says from when the name holds.
        if (record.size() < record_header_size + 9) return true;
        const std::uint32_t tid = read_at<std::uint32_t>(record, record_header_size + 4);
        const auto name = record.subspan(record_header_size + 8);
        const auto* text = reinterpret_cast<const char*>(name.data());
        std::uint64_t time = 0;
        if (!events_.empty() && events_.front()->sample_id_all) {
            // From the end: IDENTIFIER, CPU, STREAM_ID, ID, then TIME.
            const std::uint64_t st = events_.front()->sample_type;
            if (st & sample_time) {
                const std::size_t after = 8u * (((st & sample_identifier) != 0) + ((st & sample_cpu) != 0) +
                                                ((st & sample_stream_id) != 0) + ((st & sample_id) != 0));
                if (record.size() >= record_header_size + 8 + after + 8) {
                    time = read_at<std::uint64_t>(record, record.size() - after - 8);
                }
            }
        }
        add_thread_name(tid, time, std::string(text, strnlen(text, std::min<std::size_t>(name.size(), 16))));
        return true;
    }
    case record_fork: {
        // u32 pid, ppid, tid, ptid, u64 time: the child starts with its parent's name.
        if (record.size() < record_header_size + 24) return true;
        const std::uint32_t tid = read_at<std::uint32_t>(record, record_header_size + 8);
        const std::uint32_t parent = read_at<std::uint32_t>(record, record_header_size + 12);
        const std::uint64_t time = read_at<std::uint64_t>(record, record_header_size + 16);
        if (const std::string_view name = thread_name_at(parent, time); !name.empty()) {
            add_thread_name(tid, time, std::string(name));
        }
        return true;
    }
    case record_lost:            // u64 id, u64 lost, sample_id trailer
    case record_lost_samples: {  // u64 lost, sample_id trailer
        const std::size_t at = record_header_size + (type == record_lost ? 8 : 0);
        if (record.size() < at + 8) return true;
        session_.lost_events += read_at<std::uint64_t>(record, at);
        ++session_.lost_records;
        return true;
    }
    case record_header_feature:
        if (record.size() < record_header_size + 8) return fail("truncated feature record", offset);
        return handle_feature(read_at<std::uint64_t>(record, record_header_size), record.subspan(16), offset + 16);
    default: return true;
    }
}

// Maps the next stretch of the mapped file in one call rather than a page
// fault per few pages (the records are read in order). Only speed depends on
// it: when the kernel cannot, the pages fault in as before.
void perf_data_reader::populate_ahead() noexcept {
    constexpr std::uint64_t stretch = 8u << 20;
#ifdef MADV_POPULATE_READ
    constexpr int populate_read = MADV_POPULATE_READ;
#else
    constexpr int populate_read = 22;  // Linux 5.14
#endif
    if (mapping_ == nullptr) {
        populated_end_ = ~std::uint64_t{0};
        return;
    }
    const std::uint64_t page = 4096;
    const std::uint64_t begin = data_pos_ / page * page;
    const std::uint64_t end = std::min<std::uint64_t>(mapping_size_, begin + stretch);
    if (begin >= end || madvise(static_cast<char*>(mapping_) + begin, end - begin, populate_read) != 0) {
        populated_end_ = ~std::uint64_t{0};
        return;
    }
    populated_end_ = end;
}

bool perf_data_reader::read_file_record() {
    if (data_pos_ == data_end_) {
        if (declared_data_end_ > data_end_) {
            return fail("file truncated: data section should end at offset " + offset_text(declared_data_end_),
                        data_end_);
        }
        finished_ = true;
        return true;
    }
    if (data_pos_ >= populated_end_) populate_ahead();
    // A file nobody finished (data size 0) ends where its writer stopped,
    // maybe inside a record: the records before it are the data.
    const auto cut_short = [&](const char* what) {
        if (session_.finalised) return fail(what, data_pos_);
        finished_ = true;
        return true;
    };
    if (data_end_ - data_pos_ < record_header_size) return cut_short("truncated record header");
    const std::uint16_t size = read_at<std::uint16_t>(file_, data_pos_ + 6);
    if (size < record_header_size) return fail("bad record size " + std::to_string(size), data_pos_);
    if (data_end_ - data_pos_ < size) return cut_short("truncated record");
    // The records are read once, in order, and each is done with long before
    // DRAM answers for the next: without this, reading each record's size
    // waited on memory for as long as decoding the record took. The bytes
    // that far ahead are asked for now, as many as this record has.
    constexpr std::uint64_t prefetch_distance = 4096;
    if (data_end_ - data_pos_ > prefetch_distance + size) {
        const auto* ahead = file_.data() + data_pos_ + prefetch_distance;
        for (std::uint64_t line = 0; line < size; line += 64) __builtin_prefetch(ahead + line);
    }
    const auto record = file_.subspan(data_pos_, size);
    const std::uint64_t offset = data_pos_;
    const std::uint32_t type = read_at<std::uint32_t>(record, 0);
    if (type == record_header_tracing_data && size >= 12) {
        // The formats follow the record (perf's layout in pipes, also valid in files).
        const std::uint32_t extra = read_at<std::uint32_t>(record, 8);
        if (data_end_ - data_pos_ - size < extra) return cut_short("truncated tracing data");
        data_pos_ += size + extra;
        return parse_tracing_data(file_.subspan(offset + size, extra), offset + size);
    }
    data_pos_ += size;
    if (type == record_sample) return handle_sample(record, offset);
    if (type == record_auxtrace && size >= 16) {
        const std::uint64_t extra = read_at<std::uint64_t>(record, 8);
        if (data_end_ - data_pos_ < extra) return fail("truncated auxtrace data", offset);
        data_pos_ += extra;
    }
    return handle_record(record, offset);
}

bool perf_data_reader::read_pipe_record() {
    const std::uint64_t offset = input_.offset();
    auto header = input_.peek(record_header_size);
    if (header.empty()) {
        if (!input_.io_error().empty()) return fail("read error: " + input_.io_error(), offset);
        finished_ = true;
        return true;
    }
    if (header.size() < record_header_size) return fail("truncated record header", offset);
    const std::uint32_t type = read_at<std::uint32_t>(header, 0);
    const std::uint16_t size = read_at<std::uint16_t>(header, 6);
    if (size < record_header_size) return fail("bad record size " + std::to_string(size), offset);
    const auto record = input_.peek(size);
    if (record.size() < size) return fail("truncated record", offset);
    if (type == record_header_tracing_data) {
        if (size < 12) return fail("bad tracing data record", offset);
        const std::uint32_t data_size = read_at<std::uint32_t>(record, 8);
        input_.consume(size);
        if (data_size > max_tracing_data) return fail("tracing data too large", offset);
        const auto data = input_.peek(data_size);
        if (data.size() < data_size) return fail("truncated tracing data", offset);
        const bool ok = parse_tracing_data(data, offset + size);
        input_.consume(data_size);
        return ok;
    }
    if (type == record_auxtrace && size >= 16) {
        const std::uint64_t extra = read_at<std::uint64_t>(record, 8);
        input_.consume(size);
        return input_.skip(extra) || fail("truncated auxtrace data", offset);
    }
    const bool ok = handle_record(record, offset);
    input_.consume(size);
    return ok;
}

void perf_data_reader::add_thread_name(std::uint32_t tid, std::uint64_t since, std::string name) {
    auto& names = comms_[tid];
    const auto at = std::upper_bound(names.begin(), names.end(), since,
                                     [](std::uint64_t t, const thread_name& n) { return t < n.since; });
    names.insert(at, thread_name{since, std::move(name)});
    comm_cache_tid_ = no_tid;
}

// The name thread `tid` had at `time`: the latest COMM record not after it,
// else the first one seen (a sample before any name change).
std::string_view perf_data_reader::thread_name_at(std::uint32_t tid, std::uint64_t time) {
    if (tid == comm_cache_tid_ && time >= comm_cache_since_ && time < comm_cache_until_) return comm_cache_;
    const auto it = comms_.find(tid);
    if (it == comms_.end() || it->second.empty()) return {};
    const auto& names = it->second;
    auto at = std::upper_bound(names.begin(), names.end(), time,
                               [](std::uint64_t t, const thread_name& n) { return t < n.since; });
    comm_cache_until_ = at == names.end() ? ~std::uint64_t{0} : at->since;
    if (at != names.begin()) --at;
    comm_cache_since_ = at == names.begin() ? 0 : at->since;
    comm_cache_tid_ = tid;
    comm_cache_ = at->name;
    return comm_cache_;
}

bool perf_data_reader::next(perf_sample& sample) {
    if (returned_copy_ != no_copy) {
        free_copies_.push_back(returned_copy_);  // the last sample's bytes may be reused now
        returned_copy_ = no_copy;
    }
    if (!opened_ && !open()) return false;
    if (head_ == queue_size_ && head_ != 0) {
        // Every sample returned, none waiting: start the queue again. (Else
        // returned ones are dropped when the queue is full, see grow_queue.)
        head_ = ready_end_ = queue_size_ = 0;
    }
    while (head_ == ready_end_) {
        if (finished_ || error_) {
            // End or damage: what was read before it still counts.
            release_until(~std::uint64_t{0});
            if (head_ == ready_end_) return false;
            break;
        }
        if (!(pipe_ ? read_pipe_record() : read_file_record())) continue;
    }
    if (!names_resolved_) resolve_names();
    const pending& p = queue_[head_++];
    sample.event = p.event;
    sample.meta.has_time = (p.flags & flag_time) != 0;
    sample.meta.time_is_utc = false;
    sample.meta.time_ns = p.time;
    sample.meta.has_cpu = (p.flags & flag_cpu) != 0;
    sample.meta.cpu = p.cpu;
    sample.meta.has_tid = (p.flags & flag_tid) != 0;
    sample.meta.pid = p.pid;
    sample.meta.tid = p.tid;
    sample.meta.comm = {};
    if (!comms_.empty() && (p.flags & flag_tid) != 0) sample.meta.comm = thread_name_at(p.tid, p.time);
    sample.perf_time = p.time;
    if (session_.has_clock_data && (p.flags & flag_time) != 0) {
        // Modulo 2^64: both values come from the file, a signed sum could overflow.
        sample.meta.time_ns = p.time + static_cast<std::uint64_t>(session_.wall_minus_clock_ns);
        sample.meta.time_is_utc = true;
    }
    sample.offset = p.offset;
    sample.raw = {p.raw_data, p.raw_size};
    returned_copy_ = p.copy;  // its bytes stay until the next call
    return true;
}

}  // namespace ehtrace::decode
