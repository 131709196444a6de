# dmasimWdk.cmake - building a WDK driver's unmodified sources against dmasim, as the WDK's
# build would: part of dmasim's CMake package (find_package(dmasim)), and of its own build.
#
#   dmasim_wpp(TARGET)
#       The WPP step: for each C source of TARGET, a NAME.tmh beside the others in the build
#       tree, on TARGET's include path, that the source's #include "NAME.tmh" finds. Each
#       includes <dmasim/wpp.h>: TraceEvents(LEVEL, FLAGS, MSG, ...), WPP_INIT_TRACING and
#       WPP_CLEANUP, the messages going to the simulator's debugger log.
#   dmasim_windows_includes(TARGET DIR)
#       Windows finds "precomp.h" when the file is Precomp.h; this makes a lower-case
#       forwarding header in the build tree for every header in DIR whose name has capitals,
#       on TARGET's include path, so the sources' includes resolve as on Windows.

function(dmasim_wpp target)
  get_target_property(sources ${target} SOURCES)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/dmasim_wpp/${target})
  file(MAKE_DIRECTORY ${dir})
  foreach(source IN LISTS sources)
    if(source MATCHES "\\.(c|cpp)$")
      get_filename_component(name ${source} NAME_WE)
      file(WRITE ${dir}/${name}.tmh.in
           "/* ${name}.tmh: made by dmasim_wpp (dmasim's stand-in for the WPP preprocessor) */\n"
           "#include <dmasim/wpp.h>\n")
      configure_file(${dir}/${name}.tmh.in ${dir}/${name}.tmh COPYONLY)
    endif()
  endforeach()
  target_include_directories(${target} PRIVATE ${dir})
endfunction()

function(dmasim_windows_includes target dir)
  set(shim ${CMAKE_CURRENT_BINARY_DIR}/dmasim_case/${target})
  file(MAKE_DIRECTORY ${shim})
  file(GLOB headers RELATIVE ${dir} ${dir}/*.h ${dir}/*.H)
  foreach(header IN LISTS headers)
    string(TOLOWER ${header} lower)
    if(NOT lower STREQUAL header)
      file(WRITE ${shim}/${lower}.in "#include \"${dir}/${header}\"\n")
      configure_file(${shim}/${lower}.in ${shim}/${lower} COPYONLY)
    endif()
  endforeach()
  target_include_directories(${target} PRIVATE ${shim})
endfunction()
