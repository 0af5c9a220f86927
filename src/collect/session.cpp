// perf_event_open session. Layout per CPU: one dummy software event owns the
// mmap'ed ring buffer; every tracepoint's event on that CPU sends its records
// there (PERF_EVENT_IOC_SET_OUTPUT), so a CPU has one ring whatever the
// number of tracepoints. Samples carry IDENTIFIER first, which maps them back
// to their tracepoint (PERF_EVENT_IOC_ID).
#include <ehtrace/collect/session.hpp>

#include <ehtrace/decode/sample.hpp>
#include <ehtrace/perf_data_writer.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <string>
#include <unordered_map>

#include <dirent.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ehtrace::collect {
namespace {

constexpr std::uint64_t sample_type =
    PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_RAW;

std::uint64_t clock_ns(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::vector<int> online_cpus() {
    std::vector<int> cpus;
    std::string text;
    if (read_text_file("/sys/devices/system/cpu/online", text) == 0) {
        // "0-3,5,7-8"
        std::size_t i = 0;
        auto number = [&](int& out) {
            if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
            out = 0;
            while (i < text.size() && text[i] >= '0' && text[i] <= '9') out = out * 10 + (text[i++] - '0');
            return true;
        };
        while (i < text.size()) {
            int first = 0, last = 0;
            if (!number(first)) break;
            last = first;
            if (i < text.size() && text[i] == '-') {
                ++i;
                if (!number(last)) break;
            }
            for (int c = first; c <= last && c < 4096; ++c) cpus.push_back(c);
            if (i < text.size() && text[i] == ',') ++i;
            else break;
        }
    }
    if (cpus.empty()) {
        const long n = sysconf(_SC_NPROCESSORS_ONLN);
        for (int c = 0; c < std::max(1L, n); ++c) cpus.push_back(c);
    }
    return cpus;
}

int perf_event_open(perf_event_attr& attr, int pid, int cpu) {
    return static_cast<int>(::syscall(SYS_perf_event_open, &attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

// The COMM, FORK and EXIT records of a task (perf's "tracking" attrs).
void want_task_records(perf_event_attr& attr) {
    attr.comm = 1;
    attr.comm_exec = 1;
    attr.task = 1;
}

// Every thread of `pids` (every process when empty) with its name, from /proc.
struct thread_name {
    std::uint32_t pid, tid;
    std::string comm;
};
std::vector<thread_name> proc_thread_names(const std::vector<int>& tids) {
    std::vector<thread_name> out;
    const auto add = [&](const std::string& pid_text, const std::string& tid_text) {
        std::string comm;
        if (read_text_file("/proc/" + pid_text + "/task/" + tid_text + "/comm", comm) != 0) return;
        while (!comm.empty() && comm.back() == '\n') comm.pop_back();
        out.push_back({static_cast<std::uint32_t>(std::stoul(pid_text)),
                       static_cast<std::uint32_t>(std::stoul(tid_text)), std::move(comm)});
    };
    const auto numeric = [](const char* name) {
        return *name != '\0' && std::strspn(name, "0123456789") == std::strlen(name);
    };
    if (!tids.empty()) {
        for (int tid : tids) {
            // /proc/TID/status names the thread group of any thread id.
            std::string status;
            if (read_text_file("/proc/" + std::to_string(tid) + "/status", status) != 0) continue;
            const auto at = status.find("\nTgid:");
            if (at == std::string::npos) continue;
            add(std::to_string(std::strtoul(status.c_str() + at + 6, nullptr, 10)), std::to_string(tid));
        }
        return out;
    }
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return out;
    while (dirent* p = ::readdir(proc)) {
        if (!numeric(p->d_name)) continue;
        const std::string pid = p->d_name;
        DIR* tasks = ::opendir(("/proc/" + pid + "/task").c_str());
        if (tasks == nullptr) continue;
        while (dirent* t = ::readdir(tasks)) {
            if (numeric(t->d_name)) add(pid, t->d_name);
        }
        ::closedir(tasks);
    }
    ::closedir(proc);
    return out;
}

std::string paranoid_text() {
    std::string text;
    read_text_file("/proc/sys/kernel/perf_event_paranoid", text);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text.empty() ? "unknown" : text;
}

std::string open_error_text(int error, const std::string& what) {
    if (error == EACCES || error == EPERM) {
        return "not permitted to collect " + what + " system-wide (" + std::strerror(error) +
               ", kernel.perf_event_paranoid=" + paranoid_text() +
               "): run as root, or `sysctl -w kernel.perf_event_paranoid=-1`, or give the tool CAP_PERFMON "
               "(`setcap cap_perfmon+ep $(command -v ehtrace-collect)`)";
    }
    if (error == EMFILE || error == ENFILE) {
        return "opening perf events for " + what + " failed: too many open files (" + std::strerror(error) +
               "): raise `ulimit -n`";
    }
    return "opening perf events for " + what + " failed: " + std::strerror(error);
}

}  // namespace

// ---------------------------------------------------------------------------

struct session::impl {
    struct tracepoint_state {
        const tracepoint_meta* meta = nullptr;
        decode::tracepoint_layout format;
        int writer_index = -1;
        std::uint32_t index = 0;  // in session::impl::tracepoints
        std::vector<int> fds;     // one per ring, -1 where the CPU refused
        bool enabled = true;
        std::string filter;  // tracefs filter expression, "" for none
    };

    // The flight recorder of one CPU: whole records in a byte ring, oldest
    // evicted first.
    struct recorder {
        struct stored {
            std::uint64_t time;
            std::uint32_t pid, tid;
            std::uint32_t tracepoint;
            std::uint32_t raw_size;
        };
        struct slot {
            std::size_t offset, size;
        };
        std::vector<std::byte> bytes;
        std::deque<slot> slots;  // oldest first
        std::size_t tail = 0;    // where the next record goes

        // Returns how many records were pushed out.
        std::uint64_t add(const stored& s, std::span<const std::byte> raw) {
            const std::size_t n = (sizeof(stored) + raw.size() + 7) / 8 * 8;
            std::uint64_t evicted = 0;
            if (n > bytes.size()) return 1;  // never fits: counts as pushed out
            if (slots.empty()) tail = 0;
            if (tail + n > bytes.size()) {
                while (!slots.empty() && slots.front().offset >= tail) {
                    slots.pop_front();
                    ++evicted;
                }
                tail = 0;
            }
            while (!slots.empty() && slots.front().offset >= tail && slots.front().offset < tail + n) {
                slots.pop_front();
                ++evicted;
            }
            std::memcpy(bytes.data() + tail, &s, sizeof s);
            std::memcpy(bytes.data() + tail + sizeof s, raw.data(), raw.size());
            slots.push_back({tail, n});
            tail += n;
            return evicted;
        }
    };

    struct ring {
        int cpu = -1;
        int fd = -1;  // the dummy event owning the buffer
        std::byte* map = nullptr;
        std::size_t map_size = 0, data_size = 0;
        recorder flight;
    };

    session_options options;
    tracefs_location location;
    std::unique_ptr<tracefs_cache> cache;
    std::vector<std::unique_ptr<tracepoint_state>> tracepoints;
    std::unordered_map<std::uint64_t, tracepoint_state*> by_sample_id;
    std::vector<ring> rings;
    std::vector<int> tracking;  // the targets' COMM/FORK/EXIT events
    // The thread names seen so far (keep_names()): written at the head of a
    // flight-recorder file (its COMM records are not kept) and given to the
    // callback with each sample.
    struct task_name {
        std::uint32_t pid;
        std::string comm;
    };
    std::unordered_map<std::uint32_t, task_name> names;
    std::unique_ptr<perf_data_writer> writer;
    std::function<void(const collected_sample&)> callback;
    session_stats stats;
    std::int64_t wall_minus_clock = 0;
    bool running = false;
    std::size_t page = 4096;
    std::vector<std::byte> scratch;
    bool wrote_since_round = false;
    // request_stop() may run in a signal handler: only a lock-free flag and
    // an eventfd (in every poll() set, so a waiting poll() wakes) are touched.
    std::atomic<bool> stop_asked{false};
    static_assert(std::atomic<bool>::is_always_lock_free);
    int wake_fd = -1;

    explicit impl(session_options o) : options(std::move(o)) {
        location = locate_tracefs(options.tracefs);
        cache = std::make_unique<tracefs_cache>(location.dir);
        page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
        const std::uint64_t wall = clock_ns(CLOCK_REALTIME);
        const std::uint64_t mono = clock_ns(CLOCK_MONOTONIC);
        wall_minus_clock = static_cast<std::int64_t>(wall - mono);
        // Without it (out of fds) a stop request still ends the loop, only
        // at the end of the current wait instead of at once.
        wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }

    ~impl() {
        if (wake_fd >= 0) ::close(wake_fd);
    }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    tracepoint_state* find(std::string_view spec) {
        for (auto& tp : tracepoints) {
            if (tp->meta->full_name() == spec) return tp.get();
        }
        return nullptr;
    }

    perf_event_attr base_attr() const {
        perf_event_attr attr{};
        attr.size = sizeof attr;
        attr.sample_type = sample_type;
        attr.sample_id_all = 1;
        attr.use_clockid = 1;
        attr.clockid = CLOCK_MONOTONIC;
        attr.disabled = 1;
        return attr;
    }

    int open_rings(std::string* error) {
        std::size_t pages = 1;
        while (pages * page < options.ring_bytes && pages < (1u << 20)) pages *= 2;
        for (int cpu : online_cpus()) {
            perf_event_attr attr = base_attr();
            attr.type = PERF_TYPE_SOFTWARE;
            attr.config = PERF_COUNT_SW_DUMMY;
            attr.watermark = 1;
            attr.wakeup_watermark = static_cast<std::uint32_t>(std::max<std::size_t>(pages * page / 4, 1));
            // System-wide, the ring's owner reports every task; with targets,
            // their own tracking events do (attach_tracking).
            const bool tracks_tasks = options.task_records && options.targets.empty();
            if (tracks_tasks) want_task_records(attr);
            const int fd = perf_event_open(attr, -1, cpu);
            if (fd < 0) {
                const int e = errno;
                if (e == ENODEV) continue;  // offline meanwhile
                if (error) *error = open_error_text(e, "on CPU " + std::to_string(cpu));
                return e;
            }
            ring r;
            r.cpu = cpu;
            r.fd = fd;
            r.data_size = pages * page;
            r.map_size = page + r.data_size;
            void* map = ::mmap(nullptr, r.map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (map == MAP_FAILED) {
                const int e = errno;
                ::close(fd);
                if (error) {
                    *error =
                        "mapping a " + std::to_string(r.data_size / 1024) + " KiB ring buffer for CPU " +
                        std::to_string(cpu) + " failed: " + std::strerror(e) +
                        (e == EPERM ? " (over kernel.perf_event_mlock_kb: use a smaller buffer or run as root)" : "");
                }
                return e;
            }
            r.map = static_cast<std::byte*>(map);
            if (options.circular_bytes_per_cpu) r.flight.bytes.resize(options.circular_bytes_per_cpu);
            rings.push_back(std::move(r));
            // Opened disabled like every event: it reports nothing until
            // enabled, now that its ring is mapped.
            if (tracks_tasks && ::ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
                const int e = errno;
                if (error) *error = open_error_text(e, "on CPU " + std::to_string(cpu));
                return e;
            }
        }
        if (rings.empty()) {
            if (error) *error = "no online CPU accepted a perf event";
            return ENODEV;
        }
        stats.lost_per_cpu.assign(rings.size(), 0);
        return 0;
    }

    // Opens the perf events of `tp` on every ring; enables them if `enable`.
    // The tasks events are opened for: every task (-1), or the targets.
    std::vector<task_target> tasks() const {
        if (options.targets.empty()) return {task_target{-1, false}};
        return options.targets;
    }

    // Targets that exited before start() are left out; ESRCH when all did.
    int check_targets(std::string* error) {
        if (options.targets.empty()) return 0;
        std::vector<task_target> alive;
        for (const auto& t : options.targets) {
            if (::kill(t.tid, 0) == 0 || errno == EPERM) alive.push_back(t);
        }
        if (alive.empty()) {
            if (error) *error = "no thread to record: " + std::to_string(options.targets.front().tid) + " has exited";
            return ESRCH;
        }
        options.targets = std::move(alive);
        return 0;
    }

    // Per target and ring, a dummy event reporting the target's COMM, FORK
    // and EXIT records (and its children's, inherited) into the ring.
    int attach_tracking(std::string* error) {
        if (!options.task_records || options.targets.empty()) return 0;
        for (const auto& t : options.targets) {
            for (const auto& r : rings) {
                perf_event_attr attr = base_attr();
                attr.type = PERF_TYPE_SOFTWARE;
                attr.config = PERF_COUNT_SW_DUMMY;
                attr.inherit = t.inherit;
                want_task_records(attr);
                const int fd = perf_event_open(attr, t.tid, r.cpu);
                if (fd < 0) {
                    const int e = errno;
                    if (e == ESRCH) break;  // exited meanwhile: nothing to report
                    if (error) *error = open_error_text(e, "thread " + std::to_string(t.tid));
                    return e;
                }
                tracking.push_back(fd);
                if (::ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r.fd) != 0 || ::ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
                    const int e = errno;
                    if (error) *error = open_error_text(e, "thread " + std::to_string(t.tid));
                    return e;
                }
            }
        }
        return 0;
    }

    // The names of the threads already running, as COMM records at start.
    void name_existing_threads() {
        if (!options.task_records) return;
        std::vector<int> tids;
        for (const auto& t : options.targets) tids.push_back(t.tid);
        const std::uint64_t now = clock_ns(CLOCK_MONOTONIC);
        for (auto& t : proc_thread_names(tids)) {
            const auto cpu = rings.empty() ? 0u : static_cast<std::uint32_t>(rings.front().cpu);
            if (writing()) note_output_error(writer->write_comm(t.pid, t.tid, t.comm, now, cpu));
            if (keep_names()) names[t.tid] = {t.pid, std::move(t.comm)};
        }
    }

    int attach(tracepoint_state& tp, bool enable, std::string* error) {
        const auto targets = tasks();
        tp.fds.assign(rings.size() * targets.size(), -1);
        for (std::size_t k = 0; k != tp.fds.size(); ++k) {
            const std::size_t i = k % rings.size();
            const task_target& target = targets[k / rings.size()];
            perf_event_attr attr = base_attr();
            attr.type = PERF_TYPE_TRACEPOINT;
            attr.config = tp.meta->id;
            attr.sample_period = 1;
            attr.inherit = target.inherit;
            const int fd = perf_event_open(attr, target.tid, rings[i].cpu);
            if (fd < 0 && errno == ESRCH && target.tid >= 0) continue;  // the thread exited meanwhile
            int e = fd < 0 ? errno : 0;
            if (fd >= 0 && ::ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, rings[i].fd) != 0) e = errno;
            std::uint64_t id = 0;
            if (fd >= 0 && e == 0 && ::ioctl(fd, PERF_EVENT_IOC_ID, &id) != 0) e = errno;
            if (fd >= 0 && e == 0 && !tp.filter.empty() && apply_filter(fd, tp, error) != 0) {
                e = errno;
                ::close(fd);
                detach(tp);
                return e;
            }
            if (e != 0) {
                if (fd >= 0) ::close(fd);
                detach(tp);
                if (error) {
                    *error = e == ENOENT ? "tracepoint " + tp.meta->full_name() + " disappeared (id " +
                                               std::to_string(tp.meta->id) + " unknown to perf)"
                                         : open_error_text(e, tp.meta->full_name());
                }
                return e;
            }
            tp.fds[k] = fd;
            by_sample_id[id] = &tp;
        }
        tp.enabled = enable;
        if (enable) {
            for (int fd : tp.fds) {
                if (fd >= 0 && ::ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
                    const int e = errno;
                    if (error) *error = open_error_text(e, tp.meta->full_name());
                    return e;
                }
            }
        }
        return 0;
    }

    // Sets tp.filter on one perf event; on failure errno is kept.
    static int apply_filter(int fd, const tracepoint_state& tp, std::string* error) {
        if (::ioctl(fd, PERF_EVENT_IOC_SET_FILTER, tp.filter.c_str()) == 0) return 0;
        const int e = errno;
        if (error) {
            *error = "the kernel rejected the filter '" + tp.filter + "' for " + tp.meta->full_name() + " (" +
                     std::strerror(e) +
                     "): use the tracefs filter syntax with the tracepoint's field names, "
                     "e.g. 'pid == 42 && comm ~ \"bash*\"'";
        }
        errno = e;
        return e;
    }

    void detach(tracepoint_state& tp) {
        for (auto it = by_sample_id.begin(); it != by_sample_id.end();) {
            it = it->second == &tp ? by_sample_id.erase(it) : std::next(it);
        }
        for (int& fd : tp.fds) {
            if (fd >= 0) ::close(fd);
            fd = -1;
        }
    }

    void note_output_error(int e) {
        if (e != 0 && stats.output_error == 0) stats.output_error = e;
    }

    void handle_sample(ring& r, std::size_t ring_index, std::span<const std::byte> rec) {
        // identifier, pid/tid, time, cpu/res, raw size, raw
        constexpr std::size_t fixed = 8 + 8 + 8 + 8 + 8 + 4;
        if (rec.size() < fixed) return;
        const auto at = [&](std::size_t off, auto& v) { std::memcpy(&v, rec.data() + off, sizeof v); };
        std::uint64_t id = 0, time = 0;
        std::uint32_t pid = 0, tid = 0, cpu = 0, raw_size = 0;
        at(8, id);
        at(16, pid);
        at(20, tid);
        at(24, time);
        at(32, cpu);
        at(40, raw_size);
        if (raw_size > rec.size() - fixed) return;
        const auto raw = rec.subspan(fixed, raw_size);
        auto it = by_sample_id.find(id);
        if (it == by_sample_id.end()) return;
        tracepoint_state& tp = *it->second;
        ++stats.samples;
        if (options.circular_bytes_per_cpu) {
            const recorder::stored s{time, pid, tid, tp.index, raw_size};
            stats.overwritten += r.flight.add(s, raw);
            return;
        }
        (void)ring_index;
        if (writer && writer->is_open() && stats.output_error == 0) {
            const int e = writer->write_sample(tp.writer_index, time, cpu, pid, tid, raw);
            if (e == 0) {
                ++stats.written;
                wrote_since_round = true;
            } else {
                note_output_error(e);
            }
        }
        if (callback) {
            collected_sample s;
            s.tracepoint = tp.meta;
            s.format = &tp.format;
            s.time_ns = time;
            s.wall_time_ns = static_cast<std::uint64_t>(static_cast<std::int64_t>(time) + wall_minus_clock);
            s.cpu = cpu;
            s.pid = pid;
            s.tid = tid;
            if (const auto name = names.find(tid); name != names.end()) s.comm = name->second.comm;
            s.raw = raw;
            callback(s);
        }
    }

    void handle_lost(ring& r, std::size_t ring_index, std::span<const std::byte> rec) {
        // id, lost, then sample_id: pid/tid, time, cpu/res, identifier
        if (rec.size() < 24) return;
        std::uint64_t lost = 0, time = 0;
        std::memcpy(&lost, rec.data() + 16, 8);
        if (rec.size() >= 40) std::memcpy(&time, rec.data() + 32, 8);
        stats.lost += lost;
        ++stats.lost_records;
        stats.lost_per_cpu[ring_index] += lost;
        if (!options.circular_bytes_per_cpu && writer && writer->is_open() && stats.output_error == 0) {
            note_output_error(writer->write_lost(lost, time, static_cast<std::uint32_t>(r.cpu)));
        }
    }

    bool keep_names() const { return options.circular_bytes_per_cpu != 0 || callback != nullptr; }

    bool writing() const {
        return !options.circular_bytes_per_cpu && writer && writer->is_open() && stats.output_error == 0;
    }

    // PERF_RECORD_COMM: pid, tid, the name (NUL-padded to 8), sample_id.
    void handle_comm(ring& r, std::span<const std::byte> rec, bool exec) {
        constexpr std::size_t trailer = 32;  // pid/tid, time, cpu/res, identifier
        if (rec.size() < 16 + trailer) return;
        std::uint32_t pid = 0, tid = 0;
        std::uint64_t time = 0;
        std::memcpy(&pid, rec.data() + 8, 4);
        std::memcpy(&tid, rec.data() + 12, 4);
        std::memcpy(&time, rec.data() + rec.size() - trailer + 8, 8);
        const auto* text = reinterpret_cast<const char*>(rec.data() + 16);
        std::string comm(text, strnlen(text, rec.size() - 16 - trailer));
        if (writing())
            note_output_error(writer->write_comm(pid, tid, comm, time, static_cast<std::uint32_t>(r.cpu), exec));
        if (keep_names()) names[tid] = {pid, std::move(comm)};
    }

    // PERF_RECORD_FORK / EXIT: pid, ppid, tid, ptid, time, sample_id.
    void handle_task(ring& r, std::span<const std::byte> rec, bool fork) {
        if (rec.size() < 32) return;
        std::uint32_t ids[4];
        std::uint64_t time = 0;
        std::memcpy(ids, rec.data() + 8, sizeof ids);
        std::memcpy(&time, rec.data() + 24, 8);
        const auto cpu = static_cast<std::uint32_t>(r.cpu);
        if (fork && keep_names()) {
            if (const auto parent = names.find(ids[3]); parent != names.end()) {
                names[ids[2]] = {ids[0], parent->second.comm};
            }
        }
        if (writing()) {
            note_output_error(fork ? writer->write_fork(ids[0], ids[1], ids[2], ids[3], time, cpu)
                                   : writer->write_exit(ids[0], ids[1], ids[2], ids[3], time, cpu));
        }
    }

    void drain_ring(ring& r, std::size_t index) {
        auto* meta = reinterpret_cast<perf_event_mmap_page*>(r.map);
        const std::byte* data = r.map + page;
        const std::uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
        std::uint64_t tail = meta->data_tail;
        while (tail < head) {
            const std::size_t off = static_cast<std::size_t>(tail % r.data_size);
            perf_event_header h{};
            // Records are 8-byte aligned and the data size is a multiple of 8:
            // a header never wraps.
            std::memcpy(&h, data + off, sizeof h);
            if (h.size < sizeof h || h.size > head - tail) break;
            std::span<const std::byte> rec;
            if (off + h.size <= r.data_size) {
                rec = {data + off, h.size};
            } else {
                scratch.resize(h.size);
                const std::size_t first = r.data_size - off;
                std::memcpy(scratch.data(), data + off, first);
                std::memcpy(scratch.data() + first, data, h.size - first);
                rec = scratch;
            }
            if (h.type == PERF_RECORD_SAMPLE) handle_sample(r, index, rec);
            else if (h.type == PERF_RECORD_LOST) handle_lost(r, index, rec);
            else if (h.type == PERF_RECORD_COMM) handle_comm(r, rec, (h.misc & PERF_RECORD_MISC_COMM_EXEC) != 0);
            else if (h.type == PERF_RECORD_FORK || h.type == PERF_RECORD_EXIT)
                handle_task(r, rec, h.type == PERF_RECORD_FORK);
            tail += h.size;
        }
        __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
    }

    void drain_all() {
        for (std::size_t i = 0; i != rings.size(); ++i) drain_ring(rings[i], i);
        if (wrote_since_round && writer && writer->is_open() && stats.output_error == 0) {
            note_output_error(writer->finish_round());
            // On disk after every drain: a killed collector loses at most
            // what the kernel rings held since the last one.
            note_output_error(writer->flush());
        }
        wrote_since_round = false;
    }

    void close_all() {
        if (!rings.empty() && !tracepoints.empty()) {
            // The kernel reports a loss (PERF_RECORD_LOST) only once a later
            // record fits: drain, give it a moment to write one, drain again.
            drain_all();
            std::vector<pollfd> fds;
            for (const auto& r : rings) fds.push_back({r.fd, POLLIN, 0});
            (void)::poll(fds.data(), fds.size(), 5);
            drain_all();
        }
        for (auto& tp : tracepoints) {
            for (int fd : tp->fds) {
                if (fd >= 0) ::ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
            }
        }
        for (int fd : tracking) ::ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
        drain_all();
        for (auto& tp : tracepoints) detach(*tp);
        for (int fd : tracking) ::close(fd);
        tracking.clear();
        for (auto& r : rings) {
            if (r.map) ::munmap(r.map, r.map_size);
            if (r.fd >= 0) ::close(r.fd);
            r.map = nullptr;
            r.fd = -1;
        }
    }

    int write_flight(const std::string& path) {
        perf_data_writer out;
        if (int e = out.open(path.c_str(), CLOCK_MONOTONIC)) return e;
        std::vector<int> index(tracepoints.size(), -1);
        for (std::size_t i = 0; i != tracepoints.size(); ++i) {
            const auto* m = tracepoints[i]->meta;
            index[i] = out.add_tracepoint(m->system, m->name, m->format, m->id);
        }
        int result = 0;
        for (const auto& [tid, name] : names) {
            if (result == 0) result = out.write_comm(name.pid, tid, name.comm, 0, 0);
        }
        struct entry {
            std::uint64_t time;
            std::size_t ring, slot;
        };
        std::vector<entry> order;
        for (std::size_t r = 0; r != rings.size(); ++r) {
            const auto& f = rings[r].flight;
            for (std::size_t s = 0; s != f.slots.size(); ++s) {
                recorder::stored st{};
                std::memcpy(&st, f.bytes.data() + f.slots[s].offset, sizeof st);
                order.push_back({st.time, r, s});
            }
        }
        std::stable_sort(order.begin(), order.end(), [](const entry& a, const entry& b) { return a.time < b.time; });
        std::uint64_t written = 0;
        for (const auto& e : order) {
            const auto& f = rings[e.ring].flight;
            const std::byte* p = f.bytes.data() + f.slots[e.slot].offset;
            recorder::stored st{};
            std::memcpy(&st, p, sizeof st);
            result = out.write_sample(index[st.tracepoint], st.time, static_cast<std::uint32_t>(rings[e.ring].cpu),
                                      st.pid, st.tid, {p + sizeof st, st.raw_size});
            if (result != 0) break;
            ++written;
        }
        if (result == 0) result = out.finish_round();
        const int closed = out.close();
        stats.written += written;
        stats.saved = written;
        return result ? result : closed;
    }
};

session::session(session_options options) : impl_(std::make_unique<impl>(std::move(options))) {}

session::~session() {
    if (impl_->running || (impl_->writer && impl_->writer->is_open())) stop();
}

const std::string& session::tracefs_dir() const noexcept { return impl_->location.dir; }
tracefs_cache& session::cache() noexcept { return *impl_->cache; }

int session::add(std::string_view spec, std::string* error) {
    impl& s = *impl_;
    if (s.location.dir.empty()) {
        if (error) *error = s.location.problem;
        return ENOENT;
    }
    if (s.find(spec)) return 0;
    std::string_view system, name;
    if (!split_tracepoint_spec(spec, system, name)) {
        if (error) *error = s.cache->explain(spec, EINVAL);
        return EINVAL;
    }
    int e = 0;
    const tracepoint_meta* meta = s.cache->lookup(system, name, &e);
    if (meta == nullptr) {
        if (error) *error = s.cache->explain(spec, e);
        return e;
    }
    auto tp = std::make_unique<impl::tracepoint_state>();
    tp->meta = meta;
    tp->index = static_cast<std::uint32_t>(s.tracepoints.size());
    std::string why;
    if (!decode::parse_tracepoint_layout(meta->format, tp->format, &why)) {
        if (error) *error = "tracepoint " + std::string(spec) + ": unreadable format (" + why + ")";
        return EINVAL;
    }
    if (tp->format.system.empty()) tp->format.system = meta->system;
    if (tp->format.name.empty()) tp->format.name = meta->name;
    tp->format.id = meta->id;
    if (s.writer && s.writer->is_open()) {
        tp->writer_index = s.writer->add_tracepoint(meta->system, meta->name, meta->format, meta->id);
        if (tp->writer_index < 0) {
            const int refused = -tp->writer_index;
            if (error) {
                *error = "cannot add " + std::string(spec) + " to the output: " +
                         (refused == EBUSY
                              ? std::string("a pipe output describes its tracepoints once, before the first event")
                              : std::strerror(refused));
            }
            return refused;
        }
    }
    if (s.running) {
        if (int r = s.attach(*tp, true, error)) return r;
    }
    s.tracepoints.push_back(std::move(tp));
    return 0;
}

int session::enable(std::string_view spec, bool on) {
    auto* tp = impl_->find(spec);
    if (tp == nullptr) return ENOENT;
    tp->enabled = on;
    for (int fd : tp->fds) {
        if (fd >= 0 && ::ioctl(fd, on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0) != 0) return errno;
    }
    return 0;
}

int session::set_filter(std::string_view spec, std::string filter, std::string* error) {
    auto* tp = impl_->find(spec);
    if (tp == nullptr) {
        if (error) *error = "tracepoint " + std::string(spec) + " is not in the session";
        return ENOENT;
    }
    tp->filter = std::move(filter);
    if (tp->filter.empty()) return 0;  // kept off the events attached from now on
    for (int fd : tp->fds) {
        if (fd >= 0 && impl::apply_filter(fd, *tp, error) != 0) return errno;
    }
    return 0;
}

int session::set_output(const std::string& path) {
    impl& s = *impl_;
    if (s.running || s.options.circular_bytes_per_cpu) return EINVAL;
    s.writer = std::make_unique<perf_data_writer>();
    if (int e = s.writer->open(path.c_str(), CLOCK_MONOTONIC)) {
        s.writer.reset();
        return e;
    }
    for (auto& tp : s.tracepoints) {
        tp->writer_index = s.writer->add_tracepoint(tp->meta->system, tp->meta->name, tp->meta->format, tp->meta->id);
    }
    return 0;
}

int session::set_output_pipe(int fd) {
    impl& s = *impl_;
    if (s.running || s.options.circular_bytes_per_cpu) return EINVAL;
    s.writer = std::make_unique<perf_data_writer>();
    if (int e = s.writer->open_pipe(fd, false, CLOCK_MONOTONIC)) {
        s.writer.reset();
        return e;
    }
    for (auto& tp : s.tracepoints) {
        tp->writer_index = s.writer->add_tracepoint(tp->meta->system, tp->meta->name, tp->meta->format, tp->meta->id);
    }
    return 0;
}

void session::set_callback(std::function<void(const collected_sample&)> callback) {
    impl_->callback = std::move(callback);
}

int session::start(std::string* error) {
    impl& s = *impl_;
    if (s.running) return EALREADY;
    if (s.location.dir.empty()) {
        if (error) *error = s.location.problem;
        return ENOENT;
    }
    if (s.tracepoints.empty()) {
        if (error) *error = "no tracepoint to collect";
        return EINVAL;
    }
    if (int e = s.check_targets(error)) return e;
    if (int e = s.open_rings(error)) {
        s.close_all();
        s.rings.clear();
        return e;
    }
    // Tracking first: a target's child forked while the tracepoints are
    // being enabled is already named.
    if (int e = s.attach_tracking(error)) {
        s.close_all();
        s.rings.clear();
        return e;
    }
    for (auto& tp : s.tracepoints) {
        if (int e = s.attach(*tp, tp->enabled, error)) {
            s.close_all();
            s.rings.clear();
            return e;
        }
    }
    s.name_existing_threads();
    s.running = true;
    return 0;
}

bool session::running() const noexcept { return impl_->running; }

int session::poll(int timeout_ms) {
    impl& s = *impl_;
    if (!s.running) return EINVAL;
    if (timeout_ms < 0) timeout_ms = s.options.drain_interval_ms;
    int result = 0;
    if (!s.stop_asked.load()) {
        std::vector<pollfd> fds;
        fds.reserve(s.rings.size() + 1);
        for (const auto& r : s.rings) fds.push_back({r.fd, POLLIN, 0});
        fds.push_back({s.wake_fd, POLLIN, 0});  // poll() skips it when -1
        if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno == EINTR) result = EINTR;
    }
    s.drain_all();
    return s.stop_asked.load() ? ECANCELED : result;
}

void session::request_stop() noexcept {
    impl& s = *impl_;
    const int saved_errno = errno;  // a signal handler must not change the interrupted code's errno
    s.stop_asked.store(true);
    if (s.wake_fd >= 0) {
        const std::uint64_t one = 1;
        (void)!::write(s.wake_fd, &one, sizeof one);
    }
    errno = saved_errno;
}

bool session::stop_requested() const noexcept { return impl_->stop_asked.load(); }

void session::drain() {
    if (impl_->running) impl_->drain_all();
}

int session::save(const std::string& path) {
    impl& s = *impl_;
    if (!s.options.circular_bytes_per_cpu) return EINVAL;
    if (s.running) s.drain_all();
    return s.write_flight(path);
}

int session::stop() {
    impl& s = *impl_;
    if (s.running) {
        s.close_all();
        s.running = false;
    }
    int result = 0;
    if (s.writer && s.writer->is_open()) {
        const int e = s.writer->close();
        s.note_output_error(e);
        result = e;
    }
    return result ? result : s.stats.output_error;
}

const session_stats& session::stats() const noexcept { return impl_->stats; }
std::int64_t session::wall_minus_clock_ns() const noexcept { return impl_->wall_minus_clock; }

std::vector<const tracepoint_meta*> session::tracepoints() const {
    std::vector<const tracepoint_meta*> out;
    for (const auto& tp : impl_->tracepoints) out.push_back(tp->meta);
    return out;
}

const decode::decoded_sample& decode_sample(decode::sample_decoder& decoder, const collected_sample& sample) {
    decode::sample_meta meta;
    meta.has_time = true;
    meta.time_is_utc = true;
    meta.time_ns = sample.wall_time_ns;
    meta.has_cpu = true;
    meta.cpu = sample.cpu;
    meta.has_tid = true;
    meta.pid = sample.pid;
    meta.tid = sample.tid;
    meta.comm = sample.comm;
    // Without a parsed format only the name is known (the system is in `format`).
    const std::string_view name = sample.tracepoint ? std::string_view(sample.tracepoint->name) : "unknown";
    return decoder.decode_record(sample.format, name, sample.raw, meta);
}

}  // namespace ehtrace::collect
