-- One TCP connection per user; each task sends a line and times its echo as a request of
-- type "tcp" (it shows in every report next to HTTP requests).
local sw = require "swarmlet"

local echo = {}

function echo.on_start(u)
  u.conn = sw.connect(sw.env("ECHO_HOST", "127.0.0.1"), tonumber(sw.env("ECHO_PORT", "6000")),
                      {timeout = 5})
end

echo.tasks = {function(u)
  local line = "hello " .. sw.uuid()
  local back, err = sw.measure("tcp", "echo", function()
    u.conn:send(line .. "\n")
    local got = u.conn:readline()
    if got ~= line then error("echoed '" .. tostring(got) .. "'") end
    return got
  end)
  if not back then   -- recorded as a failure already; reconnect for the next task
    u.conn:close()
    echo.on_start(u)
  end
end}

function echo.on_stop(u)
  u.conn:close()
end

return echo
