// The capture sink: every event of the process to one file. perf.data
// captures go through a recorder (per-thread buffers, a writer thread);
// ".dat" captures append one record per event.
#include <ehtrace/sink.hpp>

#include <ehtrace/perf_data_writer.hpp>

#include "../perf_data/write_all.hpp"
#include "event_clock.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <new>
#include <thread>
#include <unordered_map>

namespace ehtrace {

// perf.data mode: the recorder.
//  - Each writing thread appends finished perf sample records to a buffer of
//    its own (a single-producer ring): no lock and no system call per event.
//    A record that does not fit is not written; the thread counts it, and
//    the writer thread puts the count in the file as a PERF_RECORD_LOST.
//  - The writer thread wakes every flush interval, or when a ring is a
//    quarter full, and under `mutex` writes the metadata declared since the last
//    time (attrs, formats, COMM records), each ring's new records and a
//    FINISHED_ROUND in one writev. A crash loses at most what the rings
//    held: one flush interval, at most the ring size per thread.
//  - Flight recorder (options.flight_recorder_bytes): the passes are kept in
//    memory instead (see keep_in_memory) and written by dump(), by opt-in
//    signal handlers through the writer thread, and at the end.
//  - Fork: the child records into a file of its own, "<path>.<child pid>",
//    opened on its first event (see reopen_in_child). The parent's rings
//    and writer thread are not the child's: it starts its own.
namespace {

std::atomic<std::uint64_t> capture_instances{0};

// A thread's ring. The owning thread writes [head, ...); the writer thread
// consumes [tail, head). Freed by whoever drops the last of two references
// (the thread at its exit, the recorder when it has written everything).
struct thread_ring {
    // Producer side.
    std::byte* data = nullptr;   // capacity bytes, plus max_record of overflow room
    std::uint64_t capacity = 0;  // a power of two
    std::uint64_t mask = 0;      // capacity - 1
    std::uint64_t head_local = 0;
    std::uint64_t last_time = 0;        // the thread's latest time: its times never go back
    std::uint64_t tail_seen = 0;        // last tail read: free space without touching the writer's line
    std::uint64_t next_wake_check = 0;  // head position at which to look at the fill level again
    std::atomic<std::uint64_t> head{0};
    std::atomic<std::uint64_t> lost{0};    // events that did not fit (producer: load + store)
    std::atomic<std::uint64_t> events{0};  // events written (producer: load + store)
    // Writer side.
    alignas(64) std::atomic<std::uint64_t> tail{0};
    std::uint64_t lost_reported = 0;
    std::atomic<bool> wake_requested{false};
    // Fixed at creation.
    std::uint32_t pid = 0, tid = 0;
    char comm[16] = {};
    std::atomic<int> refs{2};
    std::atomic<bool> retired{false};

    static constexpr std::size_t max_record = 1u << 16;

    static thread_ring* create(std::size_t capacity) noexcept {
        auto* r = new (std::nothrow) thread_ring;
        if (r == nullptr) return nullptr;
        r->data = static_cast<std::byte*>(std::malloc(capacity + max_record));
        if (r->data == nullptr) {
            delete r;
            return nullptr;
        }
        r->capacity = capacity;
        r->mask = capacity - 1;
        r->pid = static_cast<std::uint32_t>(::getpid());
        r->tid = static_cast<std::uint32_t>(::gettid());
        ::prctl(PR_GET_NAME, r->comm, 0, 0, 0);
        r->comm[15] = '\0';
        return r;
    }
    void unref() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::free(data);
            delete this;
        }
    }
};

// This thread's ring of the recorder it last wrote to (constant-initialized:
// one TLS load on the fast path), and the rings it holds a reference to.
struct ring_cache {
    std::uint64_t instance = 0;
    thread_ring* ring = nullptr;
};
thread_local ring_cache this_thread_ring;

thread_local bool thread_rings_released = false;  // ring_owner destroyed (thread exiting)
// This thread holds a recorder's mutex (attach_thread, a pass of its own,
// dump()): an event it writes meanwhile (from a signal handler) must not
// wait for the mutex or run a pass.
thread_local bool holding_recorder = false;

struct holding_section {
    holding_section() noexcept { holding_recorder = true; }
    ~holding_section() { holding_recorder = false; }
    holding_section(const holding_section&) = delete;
    holding_section& operator=(const holding_section&) = delete;
};

