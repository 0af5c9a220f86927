// Activities on a timeline: nested scopes, workers, an activity that starts
// on one thread and stops on another, and one left open when the program
// exits (a cut trace).
//
//   EHTRACE_CAPTURE=activities.data ./activities
//   ehtrace-decode --format timeline -o activities.json activities.data   # open in ui.perfetto.dev
//   ehtrace-decode --summary activities.data
#include <ehtrace/activity.hpp>
#include <ehtrace/provider.hpp>

#include <pthread.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

EHTRACE_PROVIDER(activities_provider, "Ehtrace_Activities");

using ehtrace::field;

namespace {

void pause_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// A request: a "Parse" step nested in it, a "Progress" event inside, and a
// stop event that says how it ended.
void handle(int number) {
    auto request = EHTRACE_ACTIVITY(activities_provider, "Request", ehtrace::level<4>, field<"number">(number),
                                    field<"path">(std::string_view("/index.html")));
    {
        auto parse = EHTRACE_ACTIVITY(activities_provider, "Parse", ehtrace::level<4>);
        pause_ms(1);
        EHTRACE_WRITE(activities_provider, "Progress", ehtrace::level<4>, ehtrace::activity(parse.id()),
                      field<"percent">(50));
    }
    pause_ms(1);
    request.stop(field<"status">(200),
                 field<"bytes">(512));  // the stop event with fields; the scope's end writes nothing
}

// A worker named `name`: one "Job" with a nested "Step"; `transfer`, when
// set, is an activity the main thread started and this worker stops.
void worker(const char* name, int job, const ehtrace::uuid* transfer) {
    pthread_setname_np(pthread_self(), name);  // before the first event: the capture names the thread then
    auto scope = EHTRACE_ACTIVITY(activities_provider, "Job", ehtrace::level<4>, field<"job">(job));
    {
        auto step = EHTRACE_ACTIVITY(activities_provider, "Step", ehtrace::level<4>);
        pause_ms(2);
    }
    if (transfer != nullptr) {
        EHTRACE_WRITE(activities_provider, "Transfer", ehtrace::level<4>,
                      ehtrace::opcode<ehtrace::event_opcode::activity_stop>, ehtrace::activity(*transfer),
                      field<"bytes">(4096));
    }
}

}  // namespace

int main() {
    ehtrace::provider_registration registration(activities_provider);
    for (int i = 0; i < 3; ++i) handle(i);

    // Started here, stopped by worker-1: an activity across threads.
    const ehtrace::uuid transfer = ehtrace::new_activity_id();
    EHTRACE_WRITE(activities_provider, "Transfer", ehtrace::level<4>,
                  ehtrace::opcode<ehtrace::event_opcode::activity_start>, ehtrace::activity(transfer),
                  field<"to">(std::string_view("worker-1")));
    std::thread one(worker, "worker-1", 1, &transfer);
    one.join();
    std::thread two(worker, "worker-2", 2, nullptr);
    two.join();

    // Exits with "Shutdown" open: its stop event is never written.
    auto shutdown = EHTRACE_ACTIVITY(activities_provider, "Shutdown", ehtrace::level<4>);
    EHTRACE_WRITE(activities_provider, "Bye", ehtrace::level<4>, ehtrace::activity(shutdown.id()));
    std::exit(0);
}
