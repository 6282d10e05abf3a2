-- wrk script for a steady rate: every connection waits 10 ms between events.
-- Each event comes from a new visitor, the worst case for open-visit memory.
dofile("scripts/event.lua")
function delay()
  return 10
end
