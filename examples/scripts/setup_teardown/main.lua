-- Runs once, on the master. What setup returns reaches every user as u.setup.
local sw = require "swarmlet"

function setup(ctx)
  -- One login for the whole test (not one per user): its token is shared.
  local r = ctx.http:post("/login", {json = {user = "admin"}})
  if r.status ~= 200 then error("cannot log in as admin: status " .. r.status) end
  sw.log("setup: logged in for", sw.worker_count(), "worker(s)")
  return {
    token = r:json().token,
    pages = {1, 2, 3},           -- lists and nested tables travel too
  }
end

function teardown(ctx, data)
  -- After the users stopped, before the final reports: data is what setup returned.
  ctx.http:get("/cart", {name = "/cart (teardown)",
                         headers = {Authorization = "Bearer " .. data.token}})
end
