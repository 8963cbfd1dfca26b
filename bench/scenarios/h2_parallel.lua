-- Ten requests in flight at all times: a pool of 10 green threads, each looping on GET /.
local sw = require "swarmlet"
return {tasks = {
  function(u)
    local p = sw.pool(10)
    for _ = 1, 10 do
      p:spawn(function() for _ = 1, 100 do u.http:get("/") end end)
    end
    p:waitall()
  end,
}}
