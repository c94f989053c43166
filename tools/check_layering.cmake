# The layering test: every #include "FOLDER/..." in a library folder names
# the folder itself or a library it depends on (directly or through its
# dependencies; its tests may also use their TEST_LIBS). Run by ctest as
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

set(violations "")
foreach(name ${LAYER_NAMES})
  closure(${name} allowed)
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
  message(FATAL_ERROR "layering violations (declare the dependency in the folder's "
                      "CMakeLists.txt, or move the code to the layer it belongs to):\n  ${text}")
endif()
list(LENGTH LAYER_NAMES n)
message(STATUS "layering: ${n} folders, every include follows a declared dependency")
