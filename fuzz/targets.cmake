# The fuzz targets, shared by fuzz/CMakeLists.txt (the libFuzzer build) and
# fuzz/replay.cmake (the replay ctests of the normal builds).
set(EHTRACE_FUZZ_TARGETS
    tracepoint_name
    event
    tracepoint_layout
    perf_data
    capture
    dynamic_builder)
set(EHTRACE_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})

# Which of the project's libraries a target needs: "decode", or "writer decode".
function(ehtrace_fuzz_libraries target out_var)
    if(target STREQUAL "dynamic_builder")
        set(${out_var} writer decode PARENT_SCOPE)
    else()
        set(${out_var} decode PARENT_SCOPE)
    endif()
endfunction()
