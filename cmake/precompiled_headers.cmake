# Most of what each gateway source file compiles is the same few heavy headers
# (Poco's Data, Net and JSON, the standard library): each library and the
# gateway executable parse them once, into a precompiled header, instead of
# once per file. Every file still includes what it uses, so
# -DPASSERELLE_PCH=OFF builds the same code. Targets do not share one
# precompiled header: their compile definitions differ (Poco's come with the
# Poco libraries a target links), and GCC refuses a header built under others.
option(PASSERELLE_PCH "Precompile the common heavy headers (faster builds)" ON)

set(PASSERELLE_PCH_STD
  <algorithm> <chrono> <filesystem> <functional> <map> <memory> <mutex> <optional>
  <set> <sstream> <string> <string_view> <vector>)

# passerelle_use_pch(target [JSON] [DATA] [NET]): the standard headers and
# Poco's Logger, plus the heavy Poco headers of the Poco libraries the target
# links (their inline code needs those libraries).
function(passerelle_use_pch target)
  if(NOT PASSERELLE_PCH)
    return()
  endif()
  cmake_parse_arguments(PCH "JSON;DATA;NET" "" "" ${ARGN})
  set(headers ${PASSERELLE_PCH_STD} <Poco/Logger.h>)
  if(PCH_JSON)
    list(APPEND headers <Poco/JSON/Object.h> <Poco/JSON/Parser.h>)
  endif()
  if(PCH_DATA)
    list(APPEND headers <Poco/Data/Session.h>)
  endif()
  if(PCH_NET)
    list(APPEND headers <Poco/Net/HTTPServerRequest.h> <Poco/Net/HTTPServerResponse.h>)
  endif()
  target_precompile_headers(${target} PRIVATE ${headers})
endfunction()
