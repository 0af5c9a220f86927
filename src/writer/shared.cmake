# ehtrace::shared — libehtrace.so: the same code as the static library
# (whole archive), for C (ehtrace/ehtrace.h) and for languages that load a
# shared library (Python ctypes...). A version script exports only the C API
# (ehtrace_*) and the C++ API (namespace ehtrace), so libstdc++ internals
# and template instantiations stay private, and `-lehtrace` works whether
# the .a or the .so is found. Consumers get no C++20 requirement from it:
# ehtrace/dynamic.hpp and ehtrace/ehtrace.h compile as C++17 and C.
set(ehtrace_version_script ${CMAKE_CURRENT_SOURCE_DIR}/libehtrace.map)
add_library(ehtrace_shared SHARED ${ehtrace_version_script})
target_link_libraries(ehtrace_shared PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,ehtrace>" Threads::Threads)
target_include_directories(ehtrace_shared PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(ehtrace_shared PROPERTIES
    OUTPUT_NAME ehtrace
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}
    LINKER_LANGUAGE CXX
    LINK_DEPENDS ${ehtrace_version_script})
target_link_options(ehtrace_shared PRIVATE "LINKER:--version-script=${ehtrace_version_script}")
if(NOT EHTRACE_SANITIZE)
    # Sanitizer runtimes are linked into executables, so only check without them.
    target_link_options(ehtrace_shared PRIVATE "LINKER:--no-undefined")
endif()
ehtrace_export_library(ehtrace_shared shared ehtrace-shared)