struct ring_owner {
    std::vector<thread_ring*> rings;
    ~ring_owner() {
        this_thread_ring = {};
        thread_rings_released = true;
        for (thread_ring* r : rings) {
            r->retired.store(true, std::memory_order_release);
            r->unref();
        }
    }
};
thread_local ring_owner this_thread_rings;

}  // namespace

struct capture_sink::perf_state {
    static constexpr std::uint32_t first_id = 0x4000;  // synthetic ids, u16 (common_type)

    std::uint64_t instance = capture_instances.fetch_add(1, std::memory_order_relaxed) + 1;
    std::string path;       // the file written now
    std::string base_path;  // the path asked for (a child's file: base_path.<pid>)
    recorder_options options;
    pid_t owner = ::getpid();
    clockid_t clock = CLOCK_MONOTONIC;  // what the file says the times are
    detail::event_clock times;          // every time the recorder writes (events, COMM, LOST)
    std::atomic<bool> accepting{true};

    std::mutex mutex;  // writer, tracepoints, rings list, thread start/stop
    perf_data_writer writer;
    struct declared {
        std::string name, format;
    };
    std::vector<declared> tracepoints;             // index = writer index
    std::unordered_map<std::string, int> indexes;  // tracepoint name -> index
    std::vector<thread_ring*> rings;               // each holds a reference
    // write_cycle's lists, kept with room for every ring (reserved when a
    // ring is added) so a pass allocates nothing: a producing thread may run
    // one (assist) from anywhere, even from inside malloc.
    struct pending {
        thread_ring* ring;
        std::uint64_t head, lost;
    };
    std::vector<pending> cycle_work;
    std::vector<::iovec> cycle_pieces;
    std::unique_ptr<std::condition_variable> wake = std::make_unique<std::condition_variable>();
    std::unique_ptr<std::thread> thread;  // the writer, started with the first ring
    bool stopping = false;
    int output_error = 0;
    std::uint64_t lost_written = 0;  // events counted in LOST records
    std::uint64_t events_done = 0;   // events of rings already released
    // Flight recorder (options.flight_recorder_bytes > 0): each pass's
    // records kept in memory, oldest passes dropped beyond the limit; dump()
    // writes them. `overwritten`: samples dropped that way.
    std::deque<std::vector<std::byte>> flight;
    std::size_t flight_bytes = 0;
    std::uint64_t overwritten = 0;
    // Dumps asked for by a signal handler (a counter: lock-free, async-signal
    // safe) and done by the writer thread.
    std::atomic<std::uint32_t> dumps_requested{0}, dumps_done{0};

    // Under `mutex`: one pass over the rings (see the comment above); in
    // flight-recorder mode into memory unless `to_file`.
    void write_cycle(bool to_file = false) noexcept;
    int dump() noexcept;  // under `mutex`
    void run() noexcept;
    thread_ring* attach_thread() noexcept;
    bool reopen_in_child() noexcept;
    void forget_parent() noexcept;
    void stop() noexcept;
    void request_wake(thread_ring& r) noexcept;
    void assist(bool wait) noexcept;
    bool helps() const noexcept;
    bool make_room(thread_ring& r, std::uint64_t head, std::size_t total) noexcept;
    void keep_in_memory(const std::vector<::iovec>& pieces) noexcept;
};

namespace {

// Every live recorder, for the fork handlers: the prepare handler takes each
// recorder's mutex (no writer thread is between two steps when the process
// is copied), the parent and the child release them; the child also forgets
// its thread's cached ring, so its next event goes through attach_thread.
std::mutex registry_mutex;
std::vector<capture_sink::perf_state*>* registry = nullptr;

// The recorder the opt-in signal handlers dump (see dump_on_signal).
std::atomic<capture_sink::perf_state*> signal_recorder{nullptr};

void before_fork() noexcept {
    registry_mutex.lock();
    if (registry) {
        for (auto* state : *registry) state->mutex.lock();
    }
}

void after_fork_parent() noexcept {
    if (registry) {
        for (auto* state : *registry) state->mutex.unlock();
    }
    registry_mutex.unlock();
}

void after_fork_child() noexcept {
    after_fork_parent();
    this_thread_ring = {};
}

void register_recorder(capture_sink::perf_state* state) {
    static std::once_flag once;
    std::call_once(once, [] { ::pthread_atfork(before_fork, after_fork_parent, after_fork_child); });
    std::lock_guard lock(registry_mutex);
    if (registry == nullptr) registry = new std::vector<capture_sink::perf_state*>;
    registry->push_back(state);
}

void unregister_recorder(capture_sink::perf_state* state) {
    std::lock_guard lock(registry_mutex);
    if (registry) registry->erase(std::remove(registry->begin(), registry->end(), state), registry->end());
}

}  // namespace

