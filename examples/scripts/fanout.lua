-- Fetch the list, then every item's page in parallel (at most 4 at once), like a browser.
local sw = require "swarmlet"

return {
  wait = function(u) return 0.2 + math.random() * 0.3 end,   -- seconds between tasks
  tasks = {function(u)
    local items = u.http:get("/items"):json().items
    local pool = sw.pool(4)
    for _, item in ipairs(items) do
      pool:spawn(function()
        u.http:get("/delay/" .. item.id, {name = "/delay/[id]"})
      end)
    end
    pool:waitall()
  end},
}
