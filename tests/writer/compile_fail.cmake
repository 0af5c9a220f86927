# Misuse of the compile-time API must fail to compile with a readable
# message. Each compile_fail/<case>.cpp names the message it expects on its
# first line ("// expect: <regex>"); the ok_*.cpp controls must compile cleanly.
file(GLOB compile_fail_cases ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/*.cpp)
foreach(case_file IN LISTS compile_fail_cases)
    get_filename_component(case_name ${case_file} NAME_WE)
    file(STRINGS ${case_file} expect_line LIMIT_COUNT 1)
    string(REGEX REPLACE "^// expect: " "" expected_message "${expect_line}")
    add_test(NAME compile_fail.${case_name}
        COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only -I${PROJECT_SOURCE_DIR}/include ${case_file})
    if(case_name MATCHES "^ok_")
        set_tests_properties(compile_fail.${case_name} PROPERTIES LABELS "compile-fail")
    else()
        set_tests_properties(compile_fail.${case_name} PROPERTIES
            LABELS "compile-fail"
            PASS_REGULAR_EXPRESSION "${expected_message}")
    endif()
endforeach()
