# Warnings and defaults shared by every target the project builds.
function(ehtrace_target_defaults target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
        -Wno-sign-conversion)
endfunction()

# Registers a library for installation and export as ehtrace::<export_name>,
# with a pkg-config module of the given name.
function(ehtrace_export_library target export_name pkgconfig_module)
    add_library(ehtrace::${export_name} ALIAS ${target})
    set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
    set_property(GLOBAL APPEND PROPERTY EHTRACE_EXPORTED_TARGETS ${target})
    set_property(GLOBAL APPEND PROPERTY EHTRACE_PKGCONFIG_MODULES ${pkgconfig_module})
endfunction()

# Registers a tool for installation into <prefix>/bin.
function(ehtrace_install_tool target)
    set_property(GLOBAL APPEND PROPERTY EHTRACE_EXPORTED_TARGETS ${target})
endfunction()