// Never blocks: when the mutex is taken, the writer thread is in a cycle
// (or about to wait) and sees the request when it checks before waiting.
void capture_sink::perf_state::request_wake(thread_ring& r) noexcept {
    r.wake_requested.store(true, std::memory_order_release);
    if (mutex.try_lock()) {
        wake->notify_one();
        mutex.unlock();
    }
}

// A late writer (docs/recorder.md): the producing thread runs the writer's
// pass itself. help: only if no one is in one (try_lock); wait: after the
// pass in progress. Never on a thread that already holds the mutex (a
// signal handler's event interrupting attach_thread or a pass).
void capture_sink::perf_state::assist(bool wait) noexcept {
    if (holding_recorder) return;
    if (wait) mutex.lock();
    else if (!mutex.try_lock()) return;
    {
        const holding_section holding;
        if (!stopping && owner == ::getpid()) write_cycle();
    }
    mutex.unlock();
}

bool capture_sink::perf_state::helps() const noexcept {
    return options.when_late != recorder_options::overflow::drop && options.flight_recorder_bytes == 0;
}

// A full ring: the tail read again, then a pass of our own (assist), before
// the event is given up. False: still no room (the event is lost).
bool capture_sink::perf_state::make_room(thread_ring& r, std::uint64_t head, std::size_t total) noexcept {
    const auto room = [&] {
        r.tail_seen = r.tail.load(std::memory_order_acquire);
        return r.capacity - (head - r.tail_seen) >= total;
    };
    if (room()) return true;
    if (helps()) {
        // One pass writes every ring up to its head: after it there is room
        // (unless no pass could run).
        assist(options.when_late == recorder_options::overflow::wait);
        if (room()) return true;
    }
    if (!r.wake_requested.load(std::memory_order_relaxed)) request_wake(r);
    return false;
}

void capture_sink::perf_state::write_cycle(bool to_file) noexcept {
    std::vector<pending>& work = cycle_work;
    std::vector<::iovec>& pieces = cycle_pieces;
    work.clear();
    pieces.clear();
    times.calibrate(std::uint64_t{options.flush_interval_ms} * 1000000u);
    const std::uint64_t now = times.now();
    const std::uint32_t cpu = detail::current_cpu();
    for (thread_ring* r : rings) {
        // Cleared before the head is read: a request made after that stays.
        r->wake_requested.store(false, std::memory_order_relaxed);
        const std::uint64_t head = r->head.load(std::memory_order_acquire);
        const std::uint64_t lost = r->lost.load(std::memory_order_relaxed);
        const std::uint64_t tail = r->tail.load(std::memory_order_relaxed);
        work.push_back({r, head, lost});
        if (output_error != 0) continue;
        if (lost != r->lost_reported && output_error == 0) {
            output_error = writer.write_lost(lost - r->lost_reported, now, cpu, r->pid, r->tid);
        }
        if (head == tail) continue;
        const std::uint64_t begin = tail % r->capacity;
        const std::uint64_t size = head - tail;
        if (begin + size <= r->capacity) {
            pieces.push_back({r->data + begin, size});
        } else {
            pieces.push_back({r->data + begin, r->capacity - begin});
            pieces.push_back({r->data, size - (r->capacity - begin)});
        }
    }
    static constexpr std::uint16_t round[4] = {68, 0, 0, 8};  // FINISHED_ROUND: u32 type, u16 misc, u16 size
    const bool no_records = pieces.empty() && (!to_file || flight.empty());
    pieces.push_back({const_cast<std::uint16_t*>(round), sizeof round});
    if (no_records) {
        // An idle pass: only metadata, if any (no empty rounds on disk).
        if (output_error == 0) output_error = writer.flush();
    } else if (output_error == 0 && options.flight_recorder_bytes != 0 && !to_file) {
        keep_in_memory(pieces);
        output_error = writer.flush();  // metadata, COMM and LOST records go to the file at once
    } else if (output_error == 0) {
        if (options.flight_recorder_bytes != 0) {
            // A dump: what memory holds, then this pass.
            try {
                std::vector<::iovec> held;
                for (const auto& chunk : flight) held.push_back({const_cast<std::byte*>(chunk.data()), chunk.size()});
                pieces.insert(pieces.begin(), held.begin(), held.end());
            } catch (const std::bad_alloc&) {}
        }
        output_error = writer.write_records(pieces.data(), static_cast<int>(pieces.size()));
        flight.clear();
        flight_bytes = 0;
    }
    // Written, or lost to an output error: either way the space is free again.
    for (const auto& w : work) {
        w.ring->tail.store(w.head, std::memory_order_release);
        if (output_error == 0) lost_written += w.lost - w.ring->lost_reported;
        w.ring->lost_reported = w.lost;
    }
    // Rings of threads that have exited and are written out are released.
    for (auto it = rings.begin(); it != rings.end();) {
        thread_ring* r = *it;
        if (r->retired.load(std::memory_order_acquire) &&
            r->head.load(std::memory_order_acquire) == r->tail.load(std::memory_order_relaxed) &&
            r->lost.load(std::memory_order_relaxed) == r->lost_reported) {
            events_done += r->events.load(std::memory_order_relaxed);
            r->unref();
            it = rings.erase(it);
        } else {
            ++it;
        }
    }
}

