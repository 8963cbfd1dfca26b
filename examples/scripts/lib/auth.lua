-- A module the scripts share: `require "lib.auth"` finds lib/auth.lua next to the scenario.
local M = {}

function M.login(u)
  local r = u.http:post("/login", {json = {user = "u" .. u.id, password = "secret"}})
  assert(r.status == 200, "login failed: " .. r.status)
  return r:json().token
end

return M
