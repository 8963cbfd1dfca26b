-- A user that needs no login of its own: it uses setup's token (u.setup).
local sw = require "swarmlet"
local user = {}

user.tasks = {
  {weight = 3, name = "cart", fn = function(u)
     u.http:get("/cart", {headers = {Authorization = "Bearer " .. u.setup.token}})
   end},
  {weight = 1, name = "pages", fn = function(u)
     for _, page in ipairs(u.setup.pages) do
       u.http:get("/items?page=" .. page .. "&w=" .. sw.worker_index(), {name = "/items"})
     end
   end},
}

return user