// Flight recorder: one pass's records (whole, ending with FINISHED_ROUND) kept
// in memory; the oldest passes are dropped while more than the limit is held
// (the newest pass stays whole even when it alone is larger).
void capture_sink::perf_state::keep_in_memory(const std::vector<::iovec>& pieces) noexcept {
    std::size_t size = 0;
    for (const auto& piece : pieces) size += piece.iov_len;
    if (size <= 8) return;  // nothing but the round marker
    try {
        std::vector<std::byte> chunk;
        chunk.reserve(size);
        for (const auto& piece : pieces) {
            const auto* p = static_cast<const std::byte*>(piece.iov_base);
            chunk.insert(chunk.end(), p, p + piece.iov_len);
        }
        flight_bytes += chunk.size();
        flight.push_back(std::move(chunk));
    } catch (const std::bad_alloc&) {
        return;  // this pass is dropped: counted below as overwritten
    }
    while (flight.size() > 1 && flight_bytes > options.flight_recorder_bytes) {
        const auto& oldest = flight.front();
        for (std::size_t pos = 0; pos + 8 <= oldest.size();) {
            std::uint32_t type = 0;
            std::uint16_t record_size = 0;
            std::memcpy(&type, oldest.data() + pos, 4);
            std::memcpy(&record_size, oldest.data() + pos + 6, 2);
            overwritten += type == 9;  // PERF_RECORD_SAMPLE
            pos += record_size < 8 ? oldest.size() : record_size;
        }
        flight_bytes -= oldest.size();
        flight.pop_front();
    }
}

int capture_sink::perf_state::dump() noexcept {
    if (!writer.is_open()) return EBADF;
    write_cycle(true);
    return output_error;
}

void capture_sink::perf_state::run() noexcept {
    std::unique_lock lock(mutex);
    const auto interval = std::chrono::milliseconds(options.flush_interval_ms);
    while (!stopping) {
        wake->wait_for(lock, interval, [&] {
            if (stopping) return true;
            if (dumps_requested.load(std::memory_order_acquire) != dumps_done.load(std::memory_order_relaxed)) {
                return true;
            }
            for (thread_ring* r : rings) {
                if (r->wake_requested.load(std::memory_order_acquire)) return true;
            }
            return false;
        });
        const std::uint32_t requested = dumps_requested.load(std::memory_order_acquire);
        if (requested != dumps_done.load(std::memory_order_relaxed)) {
            dump();
            dumps_done.store(requested, std::memory_order_release);
        } else {
            write_cycle();
        }
    }
}

