// Checks OTLP/JSON against the official OpenTelemetry .proto files (Debian's
// opentelemetry-proto, compiled by protoc at build time) with Debian's libprotobuf, and
// against the OTLP JSON rules libprotobuf does not enforce: it takes
// snake_case keys and enum names, and reads hex ids as base64.
#include "otlp_schema_check.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <cctype>
#include <fstream>
#include <memory>
#include <string>

namespace otlp_test {
namespace {

namespace pb = google::protobuf;

// The descriptors protoc compiled from the .proto files at build time
// (OTLP_DESCRIPTORS: a FileDescriptorSet with its imports).
struct schema {
    pb::DescriptorPool pool;
    pb::DynamicMessageFactory factory{&pool};
    const pb::Descriptor* logs = nullptr;
    const pb::Descriptor* traces = nullptr;
    std::string error;

    schema() {
        pb::FileDescriptorSet set;
        std::ifstream in(OTLP_DESCRIPTORS, std::ios::binary);
        if (!set.ParseFromIstream(&in)) {
            error = "cannot read " OTLP_DESCRIPTORS;
            return;
        }
        for (const auto& file : set.file()) {
            if (pool.BuildFile(file) == nullptr) error += "cannot load " + file.name() + "\n";
        }
        logs = pool.FindMessageTypeByName("opentelemetry.proto.logs.v1.LogsData");
        traces = pool.FindMessageTypeByName("opentelemetry.proto.trace.v1.TracesData");
    }
};

schema& the_schema() {
    static schema s;
    return s;
}

// A small JSON walker for the rules on keys and values that the proto
// parser lets through. It assumes valid JSON (the proto parser has said so).
class rules {
public:
    rules(std::string_view text, bool lowercase_ids) : s_(text), lowercase_ids_(lowercase_ids) {}
    std::string check() {
        value("");
        return problem_;
    }

private:
    void ws() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    std::string string() {
        std::string out;
        ++i_;  // "
        while (i_ < s_.size() && s_[i_] != '"') {
            if (s_[i_] == '\\') ++i_;
            if (i_ < s_.size()) out.push_back(s_[i_++]);
        }
        ++i_;
        return out;
    }
    void fail(std::string why) {
        if (problem_.empty()) problem_ = std::move(why);
    }
    void value(const std::string& key) {
        ws();
        if (i_ >= s_.size()) return;
        const char c = s_[i_];
        if (c == '{') {
            ++i_;
            for (;;) {
                ws();
                if (i_ < s_.size() && s_[i_] == '}') {
                    ++i_;
                    break;
                }
                if (i_ >= s_.size() || s_[i_] != '"') return fail("bad object");
                const std::string k = string();
                if (k.empty() || !std::islower(static_cast<unsigned char>(k[0])) ||
                    k.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
                        std::string::npos) {
                    fail("key not lowerCamelCase: " + k);
                }
                ws();
                ++i_;  // :
                value(k);
                ws();
                if (i_ < s_.size() && s_[i_] == ',') ++i_;
            }
        } else if (c == '[') {
            ++i_;
            for (;;) {
                ws();
                if (i_ < s_.size() && s_[i_] == ']') {
                    ++i_;
                    break;
                }
                value(key);
                ws();
                if (i_ < s_.size() && s_[i_] == ',') ++i_;
                else if (i_ >= s_.size() || s_[i_] != ']') return fail("bad array");
            }
        } else if (c == '"') {
            const std::string v = string();
            if (key == "severityNumber" || key == "kind" || key == "code") fail("enum not an integer: " + key);
            const std::size_t id_length = key == "traceId" ? 32 : key == "spanId" || key == "parentSpanId" ? 16 : 0;
            const char* const hex = lowercase_ids_ ? "0123456789abcdef" : "0123456789abcdefABCDEF";
            if (id_length != 0 && (v.size() != id_length || v.find_first_not_of(hex) != std::string::npos)) {
                fail(key + " is not " + std::to_string(id_length) + " lower-case hex digits: " + v);
            }
            if ((key == "timeUnixNano" || key == "observedTimeUnixNano" || key == "startTimeUnixNano" ||
                 key == "endTimeUnixNano" || key == "intValue") &&
                (v.empty() || v.find_first_not_of("-0123456789") != std::string::npos)) {
                fail(key + " is not a decimal integer string: " + v);
            }
        } else {
            const std::size_t start = i_;
            while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' &&
                   !std::isspace(static_cast<unsigned char>(s_[i_]))) {
                ++i_;
            }
            const std::string_view v = s_.substr(start, i_ - start);
            if ((key == "timeUnixNano" || key == "intValue" || key == "startTimeUnixNano" || key == "endTimeUnixNano" ||
                 key == "observedTimeUnixNano") &&
                v != "null") {
                fail(key + " is a number, not a string (64-bit integers are strings in proto3 JSON)");
            }
        }
    }

    std::string_view s_;
    std::size_t i_ = 0;
    bool lowercase_ids_;
    std::string problem_;
};

}  // namespace

std::string otlp_problem(std::string_view line, bool traces, bool lowercase_ids) {
    schema& s = the_schema();
    const pb::Descriptor* type = traces ? s.traces : s.logs;
    if (type == nullptr) return "the OTLP descriptors did not load: " + s.error;
    std::unique_ptr<pb::Message> message(s.factory.GetPrototype(type)->New());
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto status = pb::util::JsonStringToMessage(std::string(line), message.get(), options);
    if (!status.ok()) return "libprotobuf: " + status.ToString();
    return rules(line, lowercase_ids).check();
}

}  // namespace otlp_test
