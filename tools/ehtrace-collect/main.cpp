// ehtrace-collect: records tracepoints (kernel ones, user_events, EventHeader
// names it pre-registers itself) into perf.data, or prints them as JSON lines.
#include <ehtrace/collect/doctor.hpp>
#include <ehtrace/collect/registrar.hpp>
#include <ehtrace/collect/session.hpp>
#include <ehtrace/decode/formatter.hpp>
#include <ehtrace/decode/json_formatter.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include "otlp_cli.hpp"
#include "stop_signals.hpp"
#include "tool_common.hpp"
#include "tracepoint_list.hpp"

namespace {

using namespace ehtrace::collect;

constexpr char usage[] =
    "Usage: ehtrace-collect [options] TRACEPOINT... [-- COMMAND [ARG...]]\n"
    "Records tracepoints into a perf.data file (ehtrace-decode, perf script).\n"
    "\n"
    "TRACEPOINT is one of:\n"
    "  system:name          a tracepoint, e.g. sched:sched_switch, user_events:MyProv_L4K1,\n"
    "                       user_events_multi:Name.1a; glob patterns match existing ones\n"
    "                       (user_events:MyProvider_*)\n"
    "  Provider_L<l>K<k>    an EventHeader tracepoint name: pre-registered, so it can be\n"
    "                       collected before the program that writes it starts\n"
    "  \"name fields\"        a user_events command (\"my_tp u32 count; char[16] who\"): same\n"
    "\n"
    "Options:\n"
    "  -p PID[,PID]       record only these processes: every thread they have, and the threads\n"
    "                     and processes they create while recorded (without -p, --tid or\n"
    "                     COMMAND: the whole system)\n"
    "  --tid TID[,TID]    record only these threads, not the ones they create\n"
    "  -o FILE            output file (default ehtrace.data; with --live or --otlp, none unless\n"
    "                     given); -o - streams perf's pipe layout to stdout (into\n"
    "                     ehtrace-decode - or perf script -i -)\n"
    "  -i FILE            more tracepoints from FILE, one per line ('#' comments)\n"
    "  --filter EXPR      kernel filter for the TRACEPOINT just before it (tracefs syntax:\n"
    "                     'pid == 42 && comm ~ \"bash*\"'); a glob's every match gets it\n"
    "  --circular MIB     flight recorder: keep only the most recent MIB MiB per CPU, written\n"
    "                     at the end to -o FILE; each SIGUSR1 writes a snapshot to FILE.1, FILE.2, ...\n"
    "  --live             print each event as a JSON line on stdout as it arrives\n"
    "  --meta KEYS        keys of the --live lines' \"meta\" object, as ehtrace-decode --meta\n"
    "                     takes them (standard, all, none, time,cpu,..., +comm adds the\n"
    "                     thread's name)\n"
    "  --otlp URL         send the OpenTelemetry exporters' logs and spans as OTLP/HTTP JSON\n"
    "                     to URL/v1/logs and URL/v1/traces (e.g. http://127.0.0.1:4318)\n"
    "  --duration S       stop after S seconds (fractions allowed)\n"
    "  --buffer KIB       kernel ring buffer per CPU (default 1024, rounded to pages)\n"
    "  --tracefs DIR      tracefs mounted at DIR instead of /sys/kernel/tracing\n"
    "  --check            diagnose the system (as ehtrace-doctor) and exit\n"
    "  -q, --quiet        no summary on stderr\n"
    "  -v, --verbose      name every tracepoint collected, and the lost events per CPU\n"
    "  -h, --help         show this help\n"
    "  --version          show the version\n"
    "\n"
    "With COMMAND, records only it and the processes it starts (the whole system\n"
    "without COMMAND, -p or --tid). The output names the threads (COMM, FORK and\n"
    "EXIT records), as perf record's does.\n"
    "Stops on SIGINT/SIGTERM, after --duration, or when COMMAND exits; the file is\n"
    "complete in every case. Lost events (buffers overflowed) are reported.\n";

struct options {
    std::string output;
    bool output_given = false;
    double circular_mib = 0;
    bool live = false;
    std::uint32_t live_meta = ehtrace::decode::meta_keys::standard;
    bool meta_given = false;
    std::string otlp;
    bool verbose = false;
    double duration = 0;
    std::size_t buffer_kib = 1024;
    std::string tracefs;
    bool check = false, quiet = false;
    std::vector<std::string> tracepoints;
    std::vector<std::string> filters;  // one per tracepoint argument, "" for none
    std::vector<std::string> command;
    std::vector<int> pids, tids;  // -p, --tid
};

// "12,34": positive numbers; false on anything else.
bool parse_id_list(std::string_view text, std::vector<int>& out) {
    while (true) {
        const auto comma = text.find(',');
        const std::string item(text.substr(0, comma));
        char* end = nullptr;
        errno = 0;
        const long v = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || errno != 0 || v <= 0 || v > 0x3fffffff) return false;
        out.push_back(static_cast<int>(v));
        if (comma == std::string_view::npos) return true;
        text.remove_prefix(comma + 1);
    }
}