// A new ring for this thread (slow path). In a forked child, first moves
// the recorder to the child's own file.
thread_ring* capture_sink::perf_state::attach_thread() noexcept {
    if (holding_recorder) return nullptr;  // an event from a signal handler that interrupted us
    std::lock_guard lock(mutex);
    const holding_section holding;
    if (owner != ::getpid() && !reopen_in_child()) return nullptr;
    if (!accepting.load(std::memory_order_relaxed)) return nullptr;
    thread_ring* r = thread_ring::create(options.thread_buffer_bytes);
    if (r == nullptr) return nullptr;
    try {
        cycle_work.reserve(rings.size() + 1);
        cycle_pieces.reserve(2 * (rings.size() + 1) + 1);
        rings.push_back(r);
    } catch (const std::bad_alloc&) {
        std::free(r->data);
        delete r;
        return nullptr;
    }
    try {
        // Late in the thread's exit nothing retires the ring: the recorder
        // keeps the only reference and writes it at finish().
        if (thread_rings_released) r->refs.store(1, std::memory_order_relaxed);
        else this_thread_rings.rings.push_back(r);
    } catch (const std::bad_alloc&) {
        r->refs.store(1, std::memory_order_relaxed);
    }
    // The thread's name, timed before any of its events (perf script shows it).
    r->last_time = times.now();
    if (output_error == 0 && !tracepoints.empty()) {
        output_error = writer.write_comm(r->pid, r->tid, r->comm, r->last_time, detail::current_cpu());
    }
    if (!thread) {
        // The writer thread takes none of the program's asynchronous
        // signals: a handler run there could not write an event (the
        // thread may hold the mutex its first event needs) and would delay
        // every ring. It starts with them blocked (no window), this
        // thread's mask is put back. Faults stay deliverable.
        sigset_t asynchronous, previous;
        sigfillset(&asynchronous);
        for (const int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT}) sigdelset(&asynchronous, sig);
        const bool masked = ::pthread_sigmask(SIG_BLOCK, &asynchronous, &previous) == 0;
        try {
            thread = std::make_unique<std::thread>([this] { run(); });
        } catch (...) {
            // No writer thread: the ring fills and its events count as lost.
        }
        if (masked) ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }
    this_thread_ring = {instance, r};
    return r;
}

// In a forked child (under `mutex`, which the fork handlers left unlocked):
// the writer, the rings and the writer thread are copies of the parent's.
// They are left alone (written by the parent; their memory stays with this
// process) and the child starts "<path>.<pid>" with the same tracepoints.
void capture_sink::perf_state::forget_parent() noexcept {
    writer.abandon();
    rings.clear();           // the parent writes them; their memory is left as is
    (void)thread.release();  // not a thread of this process
    (void)wake.release();    // may count the parent's waiter
}

bool capture_sink::perf_state::reopen_in_child() noexcept {
    forget_parent();
    wake.reset(new (std::nothrow) std::condition_variable);
    owner = ::getpid();
    stopping = false;
    if (!wake) {
        accepting.store(false, std::memory_order_relaxed);
        return false;
    }
    try {
        const std::string child_path = base_path + "." + std::to_string(owner);
        if (const int e = writer.open(child_path.c_str(), clock); e != 0) {
            accepting.store(false, std::memory_order_relaxed);
            return false;
        }
        for (std::size_t i = 0; i != tracepoints.size(); ++i) {
            writer.add_tracepoint("user_events", tracepoints[i].name, tracepoints[i].format,
                                  first_id + static_cast<std::uint32_t>(i));
        }
        path = child_path;
    } catch (...) {
        accepting.store(false, std::memory_order_relaxed);
        return false;
    }
    output_error = 0;
    lost_written = 0;
    events_done = 0;
    return true;
}

void capture_sink::perf_state::stop() noexcept {
    std::unique_ptr<std::thread> running;
    {
        std::lock_guard lock(mutex);
        accepting.store(false, std::memory_order_relaxed);
        stopping = true;
        wake->notify_one();
        running = std::move(thread);
    }
    if (running && running->joinable()) running->join();
    std::lock_guard lock(mutex);
    write_cycle(true);  // a flight recorder writes what it holds at the end too
    for (thread_ring* r : rings) {
        events_done += r->events.load(std::memory_order_relaxed);
        r->unref();
    }
    rings.clear();
}

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::unique_ptr<capture_sink> capture_sink::open(const std::string& path, int& error) {
    return open(path, error, recorder_options{});
}

