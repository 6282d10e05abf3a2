-- wrk script: custom events near the largest accepted body (ingest.max_body_bytes,
-- 8 KiB): 30 properties of ~200 bytes each, from many visitors (X-Forwarded-For
-- varies; the server trusts loopback as a proxy). For the overload run of
-- scripts/overload.sh: each queued event holds several KiB.
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
local counter = 0
local filler = string.rep("x", 180)
request = function()
  counter = counter + 1
  local ip = string.format("10.%d.%d.%d", math.floor(counter / 65536) % 256, math.floor(counter / 256) % 256, counter % 256)
  wrk.headers["X-Forwarded-For"] = ip
  local props = {}
  for i = 1, 30 do
    props[#props + 1] = string.format('"prop_%02d":"%s-%d"', i, filler, counter)
  end
  local body = string.format('{"n":"Signup","u":"https://example.com/docs/page-%d","d":"example.com","p":{%s}}', counter % 500, table.concat(props, ","))
  return wrk.format(nil, "/api/event", nil, body)
end
