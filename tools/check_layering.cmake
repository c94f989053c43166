# The layering test, two halves:
#  1. every library's dependencies (LIBS, transitively) stay inside the
#     layers the table below allows it, so that no CMakeLists.txt can make
#     snapshot depend on harness, say, by adding one word;
#  2. every #include "FOLDER/..." in a library folder names the folder itself
#     or a library it depends on (directly or through its dependencies; its
#     tests may also use their TEST_LIBS).
# Run by ctest as
#   cmake -DLAYERS_FILE=BUILD/layers.cmake -DSOURCE_DIR=SRC -P check_layering.cmake
# LAYERS_FILE is written at configure time from each vecgate_library() call.
cmake_minimum_required(VERSION 3.20)
include(${LAYERS_FILE})

# Everything `name` may include: itself and its dependencies, transitively.
function(closure name out)
  set(seen ${name})
  set(todo ${LAYER_${name}_LIBS})
  while(todo)
    list(POP_FRONT todo next)
    if(NOT next IN_LIST seen)
      list(APPEND seen ${next})
      list(APPEND todo ${LAYER_${next}_LIBS})
    endif()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# The layers each library may reach (docs/architecture.md, "Layers"). A new
# folder gets a row here, which is where its place in the layering is decided.
# snapshot and harness are side by side: neither reaches the other, and gate
# is the one layer that ties a verdict to a rollback.
set(MAY_core "")
set(MAY_codec core)
set(MAY_stores core codec)
set(MAY_fixtures core codec stores)
set(MAY_suites core)
set(MAY_validators core suites)
set(MAY_reports core suites validators)
set(MAY_harness core codec stores suites validators reports)
set(MAY_snapshot core codec)
set(MAY_gate core codec stores suites validators reports harness snapshot)
set(MAY_testutil core codec stores suites validators reports harness)
set(MAY_cli core codec stores fixtures suites validators reports harness snapshot gate)

set(violations "")
foreach(name ${LAYER_NAMES})
  closure(${name} allowed)
  if(NOT DEFINED MAY_${name})
    list(APPEND violations
         "${name}/ has no row in tools/check_layering.cmake: say which layers it may use")
  else()
    foreach(dep ${allowed})
      if(NOT dep STREQUAL name AND NOT dep IN_LIST MAY_${name})
        list(APPEND violations
             "vecgate_${name} depends on vecgate::${dep}, which is not among the layers it may use (${MAY_${name}})")
      endif()
    endforeach()
  endif()
  set(test_allowed ${allowed})
  foreach(t ${LAYER_${name}_TEST_LIBS})
    closure(${t} more)
    list(APPEND test_allowed ${more})
  endforeach()
  file(GLOB files ${SOURCE_DIR}/${name}/*.h ${SOURCE_DIR}/${name}/*.cc)
  foreach(file ${files})
    get_filename_component(base ${file} NAME)
    set(may ${allowed})
    if(base MATCHES "_test\\.cc$|_test_util\\.h$")
      set(may ${test_allowed})
    endif()
    file(STRINGS ${file} includes REGEX "^#include \"[a-z_]+/")
    foreach(line ${includes})
      string(REGEX REPLACE "^#include \"([a-z_]+)/.*$" "\\1" folder "${line}")
      if(folder IN_LIST LAYER_NAMES AND NOT folder IN_LIST may)
        string(REGEX REPLACE "^#include \"([^\"]+)\".*$" "\\1" header "${line}")
        list(APPEND violations
             "${name}/${base} includes ${header}, but vecgate_${name} does not depend on vecgate::${folder}")
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "layering violations (move the code to the layer it belongs to; "
                      "or declare the dependency in the folder's CMakeLists.txt, when the "
                      "table above allows it):\n  ${text}")
endif()
list(LENGTH LAYER_NAMES n)
message(STATUS "layering: ${n} folders, each within its layers, every include following a declared dependency")