std::unique_ptr<capture_sink> capture_sink::open(const std::string& path, int& error, recorder_options options) {
    file_kind kind = ends_with(path, ".dat") ? file_kind::dat : file_kind::perf_data;
    if (kind == file_kind::perf_data) {
        std::size_t ring = 4096;
        while (ring < options.thread_buffer_bytes && ring < (std::size_t{1} << 30)) ring *= 2;
        options.thread_buffer_bytes = ring;
        options.flush_interval_ms = std::clamp(options.flush_interval_ms, 1u, 10000u);
        std::unique_ptr<perf_state> perf(new (std::nothrow) perf_state);
        if (!perf) {
            error = ENOMEM;
            return nullptr;
        }
        perf->options = options;
        perf->times.start(options.tsc_clock);
        try {
            perf->path = perf->base_path = path;
        } catch (const std::bad_alloc&) {
            error = ENOMEM;
            return nullptr;
        }
        error = perf->writer.open(path.c_str(), perf->clock);
        if (error != 0) return nullptr;
        std::unique_ptr<capture_sink> sink(new (std::nothrow) capture_sink(-1, path, kind));
        if (!sink) {
            error = ENOMEM;
            return nullptr;
        }
        register_recorder(perf.get());
        sink->perf_ = std::move(perf);
        return sink;
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        error = errno;
        return nullptr;
    }
    error = 0;
    return std::unique_ptr<capture_sink>(new capture_sink(fd, path, kind));
}

capture_sink::capture_sink(int fd, std::string path, file_kind kind) : fd_(fd), path_(std::move(path)), kind_(kind) {}

capture_sink::~capture_sink() {
    finish();
    if (perf_) {
        capture_sink::perf_state* mine = perf_.get();
        signal_recorder.compare_exchange_strong(mine, nullptr);  // installed handlers then do nothing
        unregister_recorder(perf_.get());
        // A forked child that never wrote holds copies of the parent's
        // writer and thread: destroying them would touch the parent's file.
        if (perf_->owner != ::getpid()) perf_->forget_parent();
    }
    if (fd_ >= 0) ::close(fd_);
}

int capture_sink::add(basic_tracepoint& tp) noexcept {
    if (perf_) {
        perf_state& perf = *perf_;
        std::lock_guard lock(perf.mutex);
        if (perf.owner != ::getpid() && !perf.reopen_in_child()) return EIO;
        if (!perf.accepting.load(std::memory_order_relaxed)) return EBADF;
        try {
            std::string name(tp.name());
            auto found = perf.indexes.find(name);
            if (found == perf.indexes.end()) {
                const auto id = perf_state::first_id + static_cast<std::uint32_t>(perf.tracepoints.size());
                if (id > 0xFFFF) return ENOSPC;
                std::string format = synthesize_user_events_format(tp.command(), id);
                if (format.empty()) return EINVAL;
                const int index = perf.writer.add_tracepoint("user_events", name, format, id);
                if (index < 0) return -index;
                perf.tracepoints.push_back({name, std::move(format)});
                found = perf.indexes.emplace(std::move(name), index).first;
            }
            tp.set_write_index(found->second);
        } catch (const std::bad_alloc&) {
            return ENOMEM;
        }
    }
    tp.enable_word().store(1u << basic_tracepoint::enable_bit, std::memory_order_relaxed);
    return 0;
}

void capture_sink::remove(basic_tracepoint& tp) noexcept { tp.enable_word().store(0, std::memory_order_relaxed); }

int capture_sink::write(const basic_tracepoint& tp, ::iovec* iov, int iovcnt, std::size_t event_size) noexcept {
    if (perf_) return record(tp, iov, iovcnt, event_size);
    // [u32 record size][name][NUL][event...]: one writev, so O_APPEND keeps
    // records from different threads and processes whole.
    constexpr int inline_slots = 64;
    static constexpr char nul = '\0';
    ::iovec inline_iov[inline_slots];
    std::unique_ptr<::iovec[]> heap_iov;
    ::iovec* out = inline_iov;
    if (iovcnt + 2 > inline_slots) {
        heap_iov.reset(new (std::nothrow)::iovec[static_cast<std::size_t>(iovcnt) + 2]);
        if (!heap_iov) return ENOMEM;
        out = heap_iov.get();
    }
    std::string_view name = tp.name();
    std::size_t size = sizeof(std::uint32_t) + name.size() + 1 + event_size;
    if (size > UINT32_MAX) return E2BIG;
    std::uint32_t size_le = static_cast<std::uint32_t>(size);
    if constexpr (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__) size_le = __builtin_bswap32(size_le);

    out[0] = {&size_le, sizeof size_le};
    out[1] = {const_cast<char*>(name.data()), name.size()};
    out[2] = {const_cast<char*>(&nul), 1};
    for (int i = 1; i < iovcnt; ++i) out[i + 2] = iov[i];
    // A record torn by a full disk is reported; the file reads up to the last whole one.
    return detail::write_all(fd_, out, iovcnt + 2);
}

