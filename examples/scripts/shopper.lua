-- Log in once (on_start), then poll the cart with the token; judge one response yourself.
local sw = require "swarmlet"
local auth = require "lib.auth"   -- lib/auth.lua, shipped to the workers with this script

local shopper = {}

function shopper.on_start(u)
  u.token = auth.login(u)
end

shopper.tasks = {
  {weight = 3, name = "poll cart", fn = function(u)
    local r = u.http:get("/cart", {headers = {Authorization = "Bearer " .. u.token}})
    if r.status == 401 then u.token = auth.login(u) end   -- branch on a response
  end},
  function(u)   -- a bare function has weight 1
    local r = u.http:get("/status/503", {name = "/maybe", catch = true})
    if r.status == 503 then r:success() else r:failure("expected 503, got " .. r.status) end
  end,
}

function shopper.on_stop(u)
  sw.log("leaving")   -- stderr: "[user 12] leaving"
end

return shopper