// The threads of process `pid` now (new ones are inherited from them).
std::vector<int> threads_of(int pid) {
    std::vector<int> tids;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::vector<int> one;
        if (parse_id_list(entry.path().filename().string(), one)) tids.push_back(one.front());
    }
    std::sort(tids.begin(), tids.end());
    return tids;
}

int fail(const std::string& message, int status = 1) {
    std::fprintf(stderr, "ehtrace-collect: %s\n", message.c_str());
    return status;
}

bool parse_number(const char* text, double& out) {
    char* end = nullptr;
    errno = 0;
    out = std::strtod(text, &end);
    return errno == 0 && end != text && *end == '\0' && out >= 0;
}

int parse(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) {
                ehtrace_tools::usage_error("ehtrace-collect", std::string("option ") + name + " needs a value");
                return nullptr;
            }
            return argv[++i];
        };
        if (a == "--") {
            for (++i; i < argc; ++i) o.command.push_back(argv[i]);
            break;
        }
        if (ehtrace_tools::answered_help_or_version(a, "ehtrace-collect", usage)) return 0;
        if (a == "-o") {
            const char* v = value("-o");
            if (!v) return 2;
            o.output = v;
            o.output_given = true;
        } else if (a == "-p" || a == "--tid") {
            const char* v = value(a.c_str());
            if (!v) return 2;
            if (!parse_id_list(v, a == "--tid" ? o.tids : o.pids)) {
                return ehtrace_tools::usage_error("ehtrace-collect",
                                                  a + " needs process ids separated by commas, not '" + v + "'");
            }
        } else if (a == "--filter") {
            const char* v = value("--filter");
            if (!v) return 2;
            if (o.tracepoints.empty()) {
                return ehtrace_tools::usage_error("ehtrace-collect", "--filter applies to the tracepoint before it");
            }
            o.filters.resize(o.tracepoints.size());
            o.filters.back() = v;
        } else if (a == "-i") {
            const char* v = value("-i");
            if (!v) return 2;
            std::string error;
            if (!ehtrace_tools::read_list(v, o.tracepoints, error))
                return ehtrace_tools::usage_error("ehtrace-collect", error);
        } else if (a == "--circular" || a == "--duration" || a == "--buffer") {
            const char* v = value(a.c_str());
            double number = 0;
            if (!v) return 2;
            if (!parse_number(v, number)) {
                return ehtrace_tools::usage_error("ehtrace-collect",
                                                  a + " needs a non-negative number, not '" + v + "'");
            }
            if (a == "--circular") o.circular_mib = number;
            else if (a == "--duration") o.duration = number;
            else o.buffer_kib = static_cast<std::size_t>(number);
        } else if (a == "--tracefs") {
            const char* v = value("--tracefs");
            if (!v) return 2;
            o.tracefs = v;
        } else if (a == "--otlp") {
            const char* v = value("--otlp");
            if (!v) return 2;
            o.otlp = v;
            if (const int r = ehtrace_tools::check_otlp_url(o.otlp); r >= 0) return r;
        } else if (a == "--live") {
            o.live = true;
        } else if (a == "--meta") {
            const char* v = value("--meta");
            if (!v) return 2;
            if (!ehtrace::decode::parse_meta_keys(v, o.live_meta)) {
                return ehtrace_tools::usage_error("ehtrace-collect", std::string("bad --meta '") + v + "'");
            }
            o.meta_given = true;
        } else if (a == "--check") {
            o.check = true;
        } else if (a == "-q" || a == "--quiet") {
            o.quiet = true;
        } else if (a == "-v" || a == "--verbose") {
            o.verbose = true;
        } else if (a.size() > 1 && a[0] == '-') {
            return ehtrace_tools::usage_error("ehtrace-collect", "unknown option " + a);
        } else {
            o.tracepoints.push_back(a);
        }
    }
    if (o.meta_given && !o.live) return ehtrace_tools::usage_error("ehtrace-collect", "--meta applies to --live");
    if (!o.output_given && !o.live && o.otlp.empty()) o.output = "ehtrace.data";
    if (o.output == "-") {
        if (o.live) return ehtrace_tools::usage_error("ehtrace-collect", "-o - and --live both write to stdout");
        if (o.circular_mib > 0) {
            return ehtrace_tools::usage_error("ehtrace-collect",
                                              "--circular writes files at the end and on SIGUSR1: not with -o -");
        }
    }
    if (!o.check && o.tracepoints.empty()) return ehtrace_tools::usage_error("ehtrace-collect", "no tracepoint given");
    if (!o.command.empty() && (!o.pids.empty() || !o.tids.empty())) {
        return ehtrace_tools::usage_error("ehtrace-collect", "a COMMAND, or -p/--tid: not both");
    }
    return -1;
}

