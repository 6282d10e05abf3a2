-- wrk script: Plausible-style pageviews from many visitors (X-Forwarded-For
-- varies; the server trusts loopback as a proxy), over 500 pages.
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
local counter = 0
request = function()
  counter = counter + 1
  local ip = string.format("10.%d.%d.%d", math.floor(counter / 65536) % 256, math.floor(counter / 256) % 256, counter % 256)
  wrk.headers["X-Forwarded-For"] = ip
  local body = string.format('{"n":"pageview","u":"https://example.com/docs/page-%d","d":"example.com","r":"https://www.google.com/"}', counter % 500)
  return wrk.format(nil, "/api/event", nil, body)
end