// The recorder's hot path: one sample record built in this thread's ring.
int capture_sink::record(const basic_tracepoint& tp, ::iovec* iov, int iovcnt, std::size_t event_size) noexcept {
    perf_state& perf = *perf_;
    if (!perf.accepting.load(std::memory_order_relaxed)) [[unlikely]]
        return EBADF;
    thread_ring* r = this_thread_ring.instance == perf.instance ? this_thread_ring.ring : nullptr;
    if (r == nullptr) [[unlikely]] {
        r = perf.attach_thread();
        if (r == nullptr) return perf.accepting.load(std::memory_order_relaxed) ? ENOMEM : EBADF;
    }
    const int index = tp.write_index();
    if (index < 0) [[unlikely]]
        return EBADF;
    const std::size_t raw_bytes = 8 + event_size;  // common fields, then the event
    const std::size_t total = perf_data_writer::sample_size(raw_bytes);
    if (total > thread_ring::max_record - 8) [[unlikely]]
        return E2BIG;
    const std::uint64_t head = r->head_local;
    if (r->capacity - (head - r->tail_seen) < total && !perf.make_room(*r, head, total)) [[unlikely]] {
        // Full: counted (the writer has been asked to come now).
        r->lost.store(r->lost.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return 0;
    }
    // The TSC (or the clock) can disagree by a little between CPUs and across
    // a refit: a thread's times never go back.
    const std::uint64_t time = std::max(perf.times.now(), r->last_time);
    r->last_time = time;
    const std::uint32_t cpu = detail::current_cpu();
    const std::uint64_t at = head & r->mask;
    std::byte* out = r->data + at;  // the overflow room past capacity takes a record that wraps
    // The padding (under 8 bytes) first: the record's last 8 bytes, which
    // the head and the event then overwrite where they reach. (The pieces
    // are copied with memcpy: an inline copy for small pieces measured no
    // faster.)
    std::memset(out + total - 8, 0, 8);
    perf_data_writer::put_sample_head(out, index, time, cpu, r->pid, r->tid, raw_bytes);
    // The tracepoint's common fields: u16 type, u8 flags, u8 preempt count, u32 pid.
    std::size_t pos = perf_data_writer::sample_head_size;
    const auto type = static_cast<std::uint16_t>(perf_state::first_id + static_cast<std::uint32_t>(index));
    std::memcpy(out + pos, &type, 2);
    std::memset(out + pos + 2, 0, 2);
    std::memcpy(out + pos + 4, &r->pid, 4);
    pos += 8;
    for (int i = 1; i < iovcnt; ++i) {
        std::memcpy(out + pos, iov[i].iov_base, iov[i].iov_len);
        pos += iov[i].iov_len;
    }
    if (at + total > r->capacity) [[unlikely]]
        std::memcpy(r->data, r->data + r->capacity, at + total - r->capacity);
    r->head_local = head + total;
    r->head.store(head + total, std::memory_order_release);
    r->events.store(r->events.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (head + total >= r->next_wake_check) [[unlikely]] {
        // A quarter full: the writer comes now rather than at its interval.
        // Looked at every capacity/16 bytes, not per event (the tail is on
        // the writer's cache line).
        r->next_wake_check = head + total + r->capacity / 16;
        r->tail_seen = r->tail.load(std::memory_order_acquire);
        const std::uint64_t used = head + total - r->tail_seen;
        if (used > r->capacity / 4 && !r->wake_requested.load(std::memory_order_relaxed)) perf.request_wake(*r);
        // Half full: the writer thread is late (not scheduled, on a busy
        // machine); this thread writes the rings out itself.
        if (used > r->capacity / 2 && perf.helps()) {
            perf.assist(false);
            r->tail_seen = r->tail.load(std::memory_order_acquire);
        }
    }
    return 0;
}

void capture_sink::finish() noexcept {
    if (!perf_) return;
    perf_state& perf = *perf_;
    {
        std::lock_guard lock(perf.mutex);
        // A forked child that never wrote: nothing of its own to finish.
        if (perf.owner != ::getpid() || !perf.writer.is_open()) return;
    }
    perf.stop();
    std::lock_guard lock(perf.mutex);
    int error = perf.output_error;
    if (const int closed = perf.writer.close(); error == 0) error = closed;
    if (error != 0) {
        std::fprintf(stderr, "ehtrace: completing %s failed: %s\n", perf.path.c_str(), std::strerror(error));
    }
}

int capture_sink::dump() noexcept {
    if (!perf_) return EINVAL;
    std::lock_guard lock(perf_->mutex);
    const holding_section holding;
    if (perf_->owner != ::getpid()) return EBADF;  // a forked child that has not written: nothing of its own
    return perf_->dump();
}

// Signal dumps (opt-in: only dump_on_signal / dump_on_fatal_signals install
// handlers). The handlers touch nothing but two lock-free atomics of the
// recorder named here, and sleep: async-signal-safe.
namespace {

std::atomic<std::uint32_t>* dump_counters(bool done) noexcept;

extern "C" void ehtrace_capture_dump_signal(int) {
    if (auto* requested = dump_counters(false)) requested->fetch_add(1, std::memory_order_acq_rel);
}

// A fatal signal: asks the writer thread for a dump, waits for it (at most
// one second: the writer may be the thread that crashed), then dies of the
// signal (the handler was installed with SA_RESETHAND; the raised signal
// is delivered when the handler returns).
extern "C" void ehtrace_capture_fatal_signal(int sig) {
    auto* requested = dump_counters(false);
    auto* done = dump_counters(true);
    if (requested != nullptr && done != nullptr) {
        const std::uint32_t mine = requested->fetch_add(1, std::memory_order_acq_rel) + 1;
        for (int waited = 0; waited < 1000; ++waited) {
            if (static_cast<std::int32_t>(done->load(std::memory_order_acquire) - mine) >= 0) break;
            const ::timespec millisecond{0, 1000000};
            ::nanosleep(&millisecond, nullptr);
        }
    }
    ::raise(sig);
}

}  // namespace

namespace {

std::atomic<std::uint32_t>* dump_counters(bool done) noexcept {
    capture_sink::perf_state* state = signal_recorder.load(std::memory_order_acquire);
    if (state == nullptr) return nullptr;
    return done ? &state->dumps_done : &state->dumps_requested;
}

int install_handler(int sig, void (*handler)(int), int flags) noexcept {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = flags;
    return ::sigaction(sig, &action, nullptr) == 0 ? 0 : errno;
}

}  // namespace

int capture_sink::dump_on_signal(int sig) noexcept {
    if (!perf_) return EINVAL;
    signal_recorder.store(perf_.get(), std::memory_order_release);
    return install_handler(sig, ehtrace_capture_dump_signal, SA_RESTART);
}

int capture_sink::dump_on_fatal_signals() noexcept {
    if (!perf_) return EINVAL;
    signal_recorder.store(perf_.get(), std::memory_order_release);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) {
        if (const int e = install_handler(sig, ehtrace_capture_fatal_signal, SA_RESETHAND | SA_RESTART)) return e;
    }
    return 0;
}

capture_sink::recorder_stats capture_sink::stats() const noexcept {
    recorder_stats out;
    if (!perf_) return out;
    std::lock_guard lock(perf_->mutex);
    out.events = perf_->events_done;
    out.lost = perf_->lost_written;
    for (thread_ring* r : perf_->rings) {
        out.events += r->events.load(std::memory_order_relaxed);
        out.lost += r->lost.load(std::memory_order_relaxed) - r->lost_reported;
    }
    out.overwritten = perf_->overwritten;
    out.output_error = perf_->output_error;
    return out;
}

std::string capture_sink::describe() const {
    if (perf_) {
        std::lock_guard lock(perf_->mutex);
        return "capture mode: events are recorded to " + perf_->path + " (perf.data)";
    }
    return "capture mode: events are appended to " + path_ + " (capture record layout)";
}

}  // namespace ehtrace