// True when stdout is a pipe whose reader has closed it, whether or not a
// write has failed yet (a quiet tracepoint writes nothing to fail).
bool stdout_reader_gone() {
    ::pollfd p{STDOUT_FILENO, 0, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

// A child that waits for the session to start before exec'ing COMMAND.
struct workload {
    pid_t pid = -1;
    int go_fd = -1;

    int spawn(const std::vector<std::string>& command, bool stdout_is_data) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) return errno;
        pid = ::fork();
        if (pid < 0) return errno;
        if (pid == 0) {
            ::close(fds[1]);
            std::signal(SIGPIPE, SIG_DFL);  // the collector ignores it; exec would pass that on
            // stdout carries the perf data: the command's output would corrupt it.
            if (stdout_is_data) ::dup2(STDERR_FILENO, STDOUT_FILENO);
            char byte;
            if (::read(fds[0], &byte, 1) != 1) ::_exit(127);
            std::vector<char*> args;
            for (const auto& c : command) args.push_back(const_cast<char*>(c.c_str()));
            args.push_back(nullptr);
            ::execvp(args[0], args.data());
            std::fprintf(stderr, "ehtrace-collect: cannot run %s: %s\n", args[0], std::strerror(errno));
            ::_exit(127);
        }
        ::close(fds[0]);
        go_fd = fds[1];
        return 0;
    }
    void go() {
        if (go_fd >= 0) {
            (void)!::write(go_fd, "g", 1);
            ::close(go_fd);
            go_fd = -1;
        }
    }
    void cancel() {
        if (go_fd >= 0) ::close(go_fd);  // the child exits
        go_fd = -1;
    }
    // True once the child has exited.
    bool done(int& status) {
        if (pid < 0) return false;
        int s = 0;
        if (::waitpid(pid, &s, WNOHANG) == pid) {
            status = s;
            pid = -1;
            return true;
        }
        return false;
    }
    // Ends a command still running: SIGTERM, then SIGKILL after `grace`.
    void end(std::chrono::milliseconds grace) {
        if (pid < 0) return;
        ::kill(pid, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + grace;
        int status = 0;
        while (!done(status) && std::chrono::steady_clock::now() < deadline) ::usleep(10000);
        if (pid >= 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            pid = -1;
        }
    }
};

}  // namespace

