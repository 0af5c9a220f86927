# Replay ctests for the fuzz targets, for every build with tests (gcc or
# clang, any sanitizer preset): each target's source is linked with
# replay_main.cpp instead of libFuzzer and run once over its corpus
# (fuzz/corpus/<target>/) and its regression inputs (fuzz/regressions/<target>/,
# one file per crash the fuzzers found). Included from tests/badinput.
include(${CMAKE_CURRENT_LIST_DIR}/targets.cmake)

foreach(target IN LISTS EHTRACE_FUZZ_TARGETS)
    set(exe ehtrace_fuzz_replay_${target})
    add_executable(${exe} ${EHTRACE_FUZZ_DIR}/fuzz_${target}.cpp ${EHTRACE_FUZZ_DIR}/replay_main.cpp)
    ehtrace_fuzz_libraries(${target} libraries)
    foreach(library IN LISTS libraries)
        if(library STREQUAL "writer")
            target_link_libraries(${exe} PRIVATE ehtrace)
        else()
            target_link_libraries(${exe} PRIVATE ehtrace_${library})
        endif()
    endforeach()
    ehtrace_target_defaults(${exe})
    set(inputs ${EHTRACE_FUZZ_DIR}/corpus/${target})
    if(EXISTS ${EHTRACE_FUZZ_DIR}/regressions/${target})
        list(APPEND inputs ${EHTRACE_FUZZ_DIR}/regressions/${target})
    endif()
    add_test(NAME ehtrace_fuzz_replay_${target} COMMAND ${exe} ${inputs})
    set_tests_properties(ehtrace_fuzz_replay_${target} PROPERTIES LABELS "unit;fuzz;badinput" TIMEOUT 300)
endforeach()
