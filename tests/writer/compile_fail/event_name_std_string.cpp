// expect: ehtrace: names \(event, field and provider names\) must be string literals
#include <ehtrace/activity.hpp>
#include <string>
EHTRACE_PROVIDER(p, "P");
void f() {
    std::string name = "Request";
    auto scope = EHTRACE_ACTIVITY(p, name);
}
