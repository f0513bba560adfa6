-- wrk script for bench/bulk-flow: every request is a purchase by the next line of the file given
-- after `--` ("group purchaser_id token"), each line once; the purchases' answers are counted, and
-- once all are in, the file given second is written (bench/bulk-flow then stops wrk's wait). A
-- third argument paces the purchases at that many per second (64 connections), 0 for flat out.
local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_usec; } timeval;
int gettimeofday(timeval *tv, void *tz);
]])
local function now()
    local tv = ffi.new("timeval")
    ffi.C.gettimeofday(tv, nil)
    return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end

local lines, next_line, answered, finished_file, pause_ms = {}, 0, 0, nil, 0
counts, started, finished, total = {}, nil, nil, 0
local tail = ', "payment_method": {"type": "card", "token": "4242424242424242"}, '
    .. '"ship_to": {"name": "B", "line1": "1 Bulk St", "city": "Berlin", "postal_code": "10115", "country": "DE"}}'

function init(args)
    finished_file = args[2]
    local rate = tonumber(args[3] or "0")
    if rate > 0 then
        pause_ms = 64 * 1000 / rate
    end
    for line in io.lines(args[1]) do
        local group, id, token = line:match("^(%S+) (%S+) (%S+)$")
        lines[#lines + 1] = { group = group, id = id, token = token }
    end
    total = #lines
end

local verified = false

function delay()
    return pause_ms
end

function request()
    -- wrk calls request() once to check the script before sending anything: not a purchase.
    if not verified then
        verified = true
        return wrk.format("GET", "/health/live")
    end
    started = started or now()
    next_line = next_line + 1
    -- Past the last purchase, connections wait on /health/live (200; a purchase answers 201 or 4xx).
    if next_line > #lines then
        return wrk.format("GET", "/health/live")
    end
    local l = lines[next_line]
    return wrk.format("POST", "/v1/groups/" .. l.group .. "/purchases",
        { ["authorization"] = "Bearer " .. l.token, ["content-type"] = "application/json" },
        '{"purchaser_id": "' .. l.id .. '"' .. tail)
end

function response(status)
    if status == 200 then
        return
    end
    answered = answered + 1
    counts[status] = (counts[status] or 0) + 1
    if answered == #lines then
        finished = now()
        wrk.thread:stop()
        io.open(finished_file, "w"):close()
    end
end

local thread
function setup(t)
    thread = t
end

function done(summary, latency)
    local counted = thread:get("counts")
    local line = ""
    for status, n in pairs(counted) do
        line = line .. status .. "=" .. n .. " "
    end
    local elapsed = (thread:get("finished") or 0) - (thread:get("started") or 0)
    io.write(string.format("FLOW %d %.3f %.2f %.2f %s\n", thread:get("total"), elapsed,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, line))
end
