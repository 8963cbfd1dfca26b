# Run by `cmake --install` (see CMakeLists.txt here): writes the systemd units with the installed
# binary's path in place of /usr/local/bin/swarmlet.
foreach(unit swarmlet-master.service swarmlet-worker.service)
  file(READ ${units_source}/${unit} text)
  string(REPLACE "/usr/local/bin/swarmlet" "${CMAKE_INSTALL_PREFIX}/${bindir}/swarmlet" text "${text}")
  file(WRITE ${units_out}/${unit} "${text}")
endforeach()
