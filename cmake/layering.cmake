# Layering the compiler enforces (docs/architecture.md). Each library under
# gateway/src exposes one include root holding a single link named after its
# folder, <build>/include-rooms/<room>/<room> -> gateway/src/<room>. So
# `#include "ledger/ledger.h"` compiles only in a target that links
# passerelle_ledger, directly or through a library that does: which folder may
# use which is the link graph in the folders' CMakeLists.txt, nothing else.
function(passerelle_room target)
  get_filename_component(room ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  set(root ${CMAKE_BINARY_DIR}/include-rooms/${room})
  file(MAKE_DIRECTORY ${root})
  file(REMOVE ${root}/${room})
  file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${root}/${room} SYMBOLIC)
  target_include_directories(${target} PUBLIC ${root})
endfunction()