int main(int argc, char** argv) {
    options o;
    if (const int r = parse(argc, argv, o); r >= 0) return r;

    if (o.check) {
        doctor_options d;
        d.tracefs = o.tracefs;
        const auto findings = diagnose(d);
        std::fputs(format_findings(findings).c_str(), stdout);
        return all_usable(findings) ? 0 : 1;
    }

    // A reader of stdout that goes away (`| head`) is seen as EPIPE, so the
    // collector can stop cleanly instead of being killed mid-write.
    std::signal(SIGPIPE, SIG_IGN);

    session_options so;
    so.tracefs = o.tracefs;
    for (int pid : o.pids) {
        const auto tids = threads_of(pid);
        if (tids.empty()) return fail("no process " + std::to_string(pid), 1);
        for (int tid : tids) so.targets.push_back({tid, true});
    }
    for (int tid : o.tids) {
        if (::access(("/proc/" + std::to_string(tid) + "/status").c_str(), F_OK) != 0) {
            return fail("no thread " + std::to_string(tid), 1);
        }
        so.targets.push_back({tid, false});
    }
    // The command starts now, held before exec until its events are enabled:
    // it and its children are recorded through inherited events, from its
    // first instruction on.
    workload child;
    if (!o.command.empty()) {
        if (int e = child.spawn(o.command, o.output == "-"))
            return fail(std::string("cannot start the command: ") + std::strerror(e));
        so.targets.push_back({child.pid, true});
    }
    so.ring_bytes = std::max<std::size_t>(o.buffer_kib, 1) * 1024;
    so.circular_bytes_per_cpu = static_cast<std::size_t>(o.circular_mib * 1024 * 1024);
    if (o.circular_mib > 0 && so.circular_bytes_per_cpu < 4096) so.circular_bytes_per_cpu = 4096;
    if (o.circular_mib > 0 && o.output.empty()) return fail("--circular needs an output file (-o FILE)", 2);
    if (o.circular_mib > 0 && !o.otlp.empty())
        return fail("--otlp sends events as they arrive: not with --circular", 2);
    session s(so);
    if (s.tracefs_dir().empty()) {
        std::string error;
        (void)s.add("sched:sched_switch", &error);  // reports the tracefs problem
        return fail(error);
    }

    // Resolve the arguments: pre-registration, globs, plain names.
    registrar reg(s.tracefs_dir());
    std::vector<std::string> specs, spec_filters;
    // One argument into specs; -1, or the exit status.
    const auto resolve = [&](const std::string& arg) -> int {
        const bool is_command = arg.find_first_of(" \t") != std::string::npos;
        if (is_command || arg.find(':') == std::string::npos) {
            std::string message;
            if (reg.add(arg, 0, &message) != 0) return fail(message);
            if (!o.quiet) std::fprintf(stderr, "ehtrace-collect: %s\n", message.c_str());
            specs.push_back(reg.tracepoints().back());
            std::string_view system, name;
            if (split_tracepoint_spec(specs.back(), system, name)) s.cache().forget(system, name);
            return -1;
        }
        if (has_glob(arg)) {
            auto matches = s.cache().match(arg);
            if (matches.empty())
                return fail("no existing tracepoint matches " + arg + " (in " + s.tracefs_dir() + "/events)");
            specs.insert(specs.end(), matches.begin(), matches.end());
            return -1;
        }
        specs.push_back(arg);
        return -1;
    };
    o.filters.resize(o.tracepoints.size());
    for (std::size_t k = 0; k < o.tracepoints.size(); ++k) {
        if (const int r = resolve(o.tracepoints[k]); r >= 0) return r;
        spec_filters.resize(specs.size(), o.filters[k]);  // each spec of the argument gets its filter
    }
    for (std::size_t k = 0; k < specs.size(); ++k) {
        const std::string& spec = specs[k];
        std::string error;
        if (s.add(spec, &error) != 0) return fail(error);
        if (!spec_filters[k].empty() && s.set_filter(spec, spec_filters[k], &error) != 0) return fail(error);
        if (o.verbose) std::fprintf(stderr, "ehtrace-collect: collecting %s\n", spec.c_str());
    }

    const bool to_stdout = o.output == "-";
    if (to_stdout) {
        if (::isatty(STDOUT_FILENO))
            return fail("-o - writes binary perf data: pipe stdout into a program or a file", 2);
        if (int e = s.set_output_pipe(STDOUT_FILENO))
            return fail(std::string("cannot write to stdout: ") + std::strerror(e));
    } else if (!o.output.empty() && o.circular_mib <= 0) {
        if (int e = s.set_output(o.output)) return fail("cannot create " + o.output + ": " + std::strerror(e));
    }
    const std::string output_name = to_stdout ? "stdout" : o.output;
    std::string line;
    ehtrace::decode::sample_decoder decoder;
    ehtrace::decode::json_options live_options;
    live_options.meta = o.live_meta;
    const auto live_format = ehtrace::decode::make_formatter(ehtrace::decode::output_format::jsonl, live_options);
    std::unique_ptr<ehtrace_tools::otlp_exporter> otlp;
    if (!o.otlp.empty()) {
        std::string error;
        otlp = ehtrace_tools::make_otlp_exporter(o.otlp, &error);
        if (!otlp) return fail(error);
    }
    if (o.live || otlp) {
        s.set_callback([&](const collected_sample& sample) {
            if (o.live) {
                line.clear();
                live_format->sample(line, decode_sample(decoder, sample));
                std::fwrite(line.data(), 1, line.size(), stdout);
            }
            if (otlp) otlp->add([&](auto& d) -> const auto& { return decode_sample(d, sample); });
        });
    }

    ehtrace_tools::stop_signals signals(&s);
    std::string error;
    if (s.start(&error) != 0) {
        child.cancel();
        s.stop();
        if (!o.output.empty() && !to_stdout && o.circular_mib <= 0) ::unlink(o.output.c_str());
        return fail(error);
    }
    child.go();
    if (!o.quiet) {
        std::fprintf(stderr, "ehtrace-collect: collecting %zu tracepoint%s%s; Ctrl-C to stop\n", specs.size(),
                     specs.size() == 1 ? "" : "s", o.circular_mib > 0 ? " (circular)" : "");
    }

    const auto started = std::chrono::steady_clock::now();
    int child_status = 0;
    bool child_exited = false;
    int saves = 0;
    bool stdout_closed = false;
    while (!signals.stop_requested()) {
        int timeout = 100;
        if (o.duration > 0) {
            const double left =
                o.duration - std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            if (left <= 0) break;
            timeout = std::min(timeout, static_cast<int>(left * 1000) + 1);
        }
        s.poll(timeout);
        if (o.live) std::fflush(stdout);
        if ((to_stdout || o.live) && (s.stats().output_error == EPIPE || std::ferror(stdout) || stdout_reader_gone())) {
            if (!o.quiet) std::fprintf(stderr, "ehtrace-collect: the reader of stdout went away: stopping\n");
            stdout_closed = true;
            break;
        }
        if (otlp) ehtrace_tools::otlp_tick(*otlp, o.verbose && !o.quiet);
        if (signals.take_save_request() && o.circular_mib > 0) {
            // Each snapshot to a new file (-o out.data: out.data.1, out.data.2, ...),
            // never over an earlier one; the final save goes to out.data.
            const std::string snapshot = o.output + "." + std::to_string(++saves);
            const int e = s.save(snapshot);
            if (!o.quiet) {
                if (e) {
                    std::fprintf(stderr, "ehtrace-collect: saving %s failed: %s\n", snapshot.c_str(), std::strerror(e));
                } else {
                    std::fprintf(stderr, "ehtrace-collect: saved %llu events to %s\n",
                                 static_cast<unsigned long long>(s.stats().saved), snapshot.c_str());
                }
            }
        }
        if (!o.command.empty() && child.done(child_status)) {
            child_exited = true;
            break;
        }
    }
    // The command was started to be recorded: with nobody left to read the
    // recording, it ends too (as a pipeline's writers end when its reader does).
    if (stdout_closed) child.end(std::chrono::seconds(2));
    int status = stdout_closed ? 1 : 0;
    int out_error = 0;
    if (o.circular_mib > 0) {
        // Stopped first (the last drain included), then saved: every event
        // taken is in the file or counted as overwritten.
        s.stop();
        out_error = s.save(o.output);
    } else {
        out_error = s.stop();
    }
    if (o.live) std::fflush(stdout);
    if (otlp) ehtrace_tools::otlp_finish(*otlp, o.quiet);
    const auto& st = s.stats();
    if (out_error != 0 && !stdout_closed) {
        fail("writing " + output_name + " failed: " + std::strerror(out_error) + "; the file holds the " +
             std::to_string(st.written) + " events written before (still readable)");
        status = 1;
    }
    if (!o.quiet) {
        std::string summary = std::to_string(st.samples) + " events";
        if (o.circular_mib > 0) {
            // Every event taken is either still in the rings (so in the final
            // file) or was pushed out by newer ones; snapshots hold copies.
            summary += ": " + std::to_string(st.saved) + " in " + o.output + ", " + std::to_string(st.overwritten) +
                       " older ones overwritten";
            if (saves > 0)
                summary += " (" + std::to_string(saves) + " snapshot" + (saves == 1 ? "" : "s") +
                           " before: " + o.output + ".1 ...)";
        } else if (!o.output.empty()) {
            summary += ", " + std::to_string(st.written) + " written to " + output_name;
        }
        if (signals.signal() != 0) summary += "; stopped by signal " + std::to_string(signals.signal());
        std::fprintf(stderr, "ehtrace-collect: %s\n", summary.c_str());
        if (st.lost > 0) {
            std::fprintf(stderr,
                         "ehtrace-collect: lost %llu events (%llu times the kernel buffer overflowed): use a larger "
                         "--buffer\n",
                         static_cast<unsigned long long>(st.lost), static_cast<unsigned long long>(st.lost_records));
        } else {
            std::fprintf(stderr, "ehtrace-collect: lost 0 events\n");
        }
        if (o.verbose) {
            for (std::size_t cpu = 0; cpu < st.lost_per_cpu.size(); ++cpu) {
                if (st.lost_per_cpu[cpu] != 0) {
                    std::fprintf(stderr, "ehtrace-collect: lost %llu events on CPU %zu\n",
                                 static_cast<unsigned long long>(st.lost_per_cpu[cpu]), cpu);
                }
            }
        }
    }
    if (child_exited && status == 0 && WIFEXITED(child_status) && WEXITSTATUS(child_status) == 127) status = 1;
    return status;
}
